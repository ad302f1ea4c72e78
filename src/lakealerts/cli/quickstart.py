"""``lakealerts quickstart``: a first session on the embedded default, start to finish, in one command."""

from __future__ import annotations

import time
from datetime import datetime

import typer

from lakealerts import catalog, quartz
from lakealerts.catalog.seeding import seed_catalog
from lakealerts.cli import output
from lakealerts.cli.catalog import DEFAULT_DEMO_ROWS
from lakealerts.cli.common import now
from lakealerts.demo.generator import generate
from lakealerts.demo.model import DemoPlan
from lakealerts.model import StoredRule
from lakealerts.settings import Settings
from lakealerts.wiring import open_store


def quickstart(ctx: typer.Context) -> None:
    """Set up the embedded store under --home and show every rule with its schedule.

    Runs init, demo-data (as of today) and seed: the tables, the demo gold layer, the 29 pre-built rules
    and their default_email destination.
    Safe to run again: the demo tables are regenerated, and rules already stored are never overwritten.
    """
    settings: Settings = ctx.obj
    moment = now()
    with open_store(settings, require_tables=False) as store:
        created = store.init().created_tables
        output.info(
            f"[1/4] init: {len(created)} tables created in {settings.catalog}.{settings.schema} ({settings.store_path})"
        )
        started = time.perf_counter()
        demo = generate(store.engine, settings.namespace, DemoPlan(DEFAULT_DEMO_ROWS, moment.date()))
        output.info(
            f"[2/4] demo data: {demo.total_rows:,} rows in {len(demo.table_rows)} gold tables as of "
            f"{demo.as_of.isoformat()} ({time.perf_counter() - started:.2f} s)"
        )
        seeded = seed_catalog(store, moment)
        output.info(
            f"[3/4] pre-built rules: {len(seeded.inserted)} new, {len(seeded.unchanged)} already there; "
            f"destination {catalog.DEFAULT_DESTINATION_ID}: {seeded.destination}"
        )
        stored = store.load_rules(problems=[])
    output.info("[4/4] rules and their schedules:")
    output.table(None, ("id", "domain", "severity", "schedule", "timezone", "next run"), _rows(stored, moment))
    firing = ", ".join(sorted(catalog.expected_triggered()))
    output.info(f"on today's demo data these rules fire: {firing}")
    output.info("next: `lakealerts rules show COST-001`, `lakealerts validate`, `lakealerts eval`")


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
