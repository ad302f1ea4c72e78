"""A rule's chart as SVG, a pure function: (points, threshold, states, notifications) -> markup.

Points are bucketed by time (min, max and last value per bucket, the most alarming state per bucket) so 30 days
of minute evaluations draw as at most ``buckets`` (default 200) vertices. The chart is accessible: a
``<title>`` and ``<desc>`` summarise it, every band and tick has its own ``<title>``, and a legend writes the
state words beside their colours, so it reads without colour too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

MAX_BUCKETS = 200
#: Band colours per state (also used by the pages' badges); the legend names the states in words.
STATE_COLOURS = {"OK": "#1e8e3e", "TRIGGERED": "#d93025", "ERROR": "#b06000", "UNKNOWN": "#80868b"}
_RANK = {"TRIGGERED": 4, "ERROR": 3, "OK": 2, "UNKNOWN": 1}
_PAD_LEFT, _PAD_RIGHT, _PAD_TOP, _PAD_BOTTOM, _BAND = 64, 12, 26, 40, 12


@dataclass(frozen=True)
class Bucket:
    """The evaluations in [start, end): how many, the lowest, highest and last numeric value, the worst state."""

    start: datetime
    end: datetime
    count: int
    low: float | None
    high: float | None
    last: float | None
    state: str | None

    def to_dict(self) -> dict[str, Any]:
        """The series API's bucket: ``{"start", "end", "count", "min", "max", "last", "state"}``."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "count": self.count,
                "min": self.low, "max": self.high, "last": self.last, "state": self.state}  # fmt: skip


def numeric(value: Any) -> float | None:
    """The value as a float when it is a finite number (booleans and text are not plotted)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def bucket(
    points: Sequence[tuple[datetime, Any]],
    states: Sequence[tuple[datetime, str]],
    start: datetime,
    end: datetime,
    count: int = MAX_BUCKETS,
) -> list[Bucket]:
    """``count`` equal time buckets over [start, end) (at most MAX_BUCKETS), empty ones included."""
    count = max(1, min(count, MAX_BUCKETS))
    span = max((end - start).total_seconds(), 1e-6)
    width = (end - start) / count
    values: list[list[float]] = [[] for _ in range(count)]
    seen = [0] * count
    worst: list[str | None] = [None] * count
    for at, value in points:
        index = _index(at, start, span, count)
        if index is not None:
            seen[index] += 1
            number = numeric(value)
            if number is not None:
                values[index].append(number)
    for at, state in states:
        index = _index(at, start, span, count)
        if index is not None and _RANK.get(state, 0) >= _RANK.get(worst[index] or "", 0):
            worst[index] = state
    return [
        Bucket(start + width * i, start + width * (i + 1), seen[i], min(values[i]) if values[i] else None,
               max(values[i]) if values[i] else None, values[i][-1] if values[i] else None, worst[i])
        for i in range(count)
    ]  # fmt: skip


def _index(at: datetime, start: datetime, span: float, count: int) -> int | None:
    offset = (at - start).total_seconds()
    if offset < 0 or offset >= span:
        return None
    return min(count - 1, int(offset / span * count))


@dataclass(frozen=True)
class _Frame:
    """Maps time and value to SVG coordinates."""

    start: datetime
    end: datetime
    low: float
    high: float
    width: int
    height: int

    def x(self, at: datetime) -> float:
        span = max((self.end - self.start).total_seconds(), 1e-6)
        inner = self.width - _PAD_LEFT - _PAD_RIGHT
        return round(_PAD_LEFT + (at - self.start).total_seconds() / span * inner, 2)

    def y(self, value: float) -> float:
        inner = self.height - _PAD_TOP - _PAD_BOTTOM - _BAND
        return round(_PAD_TOP + (self.high - value) / (self.high - self.low) * inner, 2)

    @property
    def plot_bottom(self) -> float:
        return self.height - _PAD_BOTTOM - _BAND


def chart_svg(
    points: Sequence[tuple[datetime, Any]],
    threshold: float | None,
    states: Sequence[tuple[datetime, str]],
    notifications: Sequence[datetime],
    *,
    start: datetime,
    end: datetime,
    buckets: int = MAX_BUCKETS,
    title: str = "Value against threshold",
    width: int = 720,
    height: int = 260,
) -> str:
    """The chart of ``points`` (time, value) against ``threshold`` over [start, end), a band of ``states``
    under it and a tick per notification; at most ``buckets`` vertices (one per non-empty bucket)."""
    cells = bucket(points, states, start, end, buckets)
    frame = _frame(cells, threshold, start, end, width, height)
    drawn = [c for c in cells if c.last is not None]
    summary = _summary(len(points), drawn, threshold, cells, len(notifications))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'class="chart" aria-labelledby="chart-title chart-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(summary)}</desc>',
        *_axes(frame),
        *_band(cells, frame),
        *_ranges(drawn, frame),
        _line(drawn, frame),
        *_threshold(threshold, frame),
        *_ticks(notifications, frame),
        *_legend(frame),
        "</svg>",
    ]
    return "\n".join(part for part in parts if part)


def _frame(
    cells: Sequence[Bucket], threshold: float | None, start: datetime, end: datetime, width: int, height: int
) -> _Frame:
    known = [v for c in cells for v in (c.low, c.high) if v is not None]
    if threshold is not None and math.isfinite(threshold):
        known.append(threshold)
    low, high = (min(known), max(known)) if known else (0.0, 1.0)
    pad = (high - low) * 0.08 or max(abs(high) * 0.1, 1.0)
    return _Frame(start, end, low - pad, high + pad, width, height)


def _summary(total: int, drawn: Sequence[Bucket], threshold: float | None, cells: Sequence[Bucket], sent: int) -> str:
    states: dict[str, int] = {}
    for cell in cells:
        if cell.state:
            states[cell.state] = states.get(cell.state, 0) + 1
    words = ", ".join(f"{state} in {n} of {len(cells)} buckets" for state, n in sorted(states.items()))
    limit = "no threshold" if threshold is None else f"threshold {_number(threshold)}"
    latest = f"; last value {_number(drawn[-1].last)}" if drawn and drawn[-1].last is not None else ""
    return f"{total} evaluations in {len(drawn)} points against {limit}{latest}; {words or 'no states'}; " \
           f"{sent} notifications."  # fmt: skip


def _axes(frame: _Frame) -> list[str]:
    left, right, bottom = _PAD_LEFT, frame.width - _PAD_RIGHT, frame.plot_bottom
    labels = [(frame.high, frame.y(frame.high)), (frame.low, frame.y(frame.low))]
    out = ['<g class="axes" stroke="#5f6368" font-size="11" fill="#3c4043">',
           f'<line x1="{left}" y1="{_PAD_TOP}" x2="{left}" y2="{bottom}"/>',
           f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>']  # fmt: skip
    out += [f'<text x="{left - 4}" y="{y + 4}" text-anchor="end" stroke="none">{_number(v)}</text>' for v, y in labels]
    base = frame.height - 6
    out += [f'<text x="{left}" y="{base}" stroke="none">{escape(_when(frame.start))}</text>',
            f'<text x="{right}" y="{base}" text-anchor="end" stroke="none">{escape(_when(frame.end))}</text>',
            "</g>"]  # fmt: skip
    return out


def _band(cells: Sequence[Bucket], frame: _Frame) -> list[str]:
    """One rectangle per run of buckets with the same state, in that state's colour, titled in words."""
    runs: list[tuple[Bucket, Bucket]] = []
    for cell in cells:
        if cell.state is None:
            continue
        if runs and runs[-1][1].state == cell.state and runs[-1][1].end == cell.start:
            runs[-1] = (runs[-1][0], cell)
        else:
            runs.append((cell, cell))
    y = frame.plot_bottom + 2
    out = ['<g class="state-band">']
    for first, last in runs:
        state = str(first.state)
        x1, x2 = frame.x(first.start), frame.x(last.end)
        out.append(
            f'<rect class="band band-{escape(state)}" data-state={quoteattr(state)} x="{x1}" y="{y}" '
            f'width="{max(round(x2 - x1, 2), 0.5)}" height="{_BAND - 3}" fill="{_colour(state)}">'
            f"<title>{escape(state)} {escape(_when(first.start))} – {escape(_when(last.end))}</title></rect>"
        )
    out.append("</g>")
    return out


def _ranges(drawn: Sequence[Bucket], frame: _Frame) -> list[str]:
    """A min-max whisker per bucket that saw more than one value."""
    out = ['<g class="ranges" stroke="#8ab4f8" stroke-width="2">']
    for cell in drawn:
        if cell.low is not None and cell.high is not None and cell.high > cell.low:
            x = frame.x(cell.start + (cell.end - cell.start) / 2)
            out.append(f'<line x1="{x}" y1="{frame.y(cell.high)}" x2="{x}" y2="{frame.y(cell.low)}"/>')
    out.append("</g>")
    return out


def _line(drawn: Sequence[Bucket], frame: _Frame) -> str:
    vertices = " ".join(
        f"{frame.x(c.start + (c.end - c.start) / 2)},{frame.y(c.last)}" for c in drawn if c.last is not None
    )
    return (f'<polyline class="value" fill="none" stroke="#1a73e8" stroke-width="2" points="{vertices}">'
            f"<title>value (last per bucket)</title></polyline>")  # fmt: skip


def _threshold(threshold: float | None, frame: _Frame) -> list[str]:
    if threshold is None or not math.isfinite(threshold):
        return []
    y, label = frame.y(threshold), f"threshold {_number(threshold)}"
    return [
        f'<line class="threshold" x1="{_PAD_LEFT}" y1="{y}" x2="{frame.width - _PAD_RIGHT}" y2="{y}" '
        f'stroke="#d93025" stroke-dasharray="6 4" data-value="{threshold}"><title>{escape(label)}</title></line>',
        f'<text class="threshold-label" x="{frame.width - _PAD_RIGHT}" y="{y - 4}" text-anchor="end" '
        f'font-size="11" fill="#a50e0e">{escape(label)}</text>',
    ]


def _ticks(notifications: Sequence[datetime], frame: _Frame) -> list[str]:
    out = ['<g class="notifications" stroke="#7627bb" stroke-width="2">']
    for at in notifications:
        if frame.start <= at < frame.end:
            x = frame.x(at)
            out.append(f'<line class="notification" x1="{x}" y1="{_PAD_TOP - 10}" x2="{x}" y2="{_PAD_TOP - 2}">'
                       f"<title>notification {escape(_when(at))}</title></line>")  # fmt: skip
    out.append("</g>")
    return out


def _legend(frame: _Frame) -> list[str]:
    out = ['<g class="legend" font-size="11" fill="#3c4043">']
    x = _PAD_LEFT
    for state, colour in STATE_COLOURS.items():
        out.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{x + 14}" y="13">{state}</text>')  # fmt: skip
        x += 24 + 8 * len(state)
    out.append(f'<line x1="{x}" y1="9" x2="{x + 16}" y2="9" stroke="#d93025" stroke-dasharray="4 3"/>'
               f'<text x="{x + 20}" y="13">threshold</text>')  # fmt: skip
    x += 90
    out.append(f'<line x1="{x}" y1="4" x2="{x}" y2="14" stroke="#7627bb" stroke-width="2"/>'
               f'<text x="{x + 6}" y="13">notification</text>')  # fmt: skip
    out.append("</g>")
    return out


def _colour(state: str) -> str:
    return STATE_COLOURS.get(state, STATE_COLOURS["UNKNOWN"])


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")
