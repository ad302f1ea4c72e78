"""``lakealerts test``: alert unit tests from ``*.test.yaml`` files, with promtool's flags and exit codes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lakealerts.app.context import AppContext
from lakealerts.cli import output
from lakealerts.cli.common import JsonFlag
from lakealerts.errors import UsageError


def test_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Test files (*.test.yaml) or directories holding them; with --init, the directory to write the "
            "starter to (default: here)."
        ),
    ] = None,
    run: Annotated[
        list[str] | None,
        typer.Option("--run", metavar="REGEX", help="Only tests and routing checks whose name matches (repeatable)."),
    ] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Also write a JUnit XML report to this file.")] = None,
    coverage: Annotated[
        bool, typer.Option("--coverage", help="Show which rules have tests and what they reached.")
    ] = False,
    coverage_threshold: Annotated[
        float | None,
        typer.Option("--coverage-threshold", min=0, max=100, help="Exit 1 when fewer rules (percent) have a test."),
    ] = None,
    diff: Annotated[
        bool, typer.Option("--diff", help="Show each failure as expected (-) and actual (+) lines.")
    ] = False,
    init: Annotated[
        str | None,
        typer.Option(
            "--init",
            metavar="ID",
            help="Write a starter test file <ID>.test.yaml for this rule id (into PATH, if given).",
        ),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Run alert unit tests: fixtures in, states and messages out, without a workspace.

    The file format, with an example: the README, section "Testing alerts". Start one with
    `lakealerts test --init RULE_ID [DIR]`.

    Exit 0 when everything passes (and coverage reaches the threshold), 1 on a failure or low coverage,
    2 for an unreadable or invalid file (file:line) or an unknown rule.
    """
    from lakealerts.app import alerttest as use

    app: AppContext = ctx.obj
    if init is not None:
        written = use.init_test_file(app, init, paths[0] if paths else None)
        output.info(f"wrote {written}: fill in the fixture rows and expectations, then run `lakealerts test {written}`")
        return
    if not paths:
        raise UsageError("no test file given", hint="lakealerts test tests/alerts/ (or --init RULE_ID for a start)")
    report = use.run_tests(app, paths, use.TestOptions(tuple(run or ())))
    if junit is not None:
        junit.write_text(use.junit_xml(report), encoding="utf-8")
    if json_output:
        output.emit_json(report.to_dict())
    else:
        output.lines(use.text_lines(report, diff))  # expected and actual quote fixtures: shown terminal-safe
        if coverage or coverage_threshold is not None:
            output.lines(use.coverage_lines(report.coverage))
    low = coverage_threshold is not None and report.coverage.percent < coverage_threshold
    if low:
        output.info(f"coverage {report.coverage.percent:g}% is below --coverage-threshold {coverage_threshold:g}%")
    if not report.all_passed or low:
        raise typer.Exit(1)
