"""Docs that run (issue 21): every ``$ `` command in a fenced block of README.md and docs/*.md runs, in order per
file, in a fresh home, and its exit code — and the output lines the docs show — are checked.

A command is skipped only when it is listed in ``SKIPPED`` with the reason (it needs a file the docs do not show,
a real workspace or a long-running server); a ``$ echo $?`` line checks the exit code of the command before it.
Shown output lines are compared after masking what changes from run to run (durations, ports, dates), ignoring
runs of whitespace and the box-drawing padding of tables; a line with ``…`` stands for what the docs left out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parent.parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
VENV_BIN = Path(sys.executable).parent

# (file, the command as written) -> why it is not run here.
SKIPPED: dict[tuple[str, str], str] = {
    ("README.md", ".venv/bin/lakealerts rules import my-rules.yaml"): "the file with five bad rules is not shown",
    ("README.md", ".venv/bin/lakealerts rules show GOOD-1 --json | jq '.schedule_description, .next_fire_times'"):
        "GOOD-1 comes from that file",
    ("README.md", "lakealerts validate --json | jq '.[] | select(.is_valid == false)'"):
        "BAD-SQL comes from a file that is not shown",
    ("README.md", "lakealerts plan --host http://127.0.0.1:8040"): "needs a running `serve` and an earlier sync",
    ("README.md", "cat my-rules.yaml"): "the file is shown abridged (…)",
    ("README.md", "lakealerts validate"): "validates that abridged file",
    ("README.md", "lakealerts --var sku_pattern=\"'%ALL_PURPOSE%'\" eval --at 2026-03-10T08:00:00Z"):
        "evaluates that abridged file",
    ("README.md", "LAKEALERTS_VAR_sku_pattern=\"'%JOBS%'\" lakealerts eval --at 2026-03-10T08:00:00Z --json | "
                  "jq -c '.[] | [.state, .value]'"): "evaluates that abridged file",
    ("README.md", "lakealerts data load orders.parquet --table prod.sales.orders"): "orders.parquet is not shown",
    ("README.md", "lakealerts data list"): "lists the table loaded from orders.parquet",
    ("README.md", "lakealerts rules import my-rules.yaml"): "the file is not shown",
    ("README.md", "lakealerts eval --at 2026-03-10T08:00:00Z"): "evaluates the rules of that file",
}  # fmt: skip
_MASKS = (
    (re.compile(r"\b\d+(\.\d+)? ?m?s\b"), "<duration>"),
    (re.compile(r"real\s+\S+"), "real <duration>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}(T[\d:.]+([+-]\d{2}:\d{2}|Z)?)?"), "<date>"),
    (re.compile(r"[│┃]"), " "),
    (re.compile(r"\s+"), " "),
)


@dataclass
class Command:
    """A ``$ `` line of a fenced block and the output lines the docs show under it."""

    line: int
    text: str
    shown: list[str] = field(default_factory=list)


def commands(path: Path) -> list[Command]:
    """The ``$ `` commands of ``path``'s fenced blocks, in order."""
    found: list[Command] = []
    fenced, current = False, None
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("```"):
            fenced, current = not fenced, None  # shown output ends with its block
            continue
        if not fenced:
            continue
        if stripped.startswith("$ "):
            current = Command(number, _without_comment(stripped[2:]))
            found.append(current)
        elif current is not None and stripped:
            current.shown.append(stripped)
    return found


def _without_comment(text: str) -> str:
    return re.sub(r"\s+#[^'\"]*$", "", text).strip()


def _normal(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text.strip(" ─━┏┓┗┛┡┩└┘┳┻╇┴┬")


def _shown_lines_missing(shown: list[str], output: str) -> list[str]:
    produced = {_normal(line) for line in output.splitlines()}
    return [line for line in shown if "…" not in line and _normal(line) and _normal(line) not in produced]


def test_documented_commands_run(tmp_path: Path) -> None:
    ran = skipped = 0
    failures: list[str] = []
    for doc in DOCS:
        work = tmp_path / doc.stem
        (work / ".venv").mkdir(parents=True)
        (work / ".venv" / "bin").symlink_to(VENV_BIN)
        env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", "LAKEALERTS_USER": "docs",
               "COLUMNS": "200"}  # fmt: skip
        for name in ("LAKEALERTS_HOME", "LAKEALERTS_SMTP_URL", "DATABRICKS_HOST", "DATABRICKS_TOKEN"):
            env.pop(name, None)
        previous: int | None = None
        for command in commands(doc):
            where = f"{doc.name}:{command.line}: $ {command.text}"
            reason = SKIPPED.get((doc.name, command.text))
            if reason is not None or (command.text == "echo $?" and previous is None):
                skipped += 1
                previous = None
                continue
            ran += 1
            if command.text == "echo $?":
                if command.shown != [str(previous)]:
                    failures.append(f"{where}: exit code {previous}, the docs say {command.shown}")
                continue
            done = subprocess.run(["bash", "-c", command.text], cwd=work, env=env, capture_output=True, text=True,
                                  timeout=120, check=False)  # fmt: skip
            previous = done.returncode
            following = _next(doc, command)
            if done.returncode != 0 and not (following and following.text == "echo $?"):
                failures.append(f"{where}: exit {done.returncode}\n{done.stderr[-2000:]}")
            missing = _shown_lines_missing(command.shown, done.stdout + "\n" + done.stderr)
            if missing:
                failures.append(f"{where}: lines shown in the docs but not printed: {missing}")
    print(f"\n{ran} documented commands run, {skipped} skipped (listed with the reason in SKIPPED)")
    assert ran >= 5
    assert not failures, "\n".join(failures)


def _next(doc: Path, command: Command) -> Command | None:
    listed = commands(doc)
    position = next(i for i, c in enumerate(listed) if c.line == command.line)
    return listed[position + 1] if position + 1 < len(listed) else None


def test_skips_name_real_commands() -> None:
    documented = {(doc.name, command.text) for doc in DOCS for command in commands(doc)}
    assert set(SKIPPED) <= documented  # a stale skip (the command changed or left the docs) fails
