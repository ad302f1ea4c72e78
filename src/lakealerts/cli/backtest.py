"""``lakealerts backtest``: how rules would have behaved over past instants (DESIGN §12).

Top-level imports stay light (typer only): the use case and the renderers load when the command runs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer


def parse_instant(text: str, option: str) -> datetime:
    """An ISO 8601 instant or date; a naive one is read as UTC."""
    from lakealerts.errors import UsageError

    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise UsageError(
            f"{option} {text!r} is not an ISO 8601 instant", hint=f"e.g. {option} 2026-11-01T00:00:00Z"
        ) from error
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def backtest_command(
    ctx: typer.Context,
    alert_ids: Annotated[list[str] | None, typer.Argument(help="Rules to replay (or --all).")] = None,
    all_rules: Annotated[bool, typer.Option("--all", help="Every enabled rule.")] = False,
    start: Annotated[
        str, typer.Option("--from", help="First instant, ISO 8601 (naive = UTC), included.", show_default=False)
    ] = "",
    end: Annotated[str, typer.Option("--to", help="End of the range, ISO 8601, excluded.", show_default=False)] = "",
    step: Annotated[
        str | None, typer.Option("--step", help="Evaluate every 15m, 1h, 1d … instead of at the rules' fire times.")
    ] = None,
    sweep: Annotated[
        str | None,
        typer.Option("--sweep", metavar="A:B:STEP", help="Also re-judge the same results at thresholds A..B."),
    ] = None,
    max_evaluations: Annotated[
        int, typer.Option("--max-evaluations", min=1, help="Refuse (exit 2) a run with more evaluations.")
    ] = 10_000,
    flap_window: Annotated[
        int, typer.Option("--flap-window", min=0, help="An episode starting within N evaluations is a flap.")
    ] = 3,
    record: Annotated[bool, typer.Option("--record", help="Keep the run in the alert_backtests table.")] = False,
    mode: Annotated[
        str, typer.Option("--mode", help="auto (one LATERAL query per rule where possible), lateral, per_instant.")
    ] = "auto",
    query_timeout: Annotated[
        float, typer.Option("--query-timeout", min=0.1, help="Seconds a query may run; past it the rule is ERROR.")
    ] = 600.0,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", metavar="F", help="Write every evaluation as CSV to F ('-': stdout).")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Replay rules over past instants through the real evaluator, state machine and notification policy.

    Instants are each rule's Quartz fire times in its time zone in [--from, --to), or every --step. Counts
    fires, notifications (re-trigger and recovery settings included), episodes and flaps; --sweep re-judges the
    same query results at other thresholds without running the queries again. Nothing is written to
    alert_state and nothing is sent. Exit 1 when an evaluation ended ERROR; exit 2 over --max-evaluations.
    """
    import sys

    from lakealerts.app import backtest as use
    from lakealerts.backtest import report
    from lakealerts.cli import output
    from lakealerts.errors import UsageError

    if not start or not end:
        raise UsageError("--from and --to are required", hint="e.g. --from 2026-11-01 --to 2026-12-01")
    if json_output and csv_file is not None and str(csv_file) == "-":
        raise UsageError("--json and --csv - both write stdout", hint="write the CSV to a file: --csv timeline.csv")
    request = use.BacktestRequest(
        alert_ids=alert_ids or [], start=parse_instant(start, "--from"), end=parse_instant(end, "--to"),
        all_rules=all_rules, step=step, sweep=sweep, max_evaluations=max_evaluations, flap_window=flap_window,
        record=record, mode=mode,
    )  # fmt: skip
    result = use.backtest(ctx.obj.replace(query_timeout=query_timeout), request)
    if csv_file is not None:
        text = report.to_csv(result)
        if str(csv_file) == "-":
            sys.stdout.write(text)
        else:
            csv_file.write_text(text, encoding="utf-8")
            rows = sum(len(rule.timeline) for rule in result.rules)
            output.info(f"wrote {rows:,} evaluations to {csv_file}")
    if json_output:
        output.emit_json(result.to_dict())
    elif csv_file is None or str(csv_file) != "-":
        sys.stdout.write(output.safe(report.text(result)))  # it quotes rule names and errors: terminal-safe
    if record:
        output.info(f"recorded as run {result.run_id} in alert_backtests")
    if result.has_errors:
        raise typer.Exit(1)
