"""All CLI output: one JSON document on stdout with ``--json``, rich tables for people, messages on stderr."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from lakealerts.app.files import dump_json
from lakealerts.errors import LakeAlertsError
from lakealerts.findings import Finding

# Piped output (CI logs, files, tests) gets room for whole ids instead of rich's 80-column default.
_PIPE_WIDTH = None if sys.stdout.isatty() else 200
stdout = Console(soft_wrap=True, width=_PIPE_WIDTH)
stderr = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 200)


def emit_json(value: Any) -> None:
    """Write exactly one JSON document to stdout (no rich markup, no wrapping)."""
    sys.stdout.write(dump_json(value) + "\n")


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """A rich table on stdout for people."""
    view = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        view.add_column(column, overflow="fold")
    for row in rows:
        view.add_row(*("" if cell is None else str(cell) for cell in row))
    stdout.print(view)


_PLAN_STYLES = (("  + ", "green"), ("  ~ drift", "magenta"), ("  ~ ", "yellow"), ("  - ", "red"), ("  ! ", "cyan"),
                ("      +", "green"), ("      -", "red"))  # fmt: skip


def plan(text: str) -> None:
    """A plan on stdout, coloured like terraform's on a terminal (rich drops the colours when piped)."""
    for line in text.splitlines():
        style = next((style for prefix, style in _PLAN_STYLES if line.startswith(prefix)), None)
        stdout.print(line, style=style, highlight=False, markup=False)


def info(message: str) -> None:
    """Progress and summaries for people, on stderr so stdout stays clean for data."""
    stderr.print(message, highlight=False)


def problem(item: Finding) -> None:
    """One rejected rule: which rule, which field, what is wrong and how to fix it."""
    stderr.print(
        f"[red]✗[/red] rule [bold]{_escape(item.rule_id or '<no id>')}[/bold]: [bold]{_escape(item.field)}[/bold]: "
        f"{_escape(item.message)}\n    fix: {_escape(item.hint or '')}",
        highlight=False,
    )


def error(exc: LakeAlertsError) -> None:
    """A user error: message and fix, no traceback."""
    text = f"[red]error:[/red] {_escape(exc.message)}"
    if exc.hint:
        text += f"\n  fix: {_escape(exc.hint)}"
    stderr.print(text, highlight=False)


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
