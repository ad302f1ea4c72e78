"""``seed``: store the pre-built rules and the ``default_email`` destination they notify.

Without ``force`` only missing rules are inserted: a pre-built rule a user edited stays as they left it.
With ``force`` the pre-built rules are upserted back to their shipped documents by the store's MERGE, in one
transaction: it keeps ``created_*`` and the sync columns (so the Databricks alert keeps its identity) and
never leaves the table without the rules, as a delete-then-insert would. Rules with other ids are never
touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lakealerts.catalog import DEFAULT_DESTINATION_ID, DEFAULT_PACK, load_rules
from lakealerts.documents import parse_destinations
from lakealerts.errors import UsageError
from lakealerts.model import AlertRule, NotificationDestination
from lakealerts.options import DEFAULT_EMAIL
from lakealerts.store.store import Store


@dataclass
class SeedReport:
    """What ``seed`` did: pre-built rules inserted, restored (``--force``) and left alone; the destination."""

    inserted: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    destination: str = "unchanged"

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` shape of ``seed``."""
        return {
            "inserted": self.inserted,
            "restored": self.restored,
            "unchanged": self.unchanged,
            "destination": {"destination_id": DEFAULT_DESTINATION_ID, "status": self.destination},
        }


def seed_catalog(
    store: Store, now: datetime, *, force: bool = False, email: str | None = None, pack: str = DEFAULT_PACK
) -> SeedReport:
    """Store the rules of ``pack`` (missing ones, or all with ``force``) and the ``default_email`` destination.

    ``pack`` is ``gold`` (the 29, the default), ``system`` (the rules on Databricks system tables) or ``all``;
    ``force`` restores only that pack's rules. UsageError for an unknown pack, before anything is written.

    The destination is created when missing (address ``email``, default alerts@example.com) and changed only
    when ``email`` is given; UsageError if ``email`` is not an e-mail address.
    """
    rules = load_rules(pack)
    destination = default_destination(email or DEFAULT_EMAIL)
    report = SeedReport(destination=_seed_destination(store, destination, now, explicit=email is not None))
    if force:
        _restore(store, rules, now, report)
        return report
    report.inserted = store.insert_missing_rules(rules, now)
    inserted = set(report.inserted)
    report.unchanged = [rule.alert_id for rule in rules if rule.alert_id not in inserted]
    return report


def _restore(store: Store, rules: Sequence[AlertRule], now: datetime, report: SeedReport) -> None:
    """Upsert every pre-built rule to its shipped document, sorting ids into inserted/restored/unchanged."""
    ids = {rule.alert_id for rule in rules}
    # A hand-broken user row must not stop the restore: problems are collected and ignored here.
    stored = {s.rule.alert_id: s.rule for s in store.load_rules(problems=[]) if s.rule.alert_id in ids}
    store.upsert_rules(rules, now)
    for rule in rules:
        if rule.alert_id not in stored:
            report.inserted.append(rule.alert_id)
        elif stored[rule.alert_id] != rule:
            report.restored.append(rule.alert_id)
        else:
            report.unchanged.append(rule.alert_id)


def default_destination(address: str) -> NotificationDestination:
    """The EMAIL destination ``default_email`` sending to ``address``; UsageError if it is no address."""
    parsed = parse_destinations(
        [
            {
                "destination_id": DEFAULT_DESTINATION_ID,
                "destination_name": "Default alert e-mail",
                "destination_type": "EMAIL",
                "config_json": {"addresses": [address]},
                "owner": address,
                "tags": {"source": "lakealerts-catalog"},
            }
        ]
    )
    if parsed.problems:
        raise UsageError(f"--email {address!r} is not an e-mail address", hint="pass e.g. --email ops@example.com")
    return parsed.valid[0]


def _seed_destination(store: Store, destination: NotificationDestination, now: datetime, *, explicit: bool) -> str:
    """Create ``default_email`` when missing; rewrite it only when the address was given explicitly."""
    exists = any(s.destination.destination_id == DEFAULT_DESTINATION_ID for s in store.load_destinations())
    if exists and not explicit:
        return "unchanged"
    counts = store.upsert_destinations([destination], now)
    if counts.inserted:
        return "created"
    return "updated" if counts.updated else "unchanged"
