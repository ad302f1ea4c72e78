"""``lakealerts quickstart``: a first session on the embedded default, start to finish, in one command."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

from lakealerts import quartz
from lakealerts.cli import output
from lakealerts.cli.common import now
from lakealerts.settings import Settings
from lakealerts.usecases import import_destinations, import_rules
from lakealerts.wiring import open_store


def _example(name: str) -> Path:
    return Path(str(resources.files("lakealerts.examples").joinpath(name)))


def quickstart(ctx: typer.Context) -> None:
    """Set up the embedded store (DuckDB under --home), load example rules, and show their schedules.

    Safe to run again: every step is idempotent and never overwrites rules you changed.
    """
    settings: Settings = ctx.obj
    moment = now()
    with open_store(settings, require_tables=False) as store:
        created = store.init().created_tables
        output.info(
            f"[1/3] init: {len(created)} tables created in {settings.catalog}.{settings.schema} ({settings.store_path})"
        )
        destinations = import_destinations(store, [_example("destinations.yaml")], moment)
        rules = import_rules(store, [_example("rules.yaml")], moment)
        output.info(
            f"[2/3] example destinations: {destinations.inserted} new; "
            f"example rules: {rules.inserted} new, {rules.unchanged} already there"
        )
        stored = store.load_rules()
    rows = []
    for item in stored:
        rule = item.rule
        schedule = quartz.parse(rule.schedule_cron)
        next_fire = schedule.next_fire_time(moment, rule.schedule_timezone)
        rows.append(
            (
                rule.alert_id,
                rule.severity.value,
                schedule.describe(),
                rule.schedule_timezone,
                next_fire.isoformat() if next_fire else "-",
            )
        )
    output.info("[3/3] rules and their schedules:")
    output.table(None, ("id", "severity", "schedule", "timezone", "next run"), rows)
    output.info("next: `lakealerts rules show EXAMPLE-COST-001`, `lakealerts rules export > my-rules.yaml`")
