"""``lakealerts quickstart``: a first session on the embedded default, start to finish, in one command."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

import typer

from lakealerts.app.context import AppContext
from lakealerts.cli import output

if TYPE_CHECKING:
    from lakealerts.model import StoredRule


def quickstart(ctx: typer.Context) -> None:
    """A whole first session on the embedded default (DuckDB under --home), in one command.

    init → demo-data (as of today) → seed the 29 pre-built rules → validate → sync them to an in-process
    workspace stand-in (plan, then apply) → one `eval --notify` round, with messages written to the outbox.
    Safe to run again: the demo tables are regenerated, stored rules are never overwritten, and an alert
    that already notified does not notify twice.
    """
    from lakealerts import catalog
    from lakealerts.app import rules, setup

    app: AppContext = ctx.obj
    settings = app.settings
    created = setup.init_tables(app).report.created_tables
    output.info(f"[1/7] init: {len(created)} tables created in {settings.catalog}.{settings.schema} "
                f"({settings.store_path})")  # fmt: skip
    demo = setup.demo_data(app.replace(progress=lambda _message: None))
    output.info(f"[2/7] demo data: {demo.report.total_rows:,} rows in {len(demo.report.table_rows)} gold tables as of "
                f"{demo.report.as_of.isoformat()} ({demo.seconds:.2f} s)")  # fmt: skip
    seeded = setup.seed(app).report
    output.info(
        f"[3/7] pre-built rules: {len(seeded.inserted)} new, {len(seeded.unchanged)} already there; "
        f"destination {catalog.DEFAULT_DESTINATION_ID}: {seeded.destination}"
    )
    output.info("[4/7] rules and their schedules:")
    stored = rules.list_rules(app).rules
    output.table(None, ("id", "domain", "severity", "schedule", "timezone", "next run"), _rows(stored, app.now()))
    _validate(app)
    _sync(app)
    _evaluate(app)
    output.info("next: `lakealerts rules show COST-001`, `lakealerts history`, `lakealerts serve --token T` "
                "(evaluates on schedule), and the README for syncing to a real workspace")  # fmt: skip


def _validate(app: AppContext) -> None:
    from lakealerts.app.validate import validate_store

    report = validate_store(app).report
    invalid = sorted(report.invalid_ids)
    output.info(f"[5/7] validate: {len(report.results) - len(invalid)} of {len(report.results)} rules valid"
                + (f"; invalid: {', '.join(invalid)} (see `lakealerts validate`)" if invalid else ""))  # fmt: skip


def _sync(app: AppContext) -> None:
    """Sync to a stand-in started in this process on a free loopback port, with a throw-away token."""
    from lakealerts.app.quickstart import sync_to_local_standin
    from lakealerts.errors import SetupError

    try:
        url, result = sync_to_local_standin(app)
    except SetupError as error:  # e.g. `lakealerts serve` already holds this home's service store
        output.info(f"[6/7] sync: skipped — {error}")
        return
    output.info(f"[6/7] sync to the workspace stand-in at {url}:")
    output.plan(result.plan.to_text())
    counts = Counter(o.status for o in result.outcomes)
    output.info("        outcomes: " + ", ".join(f"{n} {status.lower()}" for status, n in sorted(counts.items()))
                + f"; success rate {result.success_rate:.0%}")  # fmt: skip


def _evaluate(app: AppContext) -> None:
    from lakealerts.app import evaluate

    runs = evaluate.evaluate(app, notify=True).runs
    triggered = [run.alert_id for run in runs if run.state == "TRIGGERED"]
    errors = [run.alert_id for run in runs if run.state == "ERROR"]
    deliveries = [d for run in runs for d in run.deliveries]
    output.info(f"[7/7] eval --notify: {len(triggered)} of {len(runs)} rules triggered: {', '.join(triggered)}"
                + (f"; ERROR: {', '.join(errors)}" if errors else ""))  # fmt: skip
    statuses = Counter(d.status for d in deliveries)
    where = ", ".join(f"{n} {status.lower()}" for status, n in sorted(statuses.items())) or "none new"
    output.info(
        f"        notifications: {where}; every message is in {app.settings.outbox_dir}/"
        + ("" if deliveries else " (an alert notifies on entering TRIGGERED, not again on later rounds)")
    )
    for reason, count in sorted(Counter(d.last_error for d in deliveries if d.status != "SENT").items(),
                                key=lambda item: str(item[0])):  # fmt: skip
        output.info(f"        {count} not sent: {reason}")
    if any(d.status == "SKIPPED" for d in deliveries):
        output.info("        to send e-mail, set LAKEALERTS_SMTP_URL=smtp://host:port (see the README)")


def _rows(stored: list[StoredRule], moment: datetime) -> list[tuple[str, ...]]:
    """One table row per rule: id, domain, severity, schedule in words, timezone, next fire time."""
    from lakealerts import quartz

    rows: list[tuple[str, ...]] = []
    for item in stored:
        rule = item.rule
        schedule = quartz.parse(rule.schedule_cron)
        next_fire = schedule.next_fire_time(moment, rule.schedule_timezone)
        rows.append(
            (
                rule.alert_id,
                rule.agent_domain,
                rule.severity.value,
                schedule.describe(),
                rule.schedule_timezone,
                next_fire.isoformat() if next_fire else "-",
            )
        )
    return rows
