"""The runtime over in-memory ports: the real rounds, state machine and notification policy, with nothing
written anywhere — what alert unit tests and backtests build on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lakealerts.model import AlertRule
from lakealerts.runtime import delivery
from lakealerts.runtime.channels import Channel
from lakealerts.runtime.dispatch import Dispatcher
from lakealerts.runtime.evaluator import evaluate
from lakealerts.runtime.messages import Message
from lakealerts.runtime.outbox import Outbox
from lakealerts.runtime.ports import DeliveryStatus, MemoryRuntimeStore
from lakealerts.runtime.query import Outcome
from lakealerts.runtime.replay import Instant, replay
from lakealerts.runtime.round import Runtime
from lakealerts.runtime.state import AlertStatus
from tests.builders import make_destinations, make_rule

pytestmark = pytest.mark.unit
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@dataclass
class SeriesQuery:
    """A query port answering each pinned instant with the next value of a series."""

    values: dict[datetime, float]
    asked: list[datetime | None] = field(default_factory=list)

    def __call__(self, rules: Sequence[AlertRule], at: datetime | None) -> list[Outcome]:
        self.asked.append(at)
        assert at is not None
        rows = [(self.values[at],)]
        return [Outcome(evaluate(rule, ("value",), rows), ("value",), rows) for rule in rules]


@dataclass
class CapturingTransport:
    """Keeps what would have been sent: (channel, event, subject)."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def send(self, channel: Channel, config: Mapping[str, Any], message: Message, event: str) -> None:
        self.sent.append((channel.name, str(event), message.subject))


def runtime(values: dict[datetime, float]) -> tuple[Runtime, MemoryRuntimeStore, CapturingTransport]:
    store, transport = MemoryRuntimeStore(), CapturingTransport()
    outbox = Outbox(directory=None)
    dispatcher = Dispatcher(transport, {}, clock=lambda: T0, sleep=lambda _seconds: None)
    return Runtime(SeriesQuery(values), store, outbox, dispatcher), store, transport


def test_replay_drives_the_real_state_machine_in_memory() -> None:
    series = [10.0, 10.0, 0.0, 10.0, 10.0]
    instants = [T0 + timedelta(hours=h) for h in range(len(series))]
    live, store, transport = runtime(dict(zip(instants, series, strict=True)))
    rule = make_rule(notification_channels=["pager", "ops@example.com"], notify_on_ok=False)
    pager = make_destinations({"destination_id": "pager", "destination_type": "PAGERDUTY",
                               "config_json": {"integration_key": "k"}})  # fmt: skip
    steps = list(replay(live, [rule], pager, [Instant.pinned(at) for at in instants]))
    assert [step.runs[0].state for step in steps] == ["TRIGGERED", "TRIGGERED", "OK", "TRIGGERED", "TRIGGERED"]
    # trigger (both channels), silent recovery resolves PagerDuty only, re-trigger: both again; nothing else
    assert [(name, event) for name, event, _ in transport.sent] == [
        ("pager", "trigger"), ("ops@example.com", "trigger"), ("pager", "resolve"),
        ("pager", "trigger"), ("ops@example.com", "trigger"),
    ]  # fmt: skip
    assert store.states[rule.alert_id].state == AlertStatus.TRIGGERED
    assert [e.evaluated_at for e in store.evaluations] == instants
    assert [e.notified for e in store.evaluations] == [True, False, True, True, False]
    assert {e.status for e in store.messages.values()} == {DeliveryStatus.SENT}
    assert len(store.messages) == 5


def test_a_preview_runtime_records_history_and_never_advances_state() -> None:
    live, store, transport = runtime({T0: 10.0})
    preview = Runtime(live.query, store)
    (step,) = replay(preview, [make_rule()], {}, [Instant.pinned(T0)])
    assert step.runs[0].state == AlertStatus.TRIGGERED
    assert store.states == {} and store.messages == {} and transport.sent == []
    assert [(e.state, e.notified) for e in store.evaluations] == [(AlertStatus.TRIGGERED, False)]


def test_history_rows_say_whether_their_round_was_a_preview() -> None:
    """A preview's state is not the rule's: its history row says so, a notifying round's does not."""
    later = T0 + timedelta(hours=1)
    live, store, _ = runtime({T0: 10.0, later: 0.0})
    rule = make_rule()
    replay_all = [*replay(live, [rule], {}, [Instant.pinned(T0)]),
                  *replay(Runtime(live.query, store), [rule], {}, [Instant.pinned(later)])]  # fmt: skip
    assert [step.runs[0].state for step in replay_all] == [AlertStatus.TRIGGERED, AlertStatus.OK]
    assert [(e.state, e.preview) for e in store.evaluations] == [(AlertStatus.TRIGGERED, False), (AlertStatus.OK, True)]
    assert store.states[rule.alert_id].state == AlertStatus.TRIGGERED


def test_a_live_instant_leaves_the_query_its_own_clock() -> None:
    query = SeriesQuery({})
    store = MemoryRuntimeStore()
    with pytest.raises(AssertionError):  # the series query insists on a pinned instant
        list(replay(Runtime(query, store), [make_rule()], {}, [Instant(T0)]))
    assert query.asked == [None]


def test_a_message_that_cannot_be_rendered_fails_its_rule_only() -> None:
    live, store, transport = runtime({T0: 10.0})
    broken = make_rule(alert_id="BROKEN", notification_channels=["ops@example.com"], use_custom_template=True,
                       custom_subject_template="{{#QUERY_RESULT_ROWS}} x {{/ALERT_ID}}")  # fmt: skip
    fine = make_rule(alert_id="FINE", notification_channels=["ops@example.com"])
    (step,) = replay(live, [broken, fine], {}, [Instant.pinned(T0)])
    runs = {run.alert_id: run for run in step.runs}
    assert [d.status for d in runs["BROKEN"].deliveries] == [DeliveryStatus.FAILED]
    assert "cannot render the message" in (runs["BROKEN"].deliveries[0].last_error or "")
    assert [d.status for d in runs["FINE"].deliveries] == [DeliveryStatus.SENT]
    assert [name for name, _, _ in transport.sent] == ["ops@example.com"]  # FINE's message only
    assert {e.alert_id for e in store.evaluations} == {"BROKEN", "FINE"}  # both have their history row
    assert {e.alert_id: e.status for e in store.messages.values()} == {"BROKEN": "FAILED", "FINE": "SENT"}


def test_two_runtimes_never_both_act_on_one_transition() -> None:
    """A round decided from a state another round has since advanced saves nothing and sends nothing."""
    live, store, transport = runtime({T0: 10.0, T0 + timedelta(minutes=1): 10.0})
    rule = make_rule(notification_channels=["ops@example.com"])
    stale = store.load_states([rule.alert_id])  # another process read UNKNOWN, then this round ran first
    live.round([rule], {}, T0, T0)
    live.store = _Frozen(store, stale)
    (run,) = live.round([rule], {}, T0 + timedelta(minutes=1), T0 + timedelta(minutes=1))
    assert run.deliveries == [] and len(transport.sent) == 1
    assert store.states[rule.alert_id].last_evaluated_at == T0


@dataclass
class _Frozen:
    """The store, but load_states answers what was read before another round committed."""

    inner: MemoryRuntimeStore
    stale: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def load_states(self, alert_ids: Sequence[str]) -> dict[str, Any]:
        return {alert_id: self.stale[alert_id] for alert_id in alert_ids}


@dataclass
class FailingTransport:
    """Refuses every message."""

    tries: int = 0

    def send(self, channel: Channel, config: Mapping[str, Any], message: Message, event: str) -> None:
        self.tries += 1
        raise ConnectionError("refused")


def test_claims_back_off_and_expiry_run_on_the_wall_clock_not_the_evaluated_instant() -> None:
    """`eval --at` a month back must neither expire nor hurry a message: the outbox runs on the wall clock."""
    wall = [T0]
    store, transport = MemoryRuntimeStore(), FailingTransport()
    dispatcher = Dispatcher(transport, {}, clock=lambda: wall[0], sleep=lambda _seconds: None)
    back = T0 - timedelta(days=30)
    live = Runtime(SeriesQuery({back: 10.0, back + timedelta(minutes=1): 10.0}), store, Outbox(None), dispatcher,
                   clock=lambda: wall[0])  # fmt: skip
    rule = make_rule(notification_channels=["ops@example.com"])
    live.round([rule], {}, back, back)
    (entry,) = store.messages.values()
    assert entry.status == "FAILED" and entry.expires_at == T0 + timedelta(hours=24)
    assert entry.next_attempt_at == T0 + timedelta(minutes=2)  # 30 s × 2^2 after 3 attempts, from the wall clock
    wall[0] = T0 + timedelta(minutes=1)
    live.round([rule], {}, back + timedelta(minutes=1), back + timedelta(minutes=1))
    assert transport.tries == 3 and next(iter(store.messages.values())).status == "FAILED"  # not due, not expired
    wall[0] = T0 + timedelta(hours=25)
    live.round([], {}, back, back)
    assert next(iter(store.messages.values())).status == "EXPIRED"


def test_a_round_s_claim_lasts_as_long_as_it_can_take_to_send_everything() -> None:
    assert delivery.lease(1) == delivery.GRACE + delivery.SEND_BUDGET
    many = delivery.lease(200)  # 25 batches of 8, each up to 40 s
    assert many == delivery.GRACE + delivery.SEND_BUDGET * 25 and many > timedelta(minutes=16)


def test_a_secret_reader_that_breaks_fails_that_message_only() -> None:
    def reader(scope: str, key: str) -> str:
        raise RuntimeError("dbutils: scope not found")

    sent: list[str] = []

    @dataclass
    class Recording:
        def send(self, channel: Channel, config: Mapping[str, Any], message: Message, event: str) -> None:
            sent.append(channel.name)

    store = MemoryRuntimeStore()
    dispatcher = Dispatcher(Recording(), {}, clock=lambda: T0, secret_reader=reader, sleep=lambda _s: None)
    live = Runtime(SeriesQuery({T0: 10.0}), store, Outbox(None), dispatcher)
    destinations = make_destinations({"destination_id": "hook", "destination_type": "WEBHOOK",
                                      "config_json": {"url": "{{secrets/ops/hook}}"}})  # fmt: skip
    (run,) = live.round([make_rule(notification_channels=["hook", "ops@example.com"])], destinations, T0, T0)
    assert {d.channel: d.status for d in run.deliveries} == {"hook": "FAILED", "ops@example.com": "SENT"}
    assert sent == ["ops@example.com"]


def test_a_message_whose_destination_is_gone_backs_off_like_any_failure() -> None:
    store = MemoryRuntimeStore()
    dispatcher = Dispatcher(FailingTransport(), {}, clock=lambda: T0, sleep=lambda _s: None)
    hook = make_destinations({"destination_id": "hook", "destination_type": "WEBHOOK",
                              "config_json": {"url": "https://hooks.example/x"}})  # fmt: skip
    Runtime(SeriesQuery({T0: 10.0}), store, Outbox(None), dispatcher).round(
        [make_rule(notification_channels=["hook"])], hook, T0, T0)  # fmt: skip
    (entry,) = store.messages.values()
    (again,) = dispatcher.dispatch([entry], {})  # the destination was deleted since
    assert again.attempts == entry.attempts + 1 and "not an enabled destination" in (again.last_error or "")
    assert again.next_attempt_at == T0 + delivery.backoff(again.attempts)


def test_sql_nested_too_deeply_is_a_finding_and_an_error_never_a_crash() -> None:
    from lakealerts.sql.readonly import parse_query

    nested = "SELECT " + "(" * 600 + "1" + ")" * 600 + " AS value"
    _, findings = parse_query(nested)
    assert [f.code for f in findings] == ["SQL_PARSE_ERROR"] and "nested too deeply" in findings[0].message
