"""The replay loop: instants in, rounds out — the one loop the scheduler, ``eval --at``, alert unit tests and
backtests drive (after promtool's ``for ts := mint; ts <= maxt; ts += interval { group.Eval(ts) }``)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from lakealerts.model import AlertRule, NotificationDestination
from lakealerts.runtime.ports import RoundResult, RuleRun


class Rounds(Protocol):
    """What runs one round (:class:`lakealerts.runtime.round.Runtime`)."""

    def full_round(
        self,
        rules: Sequence[AlertRule],
        destinations: Mapping[str, NotificationDestination],
        now: datetime,
        at: datetime | None = None,
    ) -> RoundResult:
        """Evaluate ``rules`` at ``now``, pinned to ``at`` when given."""
        ...


@dataclass(frozen=True)
class Instant:
    """When a round runs (``now``: history, state, messages) and the instant its SQL is pinned to (``at``;
    None lets the query read the engine's clock, as a live round does)."""

    now: datetime
    at: datetime | None = None

    @classmethod
    def pinned(cls, moment: datetime) -> Instant:
        """A round evaluated as of ``moment``: clock functions in the rule SQL read ``moment``."""
        return cls(moment, moment)


@dataclass(frozen=True)
class ReplayStep:
    """One round of a replay."""

    instant: Instant
    result: RoundResult

    @property
    def runs(self) -> list[RuleRun]:
        """Each rule's run in this round."""
        return self.result.runs


def replay(
    runtime: Rounds,
    rules: Sequence[AlertRule],
    destinations: Mapping[str, NotificationDestination],
    instants: Iterable[Instant],
) -> Iterator[ReplayStep]:
    """One round per instant, in order, through the real evaluator, state machine and notification policy."""
    for instant in instants:
        yield ReplayStep(instant, runtime.full_round(rules, destinations, instant.now, instant.at))
