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
    ("README.md", "lakealerts plan --host http://127.0.0.1:8040"): "needs a running `serve` and an earlier sync",
    ("standin.md", "lakealerts --home .lakealerts serve --token s3cret"): "a server: runs until stopped",
    ("standin.md", "LAKEALERTS_TOKEN=s3cret lakealerts serve --bind 127.0.0.1 --port 8041"): "a server, as above",
    ("standin.md", "lakealerts sync --host http://127.0.0.1:8040"): "needs the `serve` above running",
}  # fmt: skip
_MASKS = (
    (re.compile(r"\b\d+(\.\d+)? ?m?s\b"), "<duration>"),
    (re.compile(r"real\s+\S+"), "real <duration>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}(T[\d:.]+([+-]\d{2}:\d{2}|Z)?)?"), "<date>"),
    (re.compile(r"[│┃]"), " "),
    (re.compile(r"\s+"), " "),
)


@dataclass
class Command:
    """A ``$ `` line of a fenced block and the output lines the docs show under it; or a file the docs show
    (a fenced block opened with ``file=NAME`` in its info string, e.g. ```` ```yaml file=my-rules.yaml ````),
    written into the working directory when the run reaches it."""

    line: int
    text: str
    shown: list[str] = field(default_factory=list)
    file: str | None = None


def commands(path: Path) -> list[Command]:
    """The ``$ `` commands and shown files of ``path``'s fenced blocks, in order."""
    found: list[Command] = []
    fenced, current, shown_file = False, None, None
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("```"):
            fenced, current = not fenced, None  # shown output ends with its block
            named = re.search(r"\bfile=(\S+)", stripped) if fenced else None
            shown_file = Command(number, "", file=named.group(1)) if named else None
            if shown_file is not None:
                found.append(shown_file)
            continue
        if shown_file is not None:
            shown_file.shown.append(raw)  # a file keeps its lines as written
        elif not fenced:
            continue
        elif stripped.startswith("$ "):
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


@dataclass
class DocRun:
    """What running one doc's commands gave."""

    ran: int = 0
    skipped: int = 0
    files: int = 0
    failures: list[str] = field(default_factory=list)


def run_doc(doc: Path, work: Path) -> DocRun:
    """Run ``doc``'s commands in order in ``work`` (a fresh home), writing its shown files when reached."""
    outcome = DocRun()
    (work / ".venv").mkdir(parents=True)
    (work / ".venv" / "bin").symlink_to(VENV_BIN)
    for shipped in ("tests", "examples"):  # the docs run from the repository root and read its files
        (work / shipped).symlink_to(ROOT / shipped)
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", "LAKEALERTS_USER": "docs",
           "COLUMNS": "200"}  # fmt: skip
    for name in ("LAKEALERTS_HOME", "LAKEALERTS_SMTP_URL", "DATABRICKS_HOST", "DATABRICKS_TOKEN"):
        env.pop(name, None)
    previous: int | None = None
    listed = commands(doc)
    for position, command in enumerate(listed):
        if command.file is not None:
            (work / command.file).write_text("\n".join(command.shown) + "\n")
            outcome.files += 1
            continue
        where = f"{doc.name}:{command.line}: $ {command.text}"
        reason = SKIPPED.get((doc.name, command.text))
        if reason is not None or (command.text == "echo $?" and previous is None):
            outcome.skipped += 1
            previous = None
            continue
        outcome.ran += 1
        if command.text == "echo $?":
            if command.shown != [str(previous)]:
                outcome.failures.append(f"{where}: exit code {previous}, the docs say {command.shown}")
            continue
        done = subprocess.run(["bash", "-c", command.text], cwd=work, env=env, capture_output=True, text=True,
                              timeout=120, check=False)  # fmt: skip
        previous = done.returncode
        following = listed[position + 1] if position + 1 < len(listed) else None
        if done.returncode != 0 and not (following and following.text == "echo $?"):
            outcome.failures.append(f"{where}: exit {done.returncode}\n{done.stderr[-2000:]}")
        missing = _shown_lines_missing(command.shown, done.stdout + "\n" + done.stderr)
        if missing:
            outcome.failures.append(f"{where}: lines shown in the docs but not printed: {missing}")
    return outcome


def test_documented_commands_run(tmp_path: Path) -> None:
    runs = [run_doc(doc, tmp_path / doc.stem) for doc in DOCS]
    ran, skipped, files = (sum(getattr(r, name) for r in runs) for name in ("ran", "skipped", "files"))
    print(f"\n{ran} documented commands run, {skipped} skipped (listed with the reason in SKIPPED), {files} files")
    assert ran >= 40
    failures = [failure for run in runs for failure in run.failures]
    assert not failures, "\n".join(failures)


def test_a_doc_that_no_longer_holds_fails(tmp_path: Path) -> None:
    doc = tmp_path / "example.md"
    doc.write_text(
        "```text file=hello.txt\nhello docs\n```\n\n"
        "```text\n$ cat hello.txt\nhello docs\n$ cat hello.txt   # the docs went stale\nhallo docs\n"
        "$ grep nothing hello.txt\n$ echo $?\n0\n$ false\n```\n"
    )
    outcome = run_doc(doc, tmp_path / "work")
    assert (outcome.ran, outcome.files) == (5, 1)
    assert outcome.failures == [
        "example.md:8: $ cat hello.txt: lines shown in the docs but not printed: ['hallo docs']",
        "example.md:11: $ echo $?: exit code 1, the docs say ['0']",
        "example.md:13: $ false: exit 1\n",
    ]


def test_skips_name_real_commands() -> None:
    documented = {(doc.name, command.text) for doc in DOCS for command in commands(doc) if command.file is None}
    assert set(SKIPPED) <= documented  # a stale skip (the command changed or left the docs) fails
