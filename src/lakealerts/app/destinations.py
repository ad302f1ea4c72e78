"""The destination use cases: import, list and test notification destinations (their sync is in ``app.sync``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lakealerts.app.context import AppContext
from lakealerts.app.evaluate import dispatcher, migrate
from lakealerts.app.rules import ImportReport, read_all
from lakealerts.documents import parse_destinations
from lakealerts.errors import NotFoundError, UsageError
from lakealerts.findings import Finding
from lakealerts.model import AlertRule, StoredDestination
from lakealerts.runtime.channels import Channel, SmtpSettings, kind_of
from lakealerts.runtime.evaluator import triggering_value
from lakealerts.runtime.messages import render_message
from lakealerts.runtime.outbox import Outbox
from lakealerts.runtime.ports import Delivery, DeliveryStatus
from lakealerts.runtime.state import AlertStatus, NotifyEvent
from lakealerts.store.runtime import StoreRuntime
from lakealerts.validate.static import plain_secrets, render_blocker

TEST_SUBJECT_PREFIX = "[test] "
# The message of `destinations test` without --rule: a made-up rule, so every template variable has a value.
SAMPLE_RULE = AlertRule.model_validate(
    {
        "alert_id": "lakealerts-test",
        "alert_name": "lakealerts test message",
        "alert_description": "A test message sent by `lakealerts destinations test`: this destination works.",
        "agent_domain": "RELIABILITY",
        "severity": "INFO",
        "alert_query_template": "SELECT 6 AS failed_runs_1h",
        "threshold_column": "failed_runs_1h",
        "threshold_operator": ">",
        "threshold_value_type": "DOUBLE",
        "threshold_value_double": 5,
        "schedule_cron": "0 0 * * * ?",
        "owner": "lakealerts@localhost",
    }
)
SAMPLE_VALUE = 6


def import_destinations(ctx: AppContext, paths: Sequence[Path]) -> ImportReport:
    """Like ``import_rules`` for notification destinations."""
    with ctx.store(require_tables=False) as store:
        store.init()
        parsed = parse_destinations(read_all(paths))
        report = ImportReport(rejected=parsed.problems)
        ids = [destination.destination_id for destination in parsed.valid]
        report.add(ids, store.upsert_destinations(parsed.valid, ctx.now()))
    report.warnings = [
        f"destination {destination.destination_id}: config_json.{key} is a plain secret: it is stored and local "
        f"delivery uses it, but rules that use it fail `validate` (DESTINATION_PLAIN_SECRET) and `sync` skips "
        f"them; fix: {hint}"
        for destination in parsed.valid
        for key, hint in plain_secrets(destination)
    ]
    return report


@dataclass(frozen=True)
class DestinationList:
    """The stored destinations, and the rows the model rejects."""

    destinations: list[StoredDestination]
    problems: list[Finding]

    def to_dict(self) -> list[dict[str, Any]]:
        """``destinations list --json`` (plain secrets masked as ``***``; references as written, never resolved)."""
        return [destination_document(item) for item in self.destinations]


def list_destinations(ctx: AppContext) -> DestinationList:
    """Every readable destination; unreadable rows are named in ``problems``."""
    problems: list[Finding] = []
    with ctx.store() as store:
        stored = store.load_destinations(problems=problems)
    return DestinationList(stored, problems)


def destination_document(stored: StoredDestination) -> dict[str, Any]:
    """A stored destination as one flat mapping: plain secrets of its config masked as ``***``, references shown as
    written (never resolved)."""
    return {
        **stored.destination.model_dump(mode="json"),
        "config_json": stored.destination.masked_config(),
        **stored.audit.model_dump(mode="json"),
        "databricks_destination_id": stored.databricks_destination_id,
    }


@dataclass(frozen=True)
class DestinationTest:
    """How a test message through one destination ended: the peer's answer, recorded in the outbox."""

    destination_id: str
    destination_type: str
    alert_id: str
    delivery: Delivery
    was_enabled: bool

    @property
    def sent(self) -> bool:
        """Whether the peer accepted the message."""
        return self.delivery.status is DeliveryStatus.SENT

    def to_dict(self) -> dict[str, Any]:
        """``destinations test --json``."""
        return {
            "destination_id": self.destination_id,
            "type": self.destination_type,
            "alert_id": self.alert_id,
            "message_id": self.delivery.message_id,
            "event": self.delivery.event,
            "status": self.delivery.status,
            "error": self.delivery.last_error,
            "subject": self.delivery.message.subject if self.delivery.message else None,
            "file": str(self.delivery.file) if self.delivery.file else None,
        }


def send_test_message(ctx: AppContext, destination_id: str, rule_id: str | None = None) -> DestinationTest:
    """Send one test message through ``destination_id`` now (also when it is disabled): rendered with the rule
    ``rule_id``'s templates as if it had just triggered, or a sample message. One attempt, no retry; recorded in
    the outbox with the event ``test`` and an id of its own (real messages never have that event), so it
    never stands for, nor de-duplicates, a real message. NotFoundError for an unknown destination or rule;
    UsageError, naming the rule, the field and the fix, for a rule whose message cannot be rendered."""
    migrate(ctx)
    with ctx.store(read_only=True) as store:
        destinations = store.destinations_by_id(problems=[])
        rule = store.get_rule(rule_id).rule if rule_id else SAMPLE_RULE
    destination = destinations.get(destination_id)
    if destination is None:
        raise NotFoundError(
            f"no notification_destinations row with destination_id {destination_id}",
            hint="check the id, or list what is stored (lakealerts destinations list)",
        )
    now = ctx.now()
    value = SAMPLE_VALUE if rule is SAMPLE_RULE else triggering_value(rule, SAMPLE_VALUE)
    try:
        markup = kind_of(destination.destination_type).markup
        message = render_message(rule, str(AlertStatus.TRIGGERED), str(AlertStatus.OK), value, now, markup=markup)
    except Exception as error:  # a malformed template: the rule is at fault, not the destination; nothing is sent
        raise unrenderable(rule, error) from None
    message = replace(message, subject=TEST_SUBJECT_PREFIX + message.subject)
    channel = Channel(destination_id, destination.destination_type, destination.config_json)
    outbox = Outbox(ctx.settings.outbox_dir, SmtpSettings.from_env(ctx.env).sender)
    entry, copy = outbox.enqueue(channel, message, NotifyEvent.TEST, now)
    records = StoreRuntime(ctx.store, lambda: ctx.store(read_only=True))
    records.record([entry])
    enabled = {destination_id: destination.model_copy(update={"is_enabled": True})}
    (sent,) = replace(dispatcher(ctx), attempts=1).dispatch([entry], enabled, {entry.id: copy})
    final = replace(sent, next_attempt_at=None)  # a test is answered once: never sent again by a later round
    records.finish([final])
    return DestinationTest(destination_id, destination.destination_type.value, rule.alert_id, final,
                           destination.is_enabled)  # fmt: skip


def unrenderable(rule: AlertRule, error: Exception) -> UsageError:
    """The error for a rule whose message cannot be rendered: the template field that does not parse, why, and
    the fix (what ``validate`` reports as TEMPLATE_PARSE_ERROR)."""
    finding = render_blocker(rule)
    if finding is not None:
        return UsageError(f"rule {rule.alert_id}: {finding.field}: cannot render the message: {finding.message}",
                          finding.hint)  # fmt: skip
    return UsageError(
        f"rule {rule.alert_id}: cannot render the message: {type(error).__name__}: {error}",
        hint=f"fix custom_subject_template / custom_body_template (lakealerts validate --rule {rule.alert_id})",
    )
