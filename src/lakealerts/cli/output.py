"""All CLI output: one JSON document on stdout with ``--json``, rich tables for people, messages on stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from lakealerts.errors import LakeAlertsError
from lakealerts.findings import Finding
from lakealerts.values import terminal_text

# Piped output (CI logs, files, tests) gets room for whole ids instead of rich's 80-column default, unless
# COLUMNS says how wide it is.
_PIPE_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 200
stdout = Console(soft_wrap=True, width=_PIPE_WIDTH, emoji=False)  # user text like A:b:STEP stays as typed
stderr = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 200, emoji=False)


_emitted: list[bool] = []  # whether this process already wrote its one JSON document


def emit_json(value: Any) -> None:
    """Write exactly one JSON document to stdout (no rich markup, no wrapping)."""
    from lakealerts.app.files import dump_json

    sys.stdout.write(dump_json(value) + "\n")
    _emitted.append(True)


def error_json(code: str, message: str, hint: str | None) -> None:
    """``{"error": {"code", "message", "hint"}}`` on stdout, unless the command already wrote its document."""
    if not _emitted:
        emit_json({"error": {"code": code, "message": message, "hint": hint}})


def table(
    title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, whole: Sequence[str] = ()
) -> None:
    """A rich table on stdout for people: numbers rounded for reading (``readable``); the ``whole`` columns
    (ids, codes) are never broken across lines, the others wrap to fit the terminal."""
    view = Table(title=Text(safe(title), "table.title") if title else title, title_justify="left", header_style="bold")
    for column in columns:
        view.add_column(Text(safe(column)), overflow="fold", no_wrap=column in whole)
    for row in rows:  # cells are user text (a rule named "[/x]", "C:\\" or "\x1b[31m"): shown verbatim, never as markup
        view.add_row(*(Text(safe(readable(cell))) for cell in row))
    stdout.print(view)


def safe(text: str) -> str:
    """``text`` safe for a terminal: control characters (ESC, CR, C1, bidi overrides …) shown escaped, ESC as
    ``\\x1b``; line feeds and tabs kept. Every printer here uses it; a command printing on its own uses it too."""
    return terminal_text(text)


def readable(value: Any) -> str:
    """A cell for people: a fractional number rounded to 2 decimals with thousands separators
    (18093.177792999995 -> 18,093.18); everything else as it is. JSON documents keep the exact value."""
    if value is None:
        return ""
    if isinstance(value, float | Decimal) and not isinstance(value, bool):
        return f"{round(value, 2):,}"
    return str(value)


_PLAN_STYLES = (("  + ", "green"), ("  ~ drift", "magenta"), ("  ~ ", "yellow"), ("  - ", "red"), ("  ! ", "cyan"),
                ("      +", "green"), ("      -", "red"))  # fmt: skip


def plan(text: str) -> None:
    """A plan on stdout, coloured like terraform's on a terminal (rich drops the colours when piped)."""
    for line in safe(text).splitlines():
        style = next((style for prefix, style in _PLAN_STYLES if line.startswith(prefix)), None)
        stdout.print(line, style=style, highlight=False, markup=False)


def lines(texts: Iterable[str]) -> None:
    """Report lines on stdout for people (test results, a backtest report), verbatim and terminal-safe."""
    for text in texts:
        stdout.print(Text(safe(text)), highlight=False)


def info(message: str) -> None:
    """Progress and summaries for people, on stderr so stdout stays clean for data (verbatim: they quote rule
    names, errors and peers' answers, never markup)."""
    stderr.print(Text(safe(message)), highlight=False)


def problem(item: Finding) -> None:
    """One rejected rule or destination: which one, which field, what is wrong and how to fix it."""
    stderr.print(
        Text.assemble(
            ("✗", "red"), f" {safe(item.kind)} ", (safe(item.rule_id or "<no id>"), "bold"), ": ",
            (safe(item.field), "bold"), f": {safe(item.message)}\n    fix: {safe(item.hint or '')}",
        ),
        highlight=False,
    )  # fmt: skip


def error(exc: LakeAlertsError) -> None:
    """A user error: message and fix, no traceback."""
    text = Text.assemble(("error:", "red"), f" {safe(exc.message)}")
    if exc.hint:
        text.append(f"\n  fix: {safe(exc.hint)}")
    stderr.print(text, highlight=False)
