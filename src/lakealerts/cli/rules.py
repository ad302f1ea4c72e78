"""``lakealerts rules …``: list, show, import and export alert rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakealerts.app.context import AppContext
from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag, finish_import
from lakealerts.options import ExportFormat

rules_app = typer.Typer(help="Alert rules: list, show, import and export (YAML/JSON).", no_args_is_help=True)


@rules_app.command("list")
def list_rules(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the stored rules. `--json` output re-imports unchanged with `rules import`."""
    app: AppContext = ctx.obj
    if json_output:
        from lakealerts.app import rules as use

        listed = use.list_rules(app)
        for problem in listed.problems:  # a row broken by hand in SQL: named, and the others still listed
            output.problem(problem)
        output.emit_json(listed.to_dict())
        return
    from lakealerts.app.rule_listing import summarize_rules

    summaries = summarize_rules(app)
    for problem in summaries.problems:
        output.problem(problem)
    rows = [
        (
            rule.alert_id,
            rule.alert_name,
            rule.agent_domain,
            rule.severity,
            f"{rule.schedule_cron} ({rule.schedule_timezone})",
            "yes" if rule.is_enabled else "no",
            rule.last_sync_status or "-",
        )
        for rule in summaries.rules
    ]
    output.table(
        f"{len(rows)} rules in {app.settings.catalog}.{app.settings.schema}",
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
    from lakealerts.app import rules as use

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
            (
                "next fire times",
                "\n".join(moment.isoformat() for moment in details.next_fire_times)
                or "never (the schedule has no fire time after now)",
            ),
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
    prune: Annotated[
        bool,
        typer.Option("--prune", help="The files are the source of truth: delete stored rules they do not hold."),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change; write nothing.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """Upsert rules from files; valid rules are stored even when others are rejected (then exit 1).

    Keys are the columns of alert_configurations. Defaults: pause_status=UNPAUSED, is_enabled=true,
    notify_on_ok=false, use_custom_template=false, query_source=CUSTOM, empty_result_state=OK,
    schedule_timezone=UTC. Audit and sync keys are ignored; any other unknown key rejects the rule.

    With --prune, stored rules whose id is in none of the files are deleted (a rejected rule still counts as
    present), and the next `sync` retires their alerts per --delete-policy. A file that names no rule (empty,
    comments only) is refused with --prune (exit 2): the rules it held would be deleted.
    """
    from lakealerts.app import rules as use

    report = use.import_rules(ctx.obj, files, prune=prune, dry_run=dry_run)
    if report.pruned is not None and not json_output:
        verb = "would delete" if dry_run else "deleted"
        output.info(f"--prune {verb} {len(report.pruned)} rules not in the files: {', '.join(report.pruned) or '-'}")
    finish_import(report, "rules (dry run, nothing written)" if dry_run else "rules", json_output)


@rules_app.command("delete")
def delete_command(
    ctx: typer.Context,
    alert_ids: Annotated[list[str], typer.Argument(help="The rules' alert_ids.")],
    json_output: JsonFlag = False,
) -> None:
    """Delete rules on purpose. Their Databricks alerts stay recorded as this store's: the next `sync` deletes
    them per --delete-policy (keep: listed as skipped, "rule deleted, kept by policy"). Unknown id: exit 2."""
    from lakealerts.app import rules as use

    result = use.delete_rules(ctx.obj, alert_ids)
    if json_output:
        output.emit_json(result.to_dict())
    else:
        output.info(f"deleted {len(result.deleted)} rules: {', '.join(result.deleted)}; `lakealerts plan` shows "
                    "what the next sync does with their alerts")  # fmt: skip


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
    run_as: Annotated[
        str | None,
        typer.Option(
            "--run-as",
            help="With --format bundle: who the alerts run as unless their rule sets run_as — a user's e-mail or "
            "a service principal's application id (default: whoever deploys the bundle).",
        ),
    ] = None,
) -> None:
    """Export the stored rules as a file `rules import` reads back (user columns only), or with
    `--format bundle` as `resources.alerts` YAML for `databricks bundle deploy` (enabled, valid rules only;
    destinations as lookup variables by display name; no pause_status unless paused, so `-t dev` pauses them).
    """
    from lakealerts.app import rules as use

    export = use.export_rules(ctx.obj, format_, warehouse_id, run_as)
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
