"""A backtest for people: per rule the counts, a one-line state strip and the top episodes; and the timeline as
CSV. Pure (text in, text out)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from lakealerts.backtest.result import Backtest, RuleBacktest
from lakealerts.backtest.stats import FLAPPING_PERCENT, Episode, TimelinePoint

STRIP_WIDTH = 100
TOP_EPISODES = 5
_MARKS = {"OK": ".", "TRIGGERED": "#", "ERROR": "E", "UNKNOWN": "?"}
_RANK = {"#": 4, "E": 3, "?": 2, ".": 1, " ": 0}  # a bucket of the strip shows its most telling state
CSV_COLUMNS = ("alert_id", "at", "value", "state", "notified")


def strip(timeline: Sequence[TimelinePoint], width: int = STRIP_WIDTH) -> str:
    """One character per evaluation (``.`` OK, ``#`` TRIGGERED, ``E`` ERROR, ``?`` UNKNOWN); longer timelines are
    bucketed into ``width`` characters, each showing its bucket's most telling state (TRIGGERED, ERROR, UNKNOWN)."""
    marks = [_MARKS.get(p.state, "?") for p in timeline]
    if len(marks) <= width:
        return "".join(marks)
    buckets = []
    for i in range(width):
        chunk = marks[i * len(marks) // width : (i + 1) * len(marks) // width]
        buckets.append(max(chunk, key=lambda m: _RANK.get(m, 0)) if chunk else " ")
    return "".join(buckets)


def text(backtest: Backtest) -> str:
    """The whole run, one block per rule."""
    head = f"backtest {backtest.run_id}: {_when(backtest.start)} to {_when(backtest.end)}"
    if backtest.step:
        head += f", every {backtest.step}"
    blocks = [head] + [rule_text(rule) for rule in backtest.rules]
    return "\n\n".join(blocks) + "\n"


def rule_text(rule: RuleBacktest) -> str:
    """One rule: counts, the state strip, the top episodes, the sweep."""
    s = rule.summary
    flapping = " (flapping)" if s.percent_state_change_max > FLAPPING_PERCENT else ""
    lines = [
        f"{rule.alert_id}  {rule.alert_name}  [{rule.operator} {_value(rule.threshold)}, {rule.mode}]",
        f"  {s.evaluations} evaluations: {s.ok} OK, {s.triggered} TRIGGERED, {s.error} ERROR, {s.unknown} UNKNOWN; "
        f"{s.fires} fires, {s.notifications} notifications, {s.flaps} flaps; "
        f"triggered {100 * s.triggered_ratio:.1f} %, state change max {s.percent_state_change_max:.1f} %{flapping}",
        f"  |{strip(rule.timeline)}|",
    ]
    lines += [f"  note: {finding}" for finding in rule.findings]
    top = sorted(s.episodes, key=lambda e: (-e.evaluations, e.start))[:TOP_EPISODES]
    lines += [f"  episode {_episode(e)}" for e in top]
    if len(s.episodes) > len(top):
        lines.append(f"  … {len(s.episodes) - len(top)} more episodes")
    if rule.sweep:
        lines.append("  threshold  fires  notifications  triggered  flaps")
        for p in rule.sweep:
            ratio = f"{100 * p.triggered_ratio:.1f} %"
            lines.append(f"  {_value(p.threshold):>9}  {p.fires:>5}  {p.notifications:>13}  {ratio:>9}  {p.flaps:>5}")
    return "\n".join(lines)


def _episode(episode: Episode) -> str:
    end = _when(episode.end) if episode.end else "(still TRIGGERED)"
    return f"{_when(episode.start)} -> {end}: {episode.evaluations} evaluations, peak {_value(episode.peak_value)}"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else repr(value)
    return "NULL" if value is None else str(value)


def to_csv(backtest: Backtest) -> str:
    """Every rule's timeline, one row per evaluation: alert_id, at (ISO 8601 UTC), value, state, notified."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rule in backtest.rules:
        for point in rule.timeline:
            writer.writerow((rule.alert_id, point.at.astimezone(UTC).isoformat(), _csv_value(point.value),
                             point.state, str(point.notified).lower()))  # fmt: skip
    return buffer.getvalue()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, default=str)
