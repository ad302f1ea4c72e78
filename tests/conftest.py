"""Shared test helpers: run the real CLI in a subprocess with its own home directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class CliResult:
    """Exit code and output of one CLI run."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed as the one JSON document ``--json`` promises."""
        return json.loads(self.stdout)


@dataclass
class Cli:
    """Runs ``python -m lakealerts --home <tmp> …`` like a user would."""

    home: Path

    def __call__(self, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> CliResult:
        # A fixed width: tables wrap at the terminal's width, which differs between a shell, CI and xdist workers.
        environment = {**os.environ, "LAKEALERTS_USER": "tester", "COLUMNS": "200", **(env or {})}
        completed = subprocess.run(
            [sys.executable, "-m", "lakealerts", "--home", str(self.home), *args],
            capture_output=True,
            text=True,
            env=environment,
            timeout=timeout,
            check=False,
        )
        return CliResult(completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """A CLI runner with a fresh home directory."""
    return Cli(tmp_path / "home")
