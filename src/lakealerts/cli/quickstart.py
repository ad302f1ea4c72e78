"""``lakealerts quickstart``: a first session on the embedded default, start to finish, in one command."""

from __future__ import annotations

import os
import secrets
import time
from collections import Counter
from datetime import datetime

import typer

from lakealerts import catalog, quartz
from lakealerts.catalog.seeding import seed_catalog
from lakealerts.cli import output
from lakealerts.cli.catalog import DEFAULT_DEMO_ROWS
from lakealerts.cli.common import now
from lakealerts.demo.generator import generate
from lakealerts.demo.model import DemoPlan
from lakealerts.model import AlertRule, StoredRule
from lakealerts.runtime.runner import run_round
from lakealerts.runtime.service import default_outbox
from lakealerts.settings import Settings
from lakealerts.store.store import Store
from lakealerts.usecases import validate_store
from lakealerts.wiring import open_store


def quickstart(ctx: typer.Context) -> None:
    """A whole first session on the embedded default (DuckDB under --home), in one command.

    init → demo-data (as of today) → seed the 29 pre-built rules → validate → sync them to an in-process
    workspace stand-in (plan, then apply) → one `eval --notify` round, with messages written to the outbox.
    Safe to run again: the demo tables are regenerated, stored rules are never overwritten, and an alert
    that already notified does not notify twice.
    """
    settings: Settings = ctx.obj
    moment = now()
    with open_store(settings, require_tables=False) as store:
        created = store.init().created_tables
        output.info(f"[1/7] init: {len(created)} tables created in {settings.catalog}.{settings.schema} "
                    f"({settings.store_path})")  # fmt: skip
        started = time.perf_counter()
        demo = generate(store.engine, settings.namespace, DemoPlan(DEFAULT_DEMO_ROWS, moment.date()))
        output.info(
            f"[2/7] demo data: {demo.total_rows:,} rows in {len(demo.table_rows)} gold tables as of "
            f"{demo.as_of.isoformat()} ({time.perf_counter() - started:.2f} s)"
        )
        seeded = seed_catalog(store, moment)
        output.info(
            f"[3/7] pre-built rules: {len(seeded.inserted)} new, {len(seeded.unchanged)} already there; "
            f"destination {catalog.DEFAULT_DESTINATION_ID}: {seeded.destination}"
        )
        stored = store.load_rules(problems=[])
        output.info("[4/7] rules and their schedules:")
        output.table(None, ("id", "domain", "severity", "schedule", "timezone", "next run"), _rows(stored, moment))
        _validate(store, moment)
        _sync(store, settings)
        _evaluate(store, settings, [s.rule for s in stored if s.rule.is_enabled], moment)
    output.info("next: `lakealerts rules show COST-001`, `lakealerts history`, `lakealerts serve --token T` "
                "(evaluates on schedule), and the README for syncing to a real workspace")  # fmt: skip


def _validate(store: Store, moment: datetime) -> None:
    _, report = validate_store(store, store.engine, moment)
    invalid = sorted(report.invalid_ids)
    output.info(f"[5/7] validate: {len(report.results) - len(invalid)} of {len(report.results)} rules valid"
                + (f"; invalid: {', '.join(invalid)} (see `lakealerts validate`)" if invalid else ""))  # fmt: skip


def _sync(store: Store, settings: Settings) -> None:
    """Sync to a stand-in started in this process on a free loopback port, with a throw-away token."""
    from lakealerts.errors import SetupError
    from lakealerts.standin.server import StandIn
    from lakealerts.sync.client import LOCAL_WAREHOUSE_ID, workspace_client
    from lakealerts.sync.remote import RemoteWorkspace
    from lakealerts.sync.run import SyncOptions, run_sync

    token = secrets.token_urlsafe(16)
    try:
        standin = StandIn.start(settings, token)
    except SetupError as error:  # e.g. `lakealerts serve` already holds this home's service store
        output.info(f"[6/7] sync: skipped — {error}")
        return
    with standin:
        client = workspace_client(standin.url, None, 30.0, env={"DATABRICKS_TOKEN": token})
        result = run_sync(store, RemoteWorkspace(client), SyncOptions(LOCAL_WAREHOUSE_ID), clock=now, env=os.environ)
        output.info(f"[6/7] sync to the workspace stand-in at {standin.url}:")
        output.stdout.print(result.plan.to_text(), highlight=False, markup=False)
        counts = Counter(o.status for o in result.outcomes)
        output.info("        outcomes: " + ", ".join(f"{n} {status.lower()}" for status, n in sorted(counts.items()))
                    + f"; success rate {result.success_rate:.0%}")  # fmt: skip


def _evaluate(store: Store, settings: Settings, rules: list[AlertRule], moment: datetime) -> None:
    destinations = store.destinations_by_id()
    runs = run_round(store, rules, destinations, moment, outbox=default_outbox(store, settings, os.environ))
    triggered = [run.alert_id for run in runs if run.state == "TRIGGERED"]
    errors = [run.alert_id for run in runs if run.state == "ERROR"]
    deliveries = [d for run in runs for d in run.deliveries]
    output.info(f"[7/7] eval --notify: {len(triggered)} of {len(runs)} rules triggered: {', '.join(triggered)}"
                + (f"; ERROR: {', '.join(errors)}" if errors else ""))  # fmt: skip
    statuses = Counter(d.status for d in deliveries)
    where = ", ".join(f"{n} {status.lower()}" for status, n in sorted(statuses.items())) or "none new"
    output.info(f"        notifications: {where} (an alert notifies on entering TRIGGERED, not again); "
                f"every message is in {settings.outbox_dir}/")  # fmt: skip
    if not os.environ.get("LAKEALERTS_SMTP_URL"):
        output.info("        e-mail is SKIPPED without LAKEALERTS_SMTP_URL (smtp://host:port): see the .eml files")


def _rows(stored: list[StoredRule], moment: datetime) -> list[tuple[str, ...]]:
    """One table row per rule: id, domain, severity, schedule in words, timezone, next fire time."""
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
