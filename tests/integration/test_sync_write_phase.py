"""A sync's write phase (DESIGN §5, §10.2): the rules' write-back and the ownership records commit together,
before and apart from the metrics row, so one failing write never loses the rest of the run's record — through
the real SDK and the stand-in over HTTP. The store's writers are forced to fail by monkeypatching (they are not
what is under test: the phase around them is)."""

from __future__ import annotations

from typing import Any

import pytest

from lakealerts.errors import SetupError
from lakealerts.store import ownership
from lakealerts.store.ownership import load_ownership
from lakealerts.store.store import Store
from lakealerts.sync import run as run_module
from lakealerts.sync.client import workspace_client
from lakealerts.sync.policy import SyncOptions
from lakealerts.sync.remote import RemoteWorkspace
from lakealerts.sync.run import SyncAbortedError, SyncWriteError, run_sync
from lakealerts.sync.status import SyncStatus
from tests.integration import test_sync as base
from tests.integration.test_sync import TOKEN, Harness, rules

pytestmark = pytest.mark.integration
standin, harness = base.standin, base.harness  # the sync tests' fixtures: a stand-in, and a store beside it
NAMES = {f"R-{i:03d}": f"[WARNING] Rule {i:03d}" for i in range(3)}


class MetricsWriteError(Exception):
    """Stands for a failing metrics insert (disk full, a schema the store did not migrate)."""


def _fail_metrics(*_args: Any) -> None:
    raise MetricsWriteError("the metrics insert failed")


def _metrics(store: Store) -> list[dict[str, Any]]:
    return base._metrics(store)


def _owned(harness: Harness) -> dict[str, tuple[str, bool]]:
    """Databricks id -> (alert_id, created_by_us), as the ownership table holds them for the stand-in."""
    host = RemoteWorkspace(harness.client).host
    return {i: (r.alert_id, r.created_by_us) for i, r in load_ownership(harness.store, host).items()}


def test_a_failing_metrics_row_keeps_the_write_back_and_the_ownership_records(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.upsert(*rules(3))
    monkeypatch.setattr(run_module, "record_metrics", _fail_metrics)

    with pytest.raises(SyncWriteError, match="metrics row failed: MetricsWriteError") as failed:
        harness.sync()
    assert isinstance(failed.value, SetupError) and failed.value.hint  # the CLI's exit 2, with a hint
    assert failed.value.result is not None
    assert {o.alert_id: o.status for o in failed.value.result.outcomes} == dict.fromkeys(NAMES, SyncStatus.CREATED)
    created = {name: alert.id for name, alert in harness.alerts().items()}
    state = harness.sync_state()
    assert {i: (s.databricks_alert_id, s.last_sync_status) for i, s in state.items()} == {
        alert_id: (created[name], "CREATED") for alert_id, name in NAMES.items()
    }
    assert _owned(harness) == {created[name]: (alert_id, True) for alert_id, name in NAMES.items()}
    assert not _metrics(harness.store)

    monkeypatch.undo()
    again = harness.sync()  # by id, nothing adopted: the created alerts stay created_by_us
    assert [u.alert_id for u in again.plan.unchanged] == list(NAMES) and not again.plan.create
    assert _owned(harness) == {created[name]: (alert_id, True) for alert_id, name in NAMES.items()}
    assert [row["sync_run_id"] for row in _metrics(harness.store)] == [again.run_id]


def test_a_failing_write_back_writes_neither_half_and_the_metrics_row_says_so(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ownership records fail after the rules' MERGE ran: both roll back (they must agree), and the metrics
    row is still written, naming the failure; the next run adopts the alerts by display name."""
    harness.upsert(*rules(3))

    def merge_then_fail(*args: Any) -> None:
        ownership.record_ownership(*args)
        raise RuntimeError("the ownership insert failed")

    monkeypatch.setattr(run_module, "record_ownership", merge_then_fail)
    with pytest.raises(SyncWriteError, match="writing back the rules and the ownership records failed") as failed:
        harness.sync()
    assert "the ownership insert failed" in str(failed.value)
    assert len(harness.alerts()) == 3  # the workspace has them ...
    assert all(s.databricks_alert_id is None and s.last_sync_status is None for s in harness.sync_state().values())
    assert not _owned(harness)  # ... the store has neither half
    (row,) = _metrics(harness.store)
    assert "writing back the rules and the ownership records failed" in row["error_summary"]
    assert row["created_count"] == 3 and row["error_count"] == 1

    monkeypatch.undo()
    again = harness.sync()
    assert not again.plan.create and [u.alert_id for u in again.plan.unchanged] == list(NAMES)
    assert len(harness.alerts()) == 3
    created = {name: alert.id for name, alert in harness.alerts().items()}
    assert {i: s.databricks_alert_id for i, s in harness.sync_state().items()} == {
        alert_id: created[name] for alert_id, name in NAMES.items()
    }
    # Adopted by name: owned (so updated and retired as ours), created_by_us false — see run._owned_now.
    assert _owned(harness) == {created[name]: (alert_id, False) for alert_id, name in NAMES.items()}


def test_a_stopped_run_keeps_its_message_when_the_write_phase_fails_too(
    harness: Harness, standin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.upsert(*rules(2))
    refusing = workspace_client(standin.url, None, 10, env={"DATABRICKS_TOKEN": "not-the-" + TOKEN})
    monkeypatch.setattr(run_module, "record_metrics", _fail_metrics)

    with pytest.raises(SyncAbortedError) as stopped:
        harness.sync(refusing)
    message = str(stopped.value)
    assert "stopped: a workspace call failed" in message and "Invalid access token" in message  # the cause first
    assert "writing the run's metrics row failed: MetricsWriteError: the metrics insert failed" in message
    assert "not-the-" + TOKEN not in message


def test_a_stopped_run_keeps_its_message_when_the_store_does_not_open_to_write(harness: Harness, standin: Any) -> None:
    harness.upsert(*rules(2))
    refusing = RemoteWorkspace(workspace_client(standin.url, None, 10, env={"DATABRICKS_TOKEN": "not-the-token"}))
    openings = iter([True, False])

    class StoreLockedError(Exception):
        pass

    def phase() -> Any:
        if not next(openings):
            raise StoreLockedError("lakealerts.duckdb is locked")
        return harness.store_phase(refusing)

    with pytest.raises(SyncAbortedError, match="Invalid access token") as stopped:
        run_sync(phase, refusing, SyncOptions(warehouse_id="local"), clock=harness.clock, env={})
    assert "opening the store to write the run's record failed: StoreLockedError" in str(stopped.value)
