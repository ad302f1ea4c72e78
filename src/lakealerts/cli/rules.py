"""``lakealerts rules …``: list, show, import and export alert rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakealerts.app import rules as use
from lakealerts.app.context import AppContext
from lakealerts.app.rules import ExportFormat
from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag, finish_import

rules_app = typer.Typer(help="Alert rules: list, show, import and export (YAML/JSON).", no_args_is_help=True)


@rules_app.command("list")
def list_rules(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the stored rules. `--json` output re-imports unchanged with `rules import`."""
    app: AppContext = ctx.obj
    listed = use.list_rules(app)
    for problem in listed.problems:  # a row broken by hand in SQL: named, and the others still listed
        output.problem(problem)
    if json_output:
        output.emit_json(listed.to_dict())
        return
    stored = listed.rules
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
        f"{len(stored)} rules in {app.settings.catalog}.{app.settings.schema}",
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
    details = use.show_rule(ctx.obj, alert_id)
    if json_output:
        output.emit_json(details.to_dict())
        return
    rule = details.stored.rule
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
                f"{rule.schedule_cron} — {details.schedule_description} ({rule.schedule_timezone})",
            ),
            ("next fire times", "\n".join(moment.isoformat() for moment in details.next_fire_times)),
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
    finish_import(use.import_rules(ctx.obj, files), "rules", json_output)


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
    export = use.export_rules(ctx.obj, format_, warehouse_id)
    for problem in export.problems:
        output.problem(problem)
    for alert_id, reason in export.skipped:
        output.info(f"skipped {alert_id}: {reason}")
    text, count = export.text, export.count
    if output_file is None:
        typer.echo(text, nl=False)
    else:
        output_file.write_text(text, encoding="utf-8")
        output.info(f"wrote {count} rules to {output_file}")
