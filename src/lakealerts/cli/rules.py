"""``lakealerts rules …``: list, show, import and export alert rules."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag, finish_import, now
from lakealerts.errors import RuleProblem
from lakealerts.files import dump_json, dump_yaml
from lakealerts.settings import Settings
from lakealerts.usecases import import_rules, rule_details, rule_document
from lakealerts.wiring import open_store

rules_app = typer.Typer(help="Alert rules: list, show, import and export (YAML/JSON).", no_args_is_help=True)


class ExportFormat(StrEnum):
    """File formats of ``rules export``."""

    yaml = "yaml"
    json = "json"
    bundle = "bundle"


@rules_app.command("list")
def list_rules(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the stored rules. `--json` output re-imports unchanged with `rules import`."""
    with open_store(ctx.obj) as store:
        problems: list[RuleProblem] = []
        stored = store.load_rules(problems=problems)
    for problem in problems:  # a row broken by hand in SQL: named, and the others still listed
        output.problem(problem)
    if json_output:
        output.emit_json([rule_document(item) for item in stored])
        return
    rows = [
        (
            s.rule.alert_id,
            s.rule.alert_name,
            s.rule.agent_domain,
            s.rule.severity.value,
            f"{s.rule.schedule_cron} ({s.rule.schedule_timezone})",
            "yes" if s.rule.is_enabled else "no",
            s.sync.last_sync_status or "-",
        )
        for s in stored
    ]
    output.table(
        f"{len(stored)} rules in {ctx.obj.catalog}.{ctx.obj.schema}",
        ("id", "name", "domain", "severity", "schedule", "enabled", "sync"),
        rows,
    )


@rules_app.command("show")
def show_rule(
    ctx: typer.Context,
    alert_id: Annotated[str, typer.Argument(help="The rule's alert_id.")],
    json_output: JsonFlag = False,
) -> None:
    """Show one rule, its schedule in words and its next five fire times in the rule's timezone."""
    with open_store(ctx.obj) as store:
        stored = store.get_rule(alert_id)
    details = rule_details(stored, now())
    if json_output:
        output.emit_json(details)
        return
    rule = stored.rule
    condition = f"{rule.aggregation_type or 'FIRST'}({rule.threshold_column}) {rule.threshold_operator}"
    if rule.threshold_value is not None:
        condition += f" {rule.threshold_value!r}"
    output.table(
        f"{rule.alert_id} — {rule.alert_name}",
        ("field", "value"),
        [
            ("severity / domain", f"{rule.severity.value} / {rule.agent_domain}"),
            ("condition", condition),
            ("empty result", rule.empty_result_state.value),
            (
                "schedule",
                f"{rule.schedule_cron} — {details['schedule_description']} ({rule.schedule_timezone})",
            ),
            ("next fire times", "\n".join(details["next_fire_times"])),
            ("channels", ", ".join(rule.notification_channels) or "-"),
            ("owner", rule.owner),
            ("enabled / paused", f"{rule.is_enabled} / {rule.pause_status.value}"),
            ("query", rule.alert_query_template.strip()),
        ],
    )


@rules_app.command("import")
def import_command(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="YAML or JSON files: one mapping or a list of mappings.")],
    json_output: JsonFlag = False,
) -> None:
    """Upsert rules from files; valid rules are stored even when others are rejected (then exit 1).

    Keys are the columns of alert_configurations. Defaults: pause_status=UNPAUSED, is_enabled=true,
    notify_on_ok=false, use_custom_template=false, query_source=CUSTOM, empty_result_state=OK,
    schedule_timezone=UTC. Audit and sync keys are ignored; any other unknown key rejects the rule.
    """
    settings: Settings = ctx.obj
    with open_store(settings, require_tables=False) as store:
        store.init()
        report = import_rules(store, files, now())
    finish_import(report, "rules", json_output)


@rules_app.command("export")
def export_rules(
    ctx: typer.Context,
    format_: Annotated[
        ExportFormat,
        typer.Option("--format", help="yaml (default), json, or bundle (resources.alerts of an asset bundle)."),
    ] = ExportFormat.yaml,
    output_file: Annotated[Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    warehouse_id: Annotated[
        str, typer.Option("--warehouse-id", help="With --format bundle: the SQL warehouse of the alerts.")
    ] = "${var.warehouse_id}",
) -> None:
    """Export the stored rules as a file `rules import` reads back (user columns only), or with
    `--format bundle` as `resources.alerts` YAML for `databricks bundle deploy` (enabled, valid rules only).
    """
    settings: Settings = ctx.obj
    with open_store(settings) as store:
        problems: list[RuleProblem] = []
        stored = store.load_rules(problems=problems)
        destinations = store.load_destinations() if format_ is ExportFormat.bundle else []
    for problem in problems:
        output.problem(problem)
    if format_ is ExportFormat.bundle:
        from lakealerts.bundle_export import export_bundle  # imports the SDK: only for this format

        export = export_bundle(stored, destinations, settings.namespace, warehouse_id)
        for alert_id, reason in export.skipped:
            output.info(f"skipped {alert_id}: {reason}")
        text, count = export.to_yaml(), export.alert_count
    else:
        documents = [s.rule.model_dump(mode="json") for s in stored]
        text = dump_yaml(documents) if format_ is ExportFormat.yaml else dump_json(documents) + "\n"
        count = len(documents)
    if output_file is None:
        typer.echo(text, nl=False)
    else:
        output_file.write_text(text, encoding="utf-8")
        output.info(f"wrote {count} rules to {output_file}")
