"""Running one alert test through the runtime's own path (DESIGN §11).

render → read-only check → clock pinned (session zone) → fixtures injected → a connection to a sealed in-memory DuckDB →
evaluator → state machine → notification policy → Mustache rendering → a capturing transport. The runtime is
:class:`lakealerts.runtime.round.Runtime` over :class:`MemoryRuntimeStore` and ``Outbox(directory=None)``, driven
by :func:`lakealerts.runtime.replay.replay`: what a test checks is what ``eval --notify`` and ``serve`` run.
Nothing is written anywhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lakealerts import quartz
from lakealerts.alerttest.capture import CapturingTransport
from lakealerts.alerttest.checks import StepFailure, check_step
from lakealerts.alerttest.fixtures import merged, one_fixture
from lakealerts.alerttest.spec import AlertTest, FixtureSpec, InitialState
from lakealerts.documents import parse_rules
from lakealerts.engines.base import ClosingEngine, Column, QueryResult
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.model import AlertRule, NotificationDestination
from lakealerts.runtime.dispatch import Dispatcher
from lakealerts.runtime.outbox import Outbox
from lakealerts.runtime.ports import DeliveryStatus, MemoryRuntimeStore, RuleRun
from lakealerts.runtime.query import EngineQuery
from lakealerts.runtime.replay import Instant, replay
from lakealerts.runtime.round import Runtime
from lakealerts.runtime.state import AlertState, AlertStatus
from lakealerts.sql.clock import pin_clock, pin_clock_as_parameters
from lakealerts.sql.identifiers import Namespace
from lakealerts.sql.render import render
from lakealerts.sql.rewrite import (
    Fixture,
    inject_fixtures,
    inject_with_parameters,
    injection_findings,
    parameter_rows,
    wall_clock,
)
from lakealerts.validate.static import render_blocker


@dataclass
class TestResult:
    """How one test went: ``status`` passed, failed (an expectation missed) or error (it could not run)."""

    file: str
    name: str
    rule: str
    status: str
    duration_ms: float
    failures: list[StepFailure] = field(default_factory=list)
    error: str | None = None
    states: list[str] = field(default_factory=list)  # the state of each tick it ran

    def to_dict(self) -> dict[str, Any]:
        """DESIGN §11's test entry (an error's message is its one failure, field ``error``)."""
        failures = [f.to_dict() for f in self.failures]
        if self.error is not None:
            failures.append({"step": None, "at": None, "field": "error", "expected": None, "actual": self.error})
        return {
            "file": self.file,
            "name": self.name,
            "rule": self.rule,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "failures": failures,
        }


@dataclass(frozen=True)
class FileSetting:
    """What every test of one file shares."""

    label: str
    base: Path | None
    namespace: Namespace
    zone: str
    rules: Mapping[str, AlertRule]
    destinations: Mapping[str, NotificationDestination]
    fixtures: Mapping[str, FixtureSpec]  # the file's, by name as written


class FixtureEngine(ClosingEngine):
    """The engine a test's query runs on: every statement's fixture tables replaced by their typed relations.

    The rule's own query (its rendered SQL pinned to the tick's instant) runs with the pinned clock and the
    fixtures' rows bound as parameters: the text is then the same at every tick and in every test of the rule, so
    it is rewritten, translated and typed once, not per tick. Any other statement, or a rule with parameter
    markers of its own, runs as the portable inline rewrite (:func:`inject_fixtures`)."""

    name = "duckdb"

    def __init__(
        self,
        engine: DuckDBEngine,
        fixtures: Sequence[Fixture],
        namespace: Namespace,
        zone: str,
        rule_query: tuple[str, Callable[[], datetime]] | None = None,
    ) -> None:
        """Wrap a test's ``engine`` (its own connection); it is closed with this one. ``rule_query``: the rule's
        rendered SQL and the instant its clock is pinned to now."""
        self._engine, self._fixtures, self._namespace, self._zone = engine, tuple(fixtures), namespace, zone
        self._rule_query = rule_query
        self._injected: dict[str, str] = {}
        self._rows: dict[int, list[list[str | None]]] = {}

    def injected(self, sql: str) -> str:
        """``sql`` with the fixtures injected inline (the portable rewrite: what ``explain`` shows)."""
        if sql not in self._injected:
            namespace = self._namespace
            self._injected[sql] = inject_fixtures(sql, self._fixtures, namespace.catalog, namespace.schema, self._zone)
        return self._injected[sql]

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> QueryResult:
        """Run ``sql`` over the fixtures (the rule's own query with its clock and rows bound as parameters)."""
        bound = self._bound(sql) if params is None else None
        if bound is None:
            return self._engine.execute(self.injected(sql), params)
        return self._engine.execute(*bound)

    def _bound(self, sql: str) -> tuple[str, list[Any] | None] | None:
        if self._rule_query is None:
            return None
        rendered, instant = self._rule_query
        at = instant()
        if sql != pin_clock(rendered, at):
            return None
        prepared = pin_clock_as_parameters(rendered, at)
        if prepared is None:
            return None
        text, clock = prepared
        namespace = self._namespace
        injected, bound = inject_with_parameters(
            text, self._fixtures, namespace.catalog, namespace.schema, self._zone, len(clock) + 1
        )
        values: list[Any] = [*clock, *(self._parameter_rows(fixture) for fixture in bound)]
        return injected, values or None

    def _parameter_rows(self, fixture: Fixture) -> list[list[str | None]]:
        if id(fixture) not in self._rows:
            self._rows[id(fixture)] = parameter_rows(fixture, self._zone)
        return self._rows[id(fixture)]

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Tests never write."""
        raise NotImplementedError("an alert test writes nothing")

    def explain(self, sql: str) -> str:
        """The plan of ``sql`` over the fixtures."""
        return self._engine.explain(self.injected(sql))

    def describe(self, sql: str) -> tuple[Column, ...]:
        """The output columns of ``sql`` over the fixtures."""
        return self._engine.describe(self.injected(sql))

    def table_columns(self, catalog: str, schema: str, table: str) -> tuple[Column, ...] | None:
        """No table but the fixtures exists."""
        return None

    def close(self) -> None:
        """Close the test's connection (the database stays for the next test)."""
        self._engine.close()


def run_test(test: AlertTest, setting: FileSetting) -> TestResult:
    """Run ``test``: each tick one round of the real runtime; a rule that cannot run is an error result."""
    started = time.perf_counter()
    result = TestResult(setting.label, test.name, test.rule, "passed", 0.0)
    try:
        _run(test, setting, result)
    except (ValueError, LookupError, OSError) as problem:
        result.status, result.error = "error", str(problem)
    result.duration_ms = (time.perf_counter() - started) * 1000
    if result.status == "passed" and result.failures:
        result.status = "failed"
    return result


def _run(test: AlertTest, setting: FileSetting, result: TestResult) -> None:
    rule = rule_with_overrides(setting.rules[test.rule], test.rule_overrides)
    namespace = setting.namespace
    specs = merged(setting.fixtures, test.fixtures, namespace.catalog, namespace.schema)
    fixtures = [
        one_fixture(name, spec, namespace.catalog, namespace.schema, setting.base) for name, spec in specs.values()
    ]
    findings = injection_findings(
        render(rule.alert_query_template, namespace), list(specs), namespace.catalog, namespace.schema
    )
    if findings:
        raise ValueError("; ".join(f"{f.code}: {f.message} (fix: {f.hint})" for f in findings))
    instants = tick_times(test, rule)
    store = MemoryRuntimeStore()
    if test.initial_state is not None:
        store.states[rule.alert_id] = starting_state(rule.alert_id, test.initial_state)
    transport, clock = CapturingTransport(), [instants[0]]
    dispatcher = Dispatcher(
        transport, _AsWritten(), clock=lambda: clock[0], secret_reader=_secret_as_written, sleep=lambda _s: None
    )
    rendered = render(rule.alert_query_template, namespace)
    pinned_at = (rendered, lambda: wall_clock(clock[0], setting.zone))
    with FixtureEngine(_fresh_engine(namespace.catalog), fixtures, namespace, setting.zone, pinned_at) as engine:
        runtime = Runtime(
            EngineQuery(engine, namespace), store, Outbox(directory=None), dispatcher, clock=lambda: clock[0]
        )
        ticks = [Instant(at, wall_clock(at, setting.zone)) for at in instants]
        steps = replay(runtime, [rule], setting.destinations, ticks)
        for index, (evaluation, step) in enumerate(zip(test.evaluations, steps, strict=True), start=1):
            run = step.runs[0]
            result.states.append(str(run.state))
            result.failures += check_step(
                index,
                instants[index - 1].isoformat(),
                evaluation.expect,
                run,
                transport.take(),
                evaluation.expect_notifications,
            )
            result.failures += unrendered_messages(index, instants[index - 1].isoformat(), run, rule)
            if index < len(instants):
                clock[0] = instants[index]


def unrendered_messages(step: int, at: str, run: RuleRun, rule: AlertRule) -> list[StepFailure]:
    """A failure for each message of the tick that could not be rendered (a malformed custom template): the
    runtime records it FAILED and never sends it, which no test expects, whatever its ``expect_notifications``.
    The template at fault is named with the fix when validation can tell (TEMPLATE_PARSE_ERROR)."""
    blocker = render_blocker(rule)
    named = f"cannot render the message: {blocker.field}: {blocker.message} (fix: {blocker.hint})" if blocker else None
    return [
        StepFailure(step, at, "message", f"a rendered message on {delivery.channel}", named or delivery.last_error)
        for delivery in run.deliveries
        if delivery.status == DeliveryStatus.FAILED and delivery.message is None
    ]


class _AsWritten(Mapping[str, str]):
    """The environment a test's destinations see: every ``${env:NAME}`` stays as written. Nothing is sent, so a
    test needs no secret, and runs the same on a laptop and in CI whatever is exported."""

    def __getitem__(self, name: str) -> str:
        return "${env:" + name + "}"

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def _secret_as_written(scope: str, key: str) -> str:
    return "{{secrets/" + scope + "/" + key + "}}"


_DATABASES: dict[str, DuckDBEngine] = {}
_DATABASES_LOCK = threading.Lock()


def _fresh_engine(catalog: str) -> DuckDBEngine:
    """A test's engine: a new connection to a sealed in-memory database that nothing is ever written to (the
    rule's SQL is one read-only query, fixtures are rewrites, :class:`FixtureEngine` refuses writes), so it is as
    isolated as a new database, without the ~11 ms DuckDB takes to create one for each test."""
    with _DATABASES_LOCK:
        if catalog not in _DATABASES:
            _DATABASES[catalog] = DuckDBEngine.memory(catalog)
        return _DATABASES[catalog].session()


def rule_with_overrides(rule: AlertRule, overrides: Mapping[str, Any]) -> AlertRule:
    """``rule`` with ``overrides`` applied, validated like an import (never stored); ValueError names the field."""
    if not overrides:
        return rule
    if "alert_id" in overrides and overrides["alert_id"] != rule.alert_id:
        raise ValueError("rule_overrides: alert_id cannot be overridden (the test names its rule)")
    report = parse_rules([{**rule.model_dump(mode="json"), **overrides}])
    if report.problems:
        problem = report.problems[0]
        raise ValueError(f"rule_overrides: {problem.field}: {problem.message} (fix: {problem.hint})")
    return report.valid[0]


def tick_times(test: AlertTest, rule: AlertRule) -> list[datetime]:
    """Each tick's instant: its ``at``, or the rule's next fire time after the previous tick."""
    previous = test.initial_state.last_evaluated_at if test.initial_state is not None else None
    times: list[datetime] = []
    for evaluation in test.evaluations:
        moment = evaluation.at
        if moment is None:
            assert previous is not None  # the spec requires `at` on a first tick without last_evaluated_at
            moment = quartz.parse(rule.schedule_cron).next_fire_time(_aware(previous), rule.schedule_timezone)
            if moment is None:
                raise ValueError(f"the schedule {rule.schedule_cron!r} never fires after {previous.isoformat()}")
        times.append(_aware(moment))
        previous = moment
    return times


def starting_state(alert_id: str, initial: InitialState) -> AlertState:
    """The stored state a test starts from; ERROR keeps OK as its last stable state."""
    stable = initial.state if initial.state != AlertStatus.ERROR else AlertStatus.OK
    triggered = initial.last_triggered_at or (initial.last_notified_at if initial.state == "TRIGGERED" else None)
    return AlertState(
        alert_id,
        initial.state,
        stable,
        None,
        _maybe_aware(initial.last_evaluated_at),
        _maybe_aware(triggered),
        _maybe_aware(initial.last_notified_at),
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _maybe_aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else _aware(moment)
