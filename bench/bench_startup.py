"""Benchmark: how long commands take from the shell, as ratios to the floor measured in the same run.

The floor is what any command that reads the store pays: start Python, import DuckDB, open the store file.
Measured, each in a fresh process, alternating so that load hits them alike:

- ``lakealerts --help``;
- ``lakealerts rules list`` on the 29 pre-built rules (rows checked before, from the memo), and after the memo
  is removed (the model checks every row);
- ``lakealerts sync --host …`` that changes nothing, against a workspace stand-in on loopback (the pre-built
  rules and the default_email destination, synced once before);
- for reference, bare ``python`` and ``from databricks.sdk import WorkspaceClient`` (what a sync paid before it
  built its three services on one ApiClient).

Each line is the median (and best) of ``--repeats`` runs after one untimed run of each; the ratio is median over
the floor's median. Commands run without PYTHONDONTWRITEBYTECODE (:func:`without_bytecode_switch`).
``--compare SRC`` also times the three commands from another source tree (``SRC/lakealerts``, e.g. the previous
commit: ``git archive HEAD src | tar -x -C /tmp/before``) with its own home and stand-in, in the same run.

Run from the repository root: .venv/bin/python -m bench.bench_startup [--repeats 7] [--compare /tmp/before/src]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from lakealerts.app.settings import Settings
from lakealerts.serve import StandIn

TOKEN = "bench-startup-token"


def lakealerts_command() -> list[str]:
    """The installed ``lakealerts`` script beside this interpreter, else ``python -m lakealerts``."""
    script = Path(sys.executable).with_name("lakealerts")
    return [str(script)] if script.exists() else [sys.executable, "-m", "lakealerts"]


def run(command: Sequence[str], env: dict[str, str]) -> float:
    """Wall seconds of one run of ``command``, which must succeed."""
    started = time.perf_counter()
    done = subprocess.run(list(command), env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    assert done.returncode == 0, f"{' '.join(command)}: {done.stderr[-1500:]}"
    return seconds


Command = tuple[list[str], dict[str, str]]
FLOOR = "floor: python + import duckdb + open the store"


@contextmanager
def synced_home(root: Path, cli: list[str], env: dict[str, str]) -> Iterator[tuple[dict[str, str], str]]:
    """A home under ``root`` with the pre-built rules synced once to its own stand-in: (env, stand-in URL)."""
    env = {**env, "LAKEALERTS_HOME": str(root / "home"), "DATABRICKS_TOKEN": TOKEN}
    with StandIn.start(Settings(home=root / "standin"), TOKEN) as standin:
        for setup in (["init"], ["seed"], ["sync", "--host", standin.url]):
            run([*cli, *setup], env)
        yield env, standin.url


def lakealerts_commands(cli: list[str], env: dict[str, str], url: str, suffix: str = "") -> dict[str, Command]:
    """``--help``, ``rules list`` and a no-op ``sync`` with ``cli`` in ``env``."""
    return {
        f"lakealerts --help{suffix}": ([*cli, "--help"], env),
        f"lakealerts rules list{suffix}": ([*cli, "rules", "list"], env),
        f"lakealerts sync (nothing changed){suffix}": ([*cli, "sync", "--host", url], env),
    }


def listing_without_memo(env: dict[str, str]) -> Command:
    """``rules list`` after the memo of checked rows is removed: the model checks all 29 rows (what the first
    listing after an import, a sync or an upgrade pays). ``python -c`` removes it, then runs the CLI in place."""
    cache = Settings(home=Path(env["LAKEALERTS_HOME"])).cache_dir
    code = (
        f"import shutil, sys, runpy; shutil.rmtree({str(cache)!r}, ignore_errors=True); "
        "sys.argv = ['lakealerts', 'rules', 'list']; runpy.run_module('lakealerts', run_name='__main__')"
    )
    return [sys.executable, "-c", code], env


def without_bytecode_switch(env: dict[str, str]) -> dict[str, str]:
    """``env`` without PYTHONDONTWRITEBYTECODE: Python writes compiled modules by default, and a user's second
    command reads them; with the switch on (as on this build machine) every run compiles lakealerts' ~150
    modules again (~30 ms) while the floor's DuckDB comes compiled from site-packages."""
    return {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}


def main() -> None:
    """Prepare a home and a stand-in, time every command, print medians and ratios to the floor."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--compare", type=Path, help="another source tree (its src/) to time beside this one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp, ExitStack() as stack:
        base = without_bytecode_switch(dict(os.environ))
        env, url = stack.enter_context(synced_home(Path(tmp) / "this", lakealerts_command(), base))
        store = Settings(home=Path(env["LAKEALERTS_HOME"])).store_path
        opening = f"import duckdb; duckdb.connect({str(store)!r}, read_only=True).close()"
        commands: dict[str, Command] = {
            "python (bare interpreter)": ([sys.executable, "-c", "pass"], env),
            FLOOR: ([sys.executable, "-c", opening], env),
            **lakealerts_commands(lakealerts_command(), env, url),
            "lakealerts rules list (memo removed: the model checks every row)": listing_without_memo(env),
            "python + from databricks.sdk import WorkspaceClient": (
                [sys.executable, "-c", "from databricks.sdk import WorkspaceClient"],
                env,
            ),
        }
        if args.compare is not None:
            other = [sys.executable, "-m", "lakealerts"]
            paths = os.pathsep.join([str(args.compare.resolve()), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
            root = Path(tmp) / "other"
            other_env, other_url = stack.enter_context(synced_home(root, other, {**base, "PYTHONPATH": paths}))
            commands |= lakealerts_commands(other, other_env, other_url, f" [{args.compare}]")
        times: dict[str, list[float]] = {label: [] for label in commands}
        for command, command_env in commands.values():  # not timed: compiled modules written, memo filled
            run(command, command_env)
        for _ in range(args.repeats):
            for label, (command, command_env) in commands.items():
                times[label].append(run(command, command_env))
    report(times, args.repeats, args.compare)


def report(times: dict[str, list[float]], repeats: int, compare: Path | None) -> None:
    """One line per command: median, best, and the median's ratio to the floor's (and to the other tree's)."""
    floor = statistics.median(times[FLOOR])
    print(f"bench_startup: median (best) of {repeats} runs, each in a fresh process; ratio = median / floor median")
    for label, samples in times.items():
        median = statistics.median(samples)
        print(f"{label:<70} {median * 1000:7.0f} ms ({min(samples) * 1000:5.0f}) {median / floor:6.2f}x")
    if compare is not None:
        for label in lakealerts_commands([], {}, ""):
            other = statistics.median(times[f"{label} [{compare}]"])
            print(f"{label}: {other / statistics.median(times[label]):.2f}x faster than {compare}")


if __name__ == "__main__":
    main()
