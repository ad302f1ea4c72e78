"""A backtest's result as a value: per rule its mode, findings, summary, timeline and sweep; ``to_dict()`` is
DESIGN §12's ``--json`` document. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lakealerts.backtest.stats import Summary, TimelinePoint
from lakealerts.backtest.sweep import SweepPoint

LATERAL, PER_INSTANT = "lateral", "per_instant"


@dataclass(frozen=True)
class RuleBacktest:
    """One rule's replay."""

    alert_id: str
    alert_name: str
    operator: str
    threshold: Any
    mode: str
    summary: Summary
    timeline: list[TimelinePoint]
    sweep: list[SweepPoint] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # why a mode was chosen, what could not be replayed

    @property
    def has_errors(self) -> bool:
        """Whether any evaluation ended ERROR."""
        return self.summary.error > 0

    def to_dict(self) -> dict[str, Any]:
        """DESIGN §12's rule entry."""
        return {
            "alert_id": self.alert_id,
            "mode": self.mode,
            "findings": list(self.findings),
            "summary": self.summary.to_dict(),
            "timeline": [p.to_dict() for p in self.timeline],
            "sweep": [p.to_dict() for p in self.sweep],
        }


@dataclass(frozen=True)
class Backtest:
    """A whole run: its id, range, and every rule's replay."""

    run_id: str
    start: datetime
    end: datetime
    rules: list[RuleBacktest]
    step: str | None = None

    @property
    def has_errors(self) -> bool:
        """Whether any rule had an evaluation end ERROR (exit 1)."""
        return any(rule.has_errors for rule in self.rules)

    def to_dict(self) -> dict[str, Any]:
        """``backtest --json``: ``{"run_id", "from", "to", "rules": [...]}``."""
        return {"run_id": self.run_id, "from": self.start, "to": self.end,
                "rules": [rule.to_dict() for rule in self.rules]}  # fmt: skip
