"""What the Alert Center's routes share: the process's context, the token, whether the UI may sync, which
workspace ``plan`` compares with, and what the scheduler last did."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lakealerts.app.context import AppContext, RemoteOptions


@dataclass
class SchedulerWatch:
    """The scheduler's rounds as the overview shows them (``serve`` records each round's start)."""

    running: bool = False
    rounds: int = 0
    last_tick: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, now: datetime) -> None:
        """One evaluation round started at ``now``."""
        with self._lock:
            self.rounds += 1
            self.last_tick = now

    def to_dict(self) -> dict[str, Any]:
        """``{"running", "rounds", "last_tick"}``."""
        return {"running": self.running, "rounds": self.rounds,
                "last_tick": self.last_tick.isoformat() if self.last_tick else None}  # fmt: skip


@dataclass(frozen=True)
class WebContext:
    """Everything a web route needs, built once by ``serve``."""

    ctx: AppContext
    token: str
    workspace_url: str | None = None  # serve's own stand-in; None: the SDK's auth chain (DATABRICKS_HOST, …)
    allow_sync: bool = False
    watch: SchedulerWatch = field(default_factory=SchedulerWatch)

    def remote(self) -> tuple[AppContext, RemoteOptions, str | None]:
        """The context, remote options and warehouse id ``plan``/``sync`` use: the workspace named by
        ``DATABRICKS_HOST`` when set, else this server's own stand-in with the serve token."""
        env = self.ctx.env
        warehouse = env.get("LAKEALERTS_WAREHOUSE_ID") or None
        if env.get("DATABRICKS_HOST") or self.workspace_url is None:
            return self.ctx, RemoteOptions(), warehouse
        local = self.ctx.replace(env={**env, "DATABRICKS_TOKEN": self.token})
        return local, RemoteOptions(host=self.workspace_url), warehouse
