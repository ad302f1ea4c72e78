"""The pure core of backtesting (DESIGN §12): instants, statistics, the sweep, the text strip and CSV."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lakealerts.backtest import instants as when
from lakealerts.backtest.lateral import ROW_COLUMN, lateral_sql, shape_problem
from lakealerts.backtest.report import strip, text, to_csv
from lakealerts.backtest.result import Backtest, RuleBacktest
from lakealerts.backtest.stats import (
    TimelinePoint,
    episodes,
    flaps,
    max_percent_state_change,
    percent_state_change,
    summarize,
)
from lakealerts.backtest.sweep import QueryRecord, check_sweepable, judge, parse_sweep, replay_policy, sweep
from lakealerts.errors import UsageError
from lakealerts.runtime.state import NotifyEvent
from tests.builders import make_rule

pytestmark = pytest.mark.unit

T0 = datetime(2026, 11, 1, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")


def timeline(states: str, values: list[float] | None = None) -> list[TimelinePoint]:
    """``"OTEU"`` -> OK, TRIGGERED, ERROR, UNKNOWN points one hour apart."""
    names = {"O": "OK", "T": "TRIGGERED", "E": "ERROR", "U": "UNKNOWN"}
    return [
        TimelinePoint(T0 + timedelta(hours=i), (values or [float(i)] * len(states))[i], names[s])
        for i, s in enumerate(states)
    ]


# --- instants --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text_", "delta"), [("15m", timedelta(minutes=15)), ("1h", timedelta(hours=1)),
                                              ("1d", timedelta(days=1)), ("90M", timedelta(minutes=90))])  # fmt: skip
def test_steps_parse(text_: str, delta: timedelta) -> None:
    assert when.parse_step(text_) == delta


@pytest.mark.parametrize("bad", ["", "0h", "1w", "h", "1.5h", "-1d", "1000000000d", "99999999999d", "9" * 30 + "m"])
def test_bad_steps_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageError, match="--step"):
        when.parse_step(bad)


def test_step_instants_are_half_open() -> None:
    times = when.step_times(T0, T0 + timedelta(hours=3), timedelta(hours=1))
    assert times == [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2)]
    assert when.step_count(T0, T0 + timedelta(minutes=61), timedelta(hours=1)) == 2


def test_fire_times_include_from_and_exclude_to() -> None:
    start = datetime(2026, 11, 2, 7, 0, tzinfo=NEW_YORK)
    fires = list(when.fire_times("0 0 7 * * ?", "America/New_York", start, start + timedelta(days=3)))
    assert [f.astimezone(NEW_YORK).date().day for f in fires] == [2, 3, 4]
    assert all(f.tzinfo is UTC and f.astimezone(NEW_YORK).hour == 7 for f in fires)


def test_fire_times_follow_the_dst_rule() -> None:
    """02:30 does not exist on 8 March 2026 in New York: it fires once, at 03:00 (the first instant after the
    gap); 01:30 happens twice on 1 November 2026: it fires once, at its first occurrence."""
    spring = list(when.fire_times("0 30 2 * * ?", "America/New_York", datetime(2026, 3, 7, tzinfo=UTC),
                                  datetime(2026, 3, 10, tzinfo=UTC)))  # fmt: skip
    assert [f.astimezone(NEW_YORK).strftime("%d %H:%M") for f in spring] == ["07 02:30", "08 03:00", "09 02:30"]
    autumn = list(when.fire_times("0 30 1 * * ?", "America/New_York", datetime(2026, 11, 1, tzinfo=UTC),
                                  datetime(2026, 11, 2, 12, tzinfo=UTC)))  # fmt: skip
    assert [f.isoformat() for f in autumn] == ["2026-11-01T05:30:00+00:00", "2026-11-02T06:30:00+00:00"]


def test_too_many_instants_say_how_many() -> None:
    times, count = when.instants_for("0 * * * * ?", "UTC", T0, T0 + timedelta(days=1), None, 100)
    assert (times, count) == ([], 101)  # no more are looked for than it takes to know there are too many
    with pytest.raises(UsageError, match="1,440 evaluations, more than --max-evaluations 100"):
        when.plan([("0 * * * * ?", "UTC")], T0, T0 + timedelta(days=1), None, 100)
    with pytest.raises(UsageError, match="1,464 evaluations, more than --max-evaluations 1,000"):  # over two rules
        when.plan([("0 0 * * * ?", "UTC"), ("0 * * * * ?", "UTC")], T0, T0 + timedelta(days=1), None, 1000)
    times, count = when.instants_for("0 * * * * ?", "UTC", T0, T0 + timedelta(days=1), timedelta(hours=1), 100)
    assert (len(times), count) == (24, 24)
    assert [len(t) for t in when.plan([("0 0 * * * ?", "UTC")] * 2, T0, T0 + timedelta(days=1), None, 48)] == [24, 24]


def test_a_huge_range_is_refused_at_once() -> None:
    """50 rules firing every minute for a century: the refusal stops counting early and says "more than"."""
    start, end = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
    began = time.perf_counter()
    with pytest.raises(UsageError, match=r"more than 20,000 evaluations, more than --max-evaluations 10,000"):
        when.plan([("0 * * * * ?", "America/New_York")] * 50, start, end, None, 10_000)
    with pytest.raises(UsageError, match=r"more than 20,000 evaluations, more than --max-evaluations 20,000"):
        when.plan([("0 * * * * ?", "UTC")] * 50, start, end, None, 20_000)  # a limit at the cap: no recount
    assert time.perf_counter() - began < 5  # it took minutes when every rule was counted to a million
    with pytest.raises(UsageError, match=r"2,629,800,000 evaluations"):  # steps are counted exactly, for free
        when.plan([("0 * * * * ?", "UTC")] * 50, start, end, timedelta(minutes=1), 10_000)


def test_calendar_edges() -> None:
    """Quartz fires in 1970-2099 only; the replay's clocks need a --to before 9999; no OverflowError anywhere."""
    for start, end in ((datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 3, tzinfo=UTC)),
                       (datetime(9999, 12, 30, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
                       (datetime(1969, 12, 31, tzinfo=UTC), datetime(1970, 1, 3, tzinfo=UTC))):  # fmt: skip
        with pytest.raises(UsageError, match="1970-2099"):
            when.plan([("0 0 8 * * ?", "UTC")], start, end, None, 100)
    with pytest.raises(UsageError, match="before 9999-01-01"):
        when.plan([("0 0 8 * * ?", "UTC")], datetime(9999, 12, 30, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC),
                  timedelta(hours=1), 100)  # fmt: skip
    (early,) = when.plan([("0 0 8 * * ?", "UTC")], datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 3, tzinfo=UTC),
                         timedelta(days=1), 100)  # fmt: skip
    assert len(early) == 2
    (first,) = when.plan([("0 0 0 * * ?", "UTC")], datetime(1970, 1, 1, tzinfo=UTC), datetime(1970, 1, 3, tzinfo=UTC),
                         None, 100)  # fmt: skip
    assert first == [datetime(1970, 1, 1, tzinfo=UTC), datetime(1970, 1, 2, tzinfo=UTC)]
    (last,) = when.plan([("0 0 0 * * ?", "UTC")], datetime(2099, 12, 30, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC),
                        None, 100)  # fmt: skip
    assert len(last) == 2
    assert list(when.fire_times("0 0 0 * * ?", "UTC", datetime(1, 1, 1, tzinfo=UTC), datetime(1970, 1, 2, tzinfo=UTC)))


# --- statistics ------------------------------------------------------------------------------------------


def test_episodes_treat_error_as_transparent() -> None:
    points = timeline("OTETOOTO", [1, 9, 0, 12, 2, 2, 7, 1])
    found = episodes(points)
    assert [(e.start, e.end, e.evaluations, e.peak_value) for e in found] == [
        (points[1].at, points[4].at, 2, 12),
        (points[6].at, points[7].at, 1, 7),
    ]
    summary = summarize(points)
    assert (summary.evaluations, summary.ok, summary.triggered, summary.error) == (8, 4, 3, 1)
    assert summary.fires == 2 and summary.triggered_ratio == 0.375


def test_peak_follows_the_operator() -> None:
    points = timeline("TTT", [5, 3, 4])
    assert episodes(points, ">")[0].peak_value == 5
    assert episodes(points, "<=")[0].peak_value == 3


def test_open_episode_has_no_end() -> None:
    assert episodes(timeline("OOTT"))[0].end is None


# The gap is every evaluation from the one that ended the previous episode to the next start, whatever its state:
# ERROR inside an episode is part of it; ERROR and UNKNOWN between episodes count.
FLAP_CASES = [("TOTOOOTOOOOT", 3, 2), ("TOTOOOTOOOOT", 1, 1), ("TOEOT", 1, 0), ("TEOET", 1, 0), ("TEOET", 2, 1),
              ("OTTTT", 3, 0), ("TUT", 1, 1), ("TOUUT", 3, 1), ("TOUUT", 2, 0), ("TOEET", 3, 1), ("TOEET", 2, 0),
              ("TETUETT", 2, 1), ("TUT", 0, 0)]  # fmt: skip


@pytest.mark.parametrize(("states", "window", "expected"), FLAP_CASES)
def test_flaps_count_quick_returns(states: str, window: int, expected: int) -> None:
    assert flaps(timeline(states), window) == expected


def test_unknown_ends_an_episode_and_is_counted() -> None:
    """UNKNOWN (an empty result with empty_result_state UNKNOWN) ends an episode like OK: a later TRIGGERED is a
    new fire; ERROR stays transparent; ok + triggered + error + unknown = evaluations."""
    points = timeline("TTUTTETUUTO", [6, 7, 0, 9, 8, 0, 6, 0, 0, 5, 1])
    found = episodes(points)
    assert [(e.start, e.end, e.evaluations, e.peak_value) for e in found] == [
        (points[0].at, points[2].at, 2, 7),
        (points[3].at, points[7].at, 3, 9),
        (points[9].at, points[10].at, 1, 5),
    ]
    summary = summarize(points)
    assert (summary.ok, summary.triggered, summary.error, summary.unknown) == (1, 6, 1, 3)
    assert summary.ok + summary.triggered + summary.error + summary.unknown == summary.evaluations == 11
    assert summary.fires == 3 and summary.flaps == 2  # 1 and 2 evaluations apart
    assert list(summary.to_dict())[:6] == ["evaluations", "ok", "triggered", "error", "unknown", "fires"]
    assert "11 evaluations: 1 OK, 6 TRIGGERED, 1 ERROR, 3 UNKNOWN; 3 fires" in text(result_of(points))
    assert strip(points) == "##?##E#??#."


def test_percent_state_change_is_nagios_weighted() -> None:
    assert percent_state_change(["OK"] * 21) == 0.0
    assert percent_state_change(["OK", "TRIGGERED"] * 10 + ["OK"]) == 100.0
    newest = ["OK"] * 20 + ["TRIGGERED"]  # one change, the newest weighs 1.2 of 20
    oldest = ["OK"] + ["TRIGGERED"] * 20  # one change, the oldest weighs 0.8
    assert percent_state_change(newest) == 6.0 and percent_state_change(oldest) == 4.0


def test_max_percent_state_change_over_full_windows() -> None:
    calm_then_flapping = ["OK"] * 40 + ["OK", "TRIGGERED"] * 3
    assert max_percent_state_change(calm_then_flapping) > 20.0
    assert max_percent_state_change(["OK", "ERROR", "OK", "ERROR"] * 10) == 0.0  # ERROR is transparent
    assert summarize(timeline("OTOTOTOTOTO")).percent_state_change_max == 100.0


# --- the sweep -------------------------------------------------------------------------------------------


def test_sweep_ranges_use_decimal_steps() -> None:
    assert parse_sweep("0.1:0.3:0.1") == [0.1, 0.2, 0.3]
    assert parse_sweep("1000:2000:500") == [1000.0, 1500.0, 2000.0]
    for bad in ("1:2", "2:1:1", "1:2:0", "a:b:c", "1:2:-1", "0:1000:1"):
        with pytest.raises(UsageError, match="--sweep"):
            parse_sweep(bad)


@pytest.mark.parametrize("hostile", ["nan:1:1", "inf:inf:1", "1:inf:1", "-inf:1:1", "1e400:1e401:1e399", "snan:1:1",
                                     "1:2:nan", "1:2:1e-999999999", "0:1e300:1e-300", "1e17:1.0000000000000001e17:1",
                                     "0:1e999999999:1"])  # fmt: skip
def test_hostile_sweeps_are_usage_errors(hostile: str) -> None:
    """Non-finite, out-of-double-range, too fine or too many thresholds: a usage error naming --sweep and the fix."""
    with pytest.raises(UsageError, match="--sweep") as raised:
        parse_sweep(hostile)
    assert "finite numbers, STEP > 0" in (raised.value.hint or "")


def test_only_double_thresholds_sweep() -> None:
    check_sweepable(make_rule())
    with pytest.raises(UsageError, match="DOUBLE"):
        check_sweepable(make_rule(threshold_value_type="STRING", threshold_value_double=None,
                                  threshold_value_string="x"))  # fmt: skip


def records(values: list[float | None]) -> list[QueryRecord]:
    return [QueryRecord(T0 + timedelta(hours=i), ("value",), [(v,)]) for i, v in enumerate(values)]


def one_message(event: NotifyEvent) -> int:
    return 0 if event is NotifyEvent.RESOLVE else 1


def test_sweep_rejudges_the_same_results() -> None:
    rule = make_rule(threshold_value_double=5, notify_on_ok=True)
    data = records([1, 6, 7, 2, 9, 3, None])
    points = sweep(rule, data, [0, 5, 8, 10], one_message)
    assert [(p.threshold, p.fires, p.notifications, p.flaps) for p in points] == [
        (0, 1, 2, 0),  # 1..9 all above 0: one episode; NULL is OK (its recovery message)
        (5, 2, 4, 1),  # 6,7 | 9: two fires, two recoveries
        (8, 1, 2, 0),
        (10, 0, 0, 0),
    ]
    assert points[1].triggered_ratio == round(3 / 7, 6)


def test_sweep_follows_retrigger_and_notify_on_ok() -> None:
    data = records([9, 9, 9, 9, 9, 1])
    quiet = make_rule(threshold_value_double=5)
    loud = make_rule(threshold_value_double=5, retrigger_seconds=7200, notify_on_ok=True)
    assert sweep(quiet, data, [5], one_message)[0].notifications == 1
    assert sweep(loud, data, [5], one_message)[0].notifications == 1 + 2 + 1  # first, at +2 h and +4 h, recovery


def test_a_failed_query_stays_error_at_every_threshold() -> None:
    from lakealerts.runtime.evaluator import evaluation_error

    failed = QueryRecord(T0, (), [], evaluation_error("boom"))
    rule = make_rule()
    assert judge(rule, failed).state == "ERROR"
    timeline_ = replay_policy(rule, [(T0, judge(rule, failed))], one_message)
    assert timeline_[0].state == "ERROR" and not timeline_[0].notified


# --- text and CSV ----------------------------------------------------------------------------------------


def test_strip_marks_and_buckets() -> None:
    assert strip(timeline("OTE")) == ".#E"
    long = timeline("O" * 150 + "T" + "O" * 49)
    squeezed = strip(long, 100)
    assert len(squeezed) == 100 and squeezed.count("#") == 1 and squeezed.index("#") == 75


def result_of(points: list[TimelinePoint]) -> Backtest:
    rule = RuleBacktest("R-1", "Rule one", ">", 5.0, "lateral", summarize(points), points)
    return Backtest("run-1", T0, T0 + timedelta(days=1), [rule], "1h")


def test_text_summary_and_csv() -> None:
    points = timeline("OTTO", [1, 6, 8, 2])
    shown = text(result_of(points))
    assert "R-1  Rule one  [> 5, lateral]" in shown
    assert "4 evaluations: 2 OK, 2 TRIGGERED, 0 ERROR, 0 UNKNOWN; 1 fires" in shown
    assert "|.##.|" in shown and "peak 8" in shown
    rows = to_csv(result_of(points)).splitlines()
    assert rows[0] == "alert_id,at,value,state,notified"
    assert rows[2] == "R-1,2026-11-01T01:00:00+00:00,6,TRIGGERED,false"


# --- the vectorised query --------------------------------------------------------------------------------


def test_lateral_sql_pins_every_instant_and_keeps_the_order() -> None:
    sql = "SELECT d AS day, n AS total FROM t WHERE d = CURRENT_DATE() ORDER BY total DESC, 1"
    statement, params, ordered = lateral_sql(sql, [T0, T0 + timedelta(days=1, hours=2)])
    assert ordered and ROW_COLUMN in statement and "LATERAL" in statement
    assert params == ["2026-11-01 00:00:00.000000,2026-11-02 02:00:00.000000"]  # one parameter, as pin_clock writes
    assert "CURRENT_DATE" not in statement.upper() and "__lakealerts_instants.__lakealerts_date" in statement
    assert "ORDER BY n DESC, d" in statement  # the row number's keys: aliases and positions resolved
    assert lateral_sql("SELECT SUM(x) AS s FROM t", [T0])[2] is False
    assert lateral_sql("SELECT DISTINCT x FROM t ORDER BY x", [T0])[2] is False


def test_volatile_queries_run_per_instant() -> None:
    assert shape_problem("SELECT rand() AS r") is not None
    assert shape_problem("SELECT uuid() AS u") is not None
    assert shape_problem("SELECT 1 AS one") is None
