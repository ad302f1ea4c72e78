"""Runs one ``eval --notify`` round in a process that dies (``os._exit``, like ``kill -9``) in a chosen window
of the delivery path — the crash hooks of tests/integration/test_delivery_faults.py.

    python -m tests.crash_runner WINDOW HOME AT [CLOCK]

WINDOW: before_state_write | after_state_write | after_send | after_mark, or none (a round that lives).
AT is the instant the rules are evaluated as of; CLOCK (default AT) is the process's wall clock — what claims,
back-off and expiry run on — so a test can move it past a lease or 24 h without waiting.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from lakealerts.app.context import AppContext
from lakealerts.app.evaluate import evaluate
from lakealerts.app.settings import Settings
from lakealerts.runtime.channels import RegistryTransport
from lakealerts.store.runtime import StoreRuntime

DIED = 137  # what a shell reports for a process killed by SIGKILL


def _die_around(owner: Any, name: str, *, before: bool) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    def dying(*args: Any, **kwargs: Any) -> Any:
        if before:
            os._exit(DIED)
        result = original(*args, **kwargs)
        os._exit(DIED)
        return result  # pragma: no cover - never reached

    setattr(owner, name, dying)


WINDOWS = {
    "before_state_write": lambda: _die_around(StoreRuntime, "commit", before=True),
    "after_state_write": lambda: _die_around(StoreRuntime, "commit", before=False),
    "after_send": lambda: _die_around(RegistryTransport, "send", before=False),
    "after_mark": lambda: _die_around(StoreRuntime, "finish", before=False),
    "none": lambda: None,
}


def main() -> None:
    """Arm the window, then run the round as ``eval --notify --at AT`` would."""
    window, home, at = sys.argv[1], Path(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
    clock = datetime.fromisoformat(sys.argv[4]) if len(sys.argv) > 4 else at
    WINDOWS[window]()
    result = evaluate(AppContext(Settings(home=home), clock=lambda: clock), at=at, notify=True)
    sys.exit(1 if result.failed_deliveries or result.has_errors else 0)  # the window was never reached


if __name__ == "__main__":
    main()
