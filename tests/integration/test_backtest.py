"""Backtests on a real DuckDB (DESIGN §12): the vectorised (LATERAL) mode gives what one query per instant
gives, for random instants; one query per instant gives what ``eval --at`` gives; the runtime's policy
(re-trigger, recovery messages, ERROR transparency) is what is counted; nothing reaches ``alert_state``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakealerts.app import evaluate as evaluate_use
from lakealerts.app.backtest import BacktestRequest, backtest
from lakealerts.app.context import AppContext
from lakealerts.app.settings import Settings
from lakealerts.backtest.queries import run_queries
from lakealerts.backtest.run import backtest_rule
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import UsageError
from lakealerts.model import AlertRule
from lakealerts.runtime.query import EngineQuery
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.tables import ALERT_STATE
from tests.builders import make_destinations, make_rule

pytestmark = pytest.mark.integration

NAMESPACE = Namespace("monitoring", "gold")
START = datetime(2026, 11, 1, tzinfo=UTC)
HOURS = 10 * 24
METRICS = f"""
CREATE TABLE monitoring.gold.metrics AS
SELECT CAST(ts AS DATE) AS day, ts, host,
       CAST((h * 37 + k * 11) % 100 AS DOUBLE) AS value,
       CAST(((h * 53 + k * 7) % 1000) / 10.0 AS DECIMAL(10,2)) AS amount
FROM (SELECT TIMESTAMP '2026-11-01 00:00:00' + INTERVAL (h) HOUR AS ts, h, k, 'host-' || k AS host
      FROM range({HOURS}) AS r(h), range(3) AS s(k))
"""
FROM = "FROM ${catalog}.${gold_schema}.metrics"
SHAPES: dict[str, dict[str, object]] = {
    "FIRST-ORDERED": {"alert_query_template": f"SELECT host, value AS v {FROM} WHERE ts <= CURRENT_TIMESTAMP() "
                      "AND ts > CURRENT_TIMESTAMP() - INTERVAL 1 HOUR ORDER BY v DESC, host",
                      "threshold_column": "v", "threshold_value_double": 80},
    "DECIMAL-SUM": {"alert_query_template": f"SELECT ROUND(SUM(amount), 2) AS total {FROM} "
                    "WHERE day = CURRENT_DATE()", "threshold_column": "total", "threshold_value_double": 3600},
    "MAX-UNORDERED": {"alert_query_template": f"SELECT host, value {FROM} "
                      "WHERE ts = date_trunc('HOUR', CURRENT_TIMESTAMP())", "threshold_column": "value",
                      "aggregation_type": "MAX", "threshold_value_double": 90},
    "FIRST-UNORDERED": {"alert_query_template": f"SELECT value {FROM} WHERE day = CURRENT_DATE() AND value > 97",
                        "threshold_column": "value", "threshold_value_double": 97.5, "empty_result_state": "OK"},
    "CTE-LIMIT": {"alert_query_template": f"WITH w AS (SELECT host, AVG(value) AS a {FROM} WHERE ts BETWEEN "
                  "CURRENT_TIMESTAMP() - INTERVAL 6 HOURS AND CURRENT_TIMESTAMP() GROUP BY host) "
                  "SELECT host, ROUND(a, 3) AS a FROM w ORDER BY a DESC, host LIMIT 2",
                  "threshold_column": "a", "threshold_operator": "<", "threshold_value_double": 45},
    "EMPTY-TRIGGERS": {"alert_query_template": f"SELECT value {FROM} WHERE ts = date_trunc('HOUR', "
                       "CURRENT_TIMESTAMP()) AND value > 95", "threshold_column": "value",
                       "threshold_operator": "<", "threshold_value_double": 0, "empty_result_state": "TRIGGERED",
                       "retrigger_seconds": 7200, "notify_on_ok": True},
}  # fmt: skip
RULES = {name: make_rule(alert_id=name, notification_channels=["ops"], **shape) for name, shape in SHAPES.items()}
TEXT_RULE = make_rule(alert_id="TEXT-1", alert_query_template=f"SELECT MAX(host) AS h {FROM}", threshold_column="h",
                      threshold_value_type="STRING", threshold_value_double=None, threshold_value_string="host-2",
                      threshold_operator="=")  # fmt: skip
DESTINATIONS = make_destinations(
    {"destination_id": "ops", "destination_type": "EMAIL", "config_json": {"addresses": ["o@example.com"]}}
)


@pytest.fixture(scope="module")
def memory_query() -> Iterator[EngineQuery]:
    """The metrics table on an in-memory DuckDB, behind the runtime's query port."""
    engine = DuckDBEngine.memory("monitoring")
    engine.execute("CREATE SCHEMA monitoring.gold")
    engine.execute(METRICS)
    yield EngineQuery(engine, NAMESPACE)
    engine.close()


def comparable(query: EngineQuery, rule: AlertRule, instants: list[datetime], mode: str) -> tuple[object, ...]:
    run = run_queries(query, rule, instants, mode)
    result = backtest_rule(rule, DESTINATIONS, instants, run, [10.0, 50.0, 90.0])
    evaluations = [(o.evaluation.state, o.evaluation.value, o.evaluation.error) for o in run.outcomes]
    return evaluations, result.summary, result.timeline, result.sweep


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(RULES)),
    offsets=st.lists(st.integers(min_value=-30, max_value=HOURS * 60 + 30), min_size=1, max_size=12, unique=True),
)
def test_vectorised_equals_per_instant(memory_query: EngineQuery, name: str, offsets: list[int]) -> None:
    """For random instants (minutes around the data's range, unordered clock values) both modes agree."""
    instants = [START + timedelta(minutes=m) for m in sorted(offsets)]
    rule = RULES[name]
    assert run_queries(memory_query, rule, instants).mode == "lateral"
    assert comparable(memory_query, rule, instants, "auto") == comparable(memory_query, rule, instants, "per_instant")


def test_every_shape_is_vectorised_and_meaningful(memory_query: EngineQuery) -> None:
    """Each shape triggers at some hours and not at others, so the equality above compares something."""
    instants = [START + timedelta(hours=h, minutes=30) for h in range(0, HOURS, 7)]
    for rule in RULES.values():
        run = run_queries(memory_query, rule, instants)
        states = {o.evaluation.state for o in run.outcomes}
        assert run.mode == "lateral" and {"OK", "TRIGGERED"} <= states, (rule.alert_id, run.findings, states)


def test_a_query_failing_at_some_instants_falls_back_and_stays_transparent(memory_query: EngineQuery) -> None:
    rule = make_rule(alert_id="FLAKY", alert_query_template="SELECT CAST(CASE WHEN hour(CURRENT_TIMESTAMP()) = 3 "
                     "THEN 'x' ELSE '7' END AS INT) AS value", threshold_value_double=5)  # fmt: skip
    instants = [START + timedelta(hours=h) for h in range(6)]
    run = run_queries(memory_query, rule, instants)
    assert run.mode == "per_instant" and "vectorised query failed" in run.findings[0]
    result = backtest_rule(rule, DESTINATIONS, instants, run)
    assert [p.state for p in result.timeline] == ["TRIGGERED"] * 3 + ["ERROR"] + ["TRIGGERED"] * 2
    assert (result.summary.fires, result.summary.error, len(result.summary.episodes)) == (1, 1, 1)


def test_unknown_ends_an_episode(memory_query: EngineQuery) -> None:
    """An empty result with empty_result_state UNKNOWN ends the episode: the TRIGGERED after it is a new fire (the
    runtime notifies it again), and the summary counts the UNKNOWN evaluations."""
    rule = make_rule(alert_id="WEEKDAY", alert_query_template="SELECT 10 AS c WHERE dayofweek(CURRENT_DATE())<>3",
                     threshold_column="c", threshold_value_double=5, empty_result_state="UNKNOWN",
                     notification_channels=["ops"], schedule_cron="0 0 8 * * ?")  # fmt: skip
    instants = [datetime(2026, 3, 1, 8, tzinfo=UTC) + timedelta(days=d) for d in range(14)]
    for mode in ("auto", "per_instant"):
        result = backtest_rule(rule, DESTINATIONS, instants, run_queries(memory_query, rule, instants, mode), [5.0])
        states = [p.state for p in result.timeline]
        s = result.summary
        assert states.count("UNKNOWN") == s.unknown == 2 and states.count("TRIGGERED") == s.triggered == 12
        assert s.ok + s.triggered + s.error + s.unknown == s.evaluations == 14
        entered = [s for i, s in enumerate(states) if s == "TRIGGERED" and states[i - 1 : i] != ["TRIGGERED"]]
        reentries = len(entered)
        assert s.fires == len(s.episodes) == reentries == 3
        assert s.notifications == sum(1 for p in result.timeline if p.notified) == 3  # one message per fire
        assert (result.sweep[0].fires, result.sweep[0].notifications) == (3, 3)
        assert all(e.end is not None for e in s.episodes[:2])


def test_a_catalog_error_is_not_run_at_every_instant(
    memory_query: EngineQuery, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing table fails every instant alike: after the vectorised query, only the first instant runs."""
    calls: list[datetime | None] = []
    original = EngineQuery.one

    def counted(self: EngineQuery, rule: AlertRule, at: datetime | None) -> object:
        calls.append(at)
        return original(self, rule, at)

    monkeypatch.setattr(EngineQuery, "one", counted)
    missing = make_rule(alert_id="MISSING", alert_query_template=f"SELECT COUNT(*) AS n {FROM}_nope",
                        threshold_column="n")  # fmt: skip
    instants = [START + timedelta(hours=h) for h in range(50)]
    run = run_queries(memory_query, missing, instants)
    assert calls == [START] and run.mode == "per_instant"
    assert "metrics_nope" in run.findings[0] and "the other 49 were not run" in run.findings[0]
    errors = {o.evaluation.error for o in run.outcomes}
    assert len(errors) == 1 and "CatalogException" in errors.pop()
    assert all(o.evaluation.state == "ERROR" for o in run.outcomes)
    calls.clear()  # a data-dependent failure (a CAST failing at one hour) still runs every instant
    flaky = make_rule(alert_id="FLAKY", alert_query_template="SELECT CAST(CASE WHEN hour(CURRENT_TIMESTAMP()) = 0 "
                      "THEN 'x' ELSE '7' END AS INT) AS value", threshold_value_double=5)  # fmt: skip
    run = run_queries(memory_query, flaky, instants[:3])
    assert calls == instants[:3] and [o.evaluation.state for o in run.outcomes] == ["ERROR", "TRIGGERED", "TRIGGERED"]


def test_a_vectorised_timeout_is_not_retried_per_instant(monkeypatch: pytest.MonkeyPatch) -> None:
    """A LATERAL query past --query-timeout: every instant is that ERROR, without N more timeouts."""
    engine = DuckDBEngine.memory("monitoring")
    try:
        query = EngineQuery(engine, NAMESPACE, timeout=0.3)
        monkeypatch.setattr(EngineQuery, "one", lambda *_args: pytest.fail("ran an instant on its own"))
        slow = make_rule(alert_id="SLOW", alert_query_template="SELECT COUNT(*) AS n FROM range(100000000) AS a(x), "
                         "range(1000) AS b(y) WHERE x + y + hour(CURRENT_TIMESTAMP()) = -1",
                         threshold_column="n")  # fmt: skip
        instants = [START + timedelta(hours=h) for h in range(20)]
        run = run_queries(query, slow, instants)
        assert run.mode == "lateral" and "timed out after 0.3 s" in run.findings[0]
        assert {(o.evaluation.state, o.evaluation.error) for o in run.outcomes} == {("ERROR", "timed out after 0.3 s")}
    finally:
        engine.close()


def test_volatile_query_runs_per_instant(memory_query: EngineQuery) -> None:
    rule = make_rule(alert_id="RANDOM", alert_query_template="SELECT rand() AS value")
    run = run_queries(memory_query, rule, [START])
    assert run.mode == "per_instant" and "non-deterministic" in run.findings[0]


def test_retrigger_and_recovery_are_counted(memory_query: EngineQuery) -> None:
    """EMPTY-TRIGGERS is TRIGGERED on the hours without a spike: every 2 h a reminder, a message on recovery."""
    rule = RULES["EMPTY-TRIGGERS"]
    instants = [START + timedelta(hours=h) for h in range(48)]
    result = backtest_rule(rule, DESTINATIONS, instants, run_queries(memory_query, rule, instants))
    expected, last = 0, START  # the policy by hand: enter, every >= 7200 s while TRIGGERED, and each recovery
    previous = "UNKNOWN"
    for point in result.timeline:
        entering = point.state == "TRIGGERED" and previous != "TRIGGERED"
        reminding = point.state == previous == "TRIGGERED" and (point.at - last).total_seconds() >= 7200
        recovering = point.state == "OK" and previous == "TRIGGERED"
        if entering or reminding or recovering:
            expected, last = expected + 1, point.at
        previous = point.state
    assert result.summary.notifications == expected > result.summary.fires > 1


# --- the use case on a home ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> AppContext:
    ctx = AppContext(settings=Settings(home=tmp_path_factory.mktemp("backtest") / "home"), user="tester")
    with ctx.store(require_tables=False) as store:
        store.init()
        store.engine.execute(METRICS)
        store.upsert_rules([*RULES.values(), TEXT_RULE], START)
        store.upsert_destinations(list(DESTINATIONS.values()), START)
    return ctx


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minute=st.integers(min_value=0, max_value=HOURS * 60))
def test_per_instant_equals_eval_at(home: AppContext, minute: int) -> None:
    """At a random instant T, the backtest's evaluation (one query per instant) is what ``eval --at T`` gives."""
    at = START + timedelta(minutes=minute)
    names = sorted(RULES)
    request = BacktestRequest(names, at, at + timedelta(minutes=1), step="1m", mode="per_instant")
    replayed = {r.alert_id: r.timeline for r in backtest(home, request).rules}
    evaluated = {run.alert_id: run for run in evaluate_use.evaluate(home, names, at=at).runs}
    for name in names:
        (point,) = replayed[name]
        assert (point.at, point.state, point.value) == (at, evaluated[name].state, evaluated[name].value), name


def test_use_case_records_and_never_touches_alert_state(home: AppContext) -> None:
    request = BacktestRequest([], START, START + timedelta(days=2), all_rules=True, step="1h", sweep="80:95:5",
                              record=True)  # fmt: skip
    result = backtest(home, request)
    assert {r.mode for r in result.rules} == {"lateral"} and len(result.rules) == len(RULES) + 1
    assert all(r.summary.evaluations == 48 for r in result.rules)
    assert [r.alert_id for r in result.rules if len(r.sweep) != 4] == ["TEXT-1"]  # a STRING threshold: not swept
    text_rule = next(r for r in result.rules if r.alert_id == "TEXT-1")
    assert text_rule.summary.triggered == 48 and "not swept" in text_rule.findings[0]
    document = result.to_dict()
    assert list(document) == ["run_id", "from", "to", "rules"]
    assert list(document["rules"][0]["summary"]) == ["evaluations", "ok", "triggered", "error", "unknown", "fires",
                                                     "notifications", "flaps", "percent_state_change_max",
                                                     "triggered_ratio", "episodes"]  # fmt: skip
    with home.store(read_only=True) as store:
        assert store.engine.execute(f"SELECT COUNT(*) FROM {store.table(ALERT_STATE)}").rows[0][0] == 0
        rows = store.engine.execute(
            f"SELECT alert_id, evaluations, fires, ok + triggered + error + unknown FROM "
            f"{store.namespace.table('alert_backtests')} WHERE run_id = ? ORDER BY alert_id",
            [result.run_id],
        ).rows
    assert [tuple(r) for r in rows] == [(r.alert_id, 48, r.summary.fires, 48) for r in result.rules]
    backtest(home, request)  # a second --record adds a run; the table is not created twice


def test_the_sweep_at_the_rules_threshold_matches_the_replay(home: AppContext) -> None:
    request = BacktestRequest(["FIRST-ORDERED"], START, START + timedelta(days=3), step="1h", sweep="70:90:10")
    rule = backtest(home, request).rules[0]
    at_80 = next(p for p in rule.sweep if p.threshold == 80)
    s = rule.summary
    assert (at_80.fires, at_80.notifications, at_80.flaps, at_80.triggered_ratio) == (
        s.fires, s.notifications, s.flaps, s.triggered_ratio)  # fmt: skip
    assert [p.fires for p in rule.sweep] != [s.fires] * 3


def test_bad_requests_are_usage_errors(home: AppContext, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="would run 240 evaluations"):
        backtest(home, BacktestRequest(["FIRST-ORDERED"], START, START + timedelta(days=10), step="1h",
                                       max_evaluations=100))  # fmt: skip
    with pytest.raises(UsageError, match="out of range"):
        backtest(home, BacktestRequest(["FIRST-ORDERED"], START, START + timedelta(days=1), flap_window=-1))
    with pytest.raises(UsageError, match="not after"):
        backtest(home, BacktestRequest(["FIRST-ORDERED"], START, START))
    with pytest.raises(UsageError, match="--all"):
        backtest(home, BacktestRequest([], START, START + timedelta(days=1)))
    with pytest.raises(UsageError, match="TEXT-1: --sweep needs a DOUBLE threshold"):
        backtest(home, BacktestRequest(["TEXT-1"], START, START + timedelta(days=1), sweep="1:2:1"))
    with pytest.raises(UsageError, match="NOPE"):
        backtest(home, BacktestRequest(["NOPE"], START, START + timedelta(days=1)))
