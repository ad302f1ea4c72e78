"""One sync run, end to end: destinations, static validation, plan, apply, write-back, metrics.

A run has three phases, and the store is open only in the first and the last (DESIGN §10.1: nothing waits on a
network peer while holding ``lakealerts.duckdb``, so ``rules list``, ``history`` and ``serve``'s scheduler keep
working during a long sync):

1. **read** (store open): destinations, rules and the sync columns they carry;
2. **remote** (store closed): destinations sync, listing, planning, applying;
3. **write** (store open), also when the run stopped in phase 2: first, in one transaction, destination ids,
   the rules' write-back MERGE and the ownership records (they must agree: a rule's id is an alert this store
   owns); then, in its own statement, the metrics row — so a failing metrics insert costs the run its metrics
   row, never its write-back, and a failing write-back still leaves the metrics row that says so. Either
   failure is raised after the other part is written (:class:`SyncWriteError`, or added to the message of the
   :class:`SyncAbortedError` of a stopped run).

A process that dies between 2 and the first commit of 3 leaves alerts (and destinations) nobody wrote back: the
next run adopts them by display name inside the folder (DESIGN §5), never a second one.

``plan`` and ``sync --dry-run`` are this same path with ``dry_run=True``: nothing remote changes and only the
metrics row is written.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from databricks.sdk.service.sql import AlertV2

from lakealerts.errors import SetupError
from lakealerts.findings import Finding
from lakealerts.model import StoredDestination, StoredRule
from lakealerts.secrets import SecretReader
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.ownership import OwnershipRecord, forget_ownership, load_ownership, record_ownership
from lakealerts.store.store import Store
from lakealerts.store.sync_records import (
    RuleWriteBack,
    SyncMetrics,
    latency_stats,
    load_sync_ids,
    record_metrics,
    write_back_rules,
    write_destination_ids,
)
from lakealerts.sync.applier import Outcome, apply_plan
from lakealerts.sync.destinations import DestinationOutcome, sync_destinations
from lakealerts.sync.mapping import MappingContext, MappingError, to_alert
from lakealerts.sync.planner import Desired, DestinationsPlan, Owned, Plan, build_plan, normalise
from lakealerts.sync.policy import SyncOptions
from lakealerts.sync.remote import REMOTE_ERRORS, RemoteWorkspace
from lakealerts.sync.status import SUCCESS_STATUSES, SyncStatus, success_rate
from lakealerts.validate import validate_rules
from lakealerts.validate.static import display_name


class SyncAbortedError(SetupError):
    """Raised when a call the whole run depends on (listing destinations or alerts, creating the folder) still
    fails after the retries; the run's metrics row is written first. Per-rule failures never raise."""


class SyncWriteError(SetupError):
    """Raised when phase 3 could not write part of a run's record (the write-back with the ownership records, or
    the metrics row) after writing what it could; ``result`` is the run's result, as :func:`run_sync` would have
    returned it."""

    def __init__(self, message: str, *, hint: str | None = None, result: SyncResult | None = None) -> None:
        super().__init__(message, hint=hint)
        self.result = result


@dataclass
class SyncResult:
    """A run's plan and outcomes, in the JSON shape of DESIGN §7."""

    run_id: str
    dry_run: bool
    plan: Plan
    outcomes: list[Outcome] = field(default_factory=list)
    destinations: list[DestinationOutcome] = field(default_factory=list)
    success_rate: float = 1.0

    @property
    def failed_destinations(self) -> list[DestinationOutcome]:
        """The destinations whose sync failed (named on stderr and in the metrics row)."""
        return [d for d in self.destinations if d.status == SyncStatus.FAILED]

    def to_dict(self) -> dict[str, Any]:
        """``{"run_id", "dry_run", "plan", "outcomes", "success_rate"}`` plus the destination outcomes."""
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "plan": self.plan.to_dict(),
            "outcomes": [o.to_dict() for o in self.outcomes],
            "success_rate": self.success_rate,
            "destinations": [d.to_dict() for d in self.destinations],
        }


StoreOpener = Callable[[], AbstractContextManager[Store]]


@dataclass(frozen=True)
class StoredInputs:
    """What a run reads from the store before it talks to the workspace (phase 1)."""

    namespace: Namespace
    destinations: list[StoredDestination]
    unreadable_destinations: list[Finding]  # rows the model rejects: reported as FAILED, left alone remotely
    rules: list[StoredRule] = field(default_factory=list)
    unreadable_rules: list[Desired] = field(default_factory=list)  # skipped as INVALID, their alerts claimed
    owned: dict[str, OwnershipRecord] = field(default_factory=dict)  # DESIGN §10.2, by Databricks id


@dataclass
class Written:
    """What phase 3 writes of the rules: their sync columns, the alerts now owned, the alerts deleted."""

    rules: list[RuleWriteBack]
    owned: list[OwnershipRecord]
    deleted: list[str]


def run_sync(
    store: Store | StoreOpener,
    remote: RemoteWorkspace,
    options: SyncOptions,
    *,
    clock: Callable[[], datetime],
    env: Mapping[str, str],
    secret_reader: SecretReader | None = None,
    progress: Callable[[str], None] | None = None,
) -> SyncResult:
    """Destinations first, then alerts; a rule's or destination's failure is its outcome, never a lost run.

    ``store`` is what opens the store for one phase (the app's ``ctx.store``): it is opened to read and again
    to write back, never while the workspace is called. An already open :class:`Store` is used as it is.
    Raises :class:`SyncAbortedError` (after recording the metrics row) when the workspace cannot be listed, and
    :class:`SyncWriteError` (after writing what it could) when part of the run's record could not be written.
    """
    open_store = _opener(store)
    say = progress or (lambda _message: None)
    run_id, started, started_clock = str(uuid.uuid4()), clock(), time.perf_counter()
    first_call = len(remote.log.latencies_ms)  # a RemoteWorkspace may serve several runs: count only this one's
    host = remote.host
    with open_store() as opened:  # 1. read
        stored = read_inputs(opened, options, host)
    result = SyncResult(run_id, options.dry_run, Plan())
    written: Written | None = None
    stopped: BaseException | None = None
    try:  # 2. remote, with the store closed; the alerts are listed while the destinations sync
        with ThreadPoolExecutor(max_workers=1) as pool:  # leaving the block waits for the listing
            listing = pool.submit(remote.list_alerts) if options.include_rules else None
            _sync_destinations(remote, options, result, stored, env, secret_reader, say)
            if listing is not None:
                written = _sync_rules(remote, options, result, stored, say, listing.result)
    except REMOTE_ERRORS as error:
        stopped = error
    aborted = f"{type(stopped).__name__}: {stopped}" if stopped is not None else None
    latencies = remote.log.latencies_ms[first_call:]
    try:
        with open_store() as opened:  # 3. write, also after a stop
            failures = _write_phase(opened, options, result, written, host, clock, aborted,
                                    started, lambda: time.perf_counter() - started_clock, latencies)  # fmt: skip
    except Exception as error:  # the store did not open (locked, gone): a stopped run keeps its own message
        if stopped is None:
            raise
        failures = [f"opening the store to write the run's record failed: {type(error).__name__}: {error}"]
    if stopped is not None:
        raise SyncAbortedError(
            f"sync {run_id} stopped: a workspace call failed: {aborted}" + "".join(f"; {f}" for f in failures),
            hint="check the host, the token (DATABRICKS_TOKEN or --profile) and the network, then sync again: "
            "the next run adopts whatever this one created",
        ) from stopped
    if failures:
        raise SyncWriteError(
            f"sync {run_id} ran, but " + "; ".join(failures),
            hint="check the store (lakealerts.duckdb: disk, permissions, schema), then sync again: the next run "
            "adopts by display name any alert whose write-back was lost",
            result=result,
        )
    return result


def _write_phase(
    store: Store, options: SyncOptions, result: SyncResult, written: Written | None, host: str,
    clock: Callable[[], datetime], aborted: str | None, started: datetime, seconds: Callable[[], float],
    latencies_ms: list[float],
) -> list[str]:  # fmt: skip
    """Phase 3: the write-back and the ownership records in one transaction, then the metrics row on its own;
    what failed, as sentences for the run's error (empty when all was written)."""
    failures: list[str] = []
    try:
        with store.engine.transaction():  # the rules' ids and the ownership records agree, or neither is written
            if not options.dry_run:
                ids = {d.destination_id: d.databricks_destination_id for d in result.destinations}
                write_destination_ids(store, ids)
            if written is not None:
                write_back_rules(store, written.rules, clock())
                record_ownership(store, host, written.owned, clock())
                forget_ownership(store, host, written.deleted)
    except Exception as error:  # the metrics row is still written, and says so
        failures.append(f"writing back the rules and the ownership records failed: {type(error).__name__}: {error}")
    try:
        _record(store, options, result, started, clock(), seconds(), latencies_ms, aborted, failures)
    except Exception as error:
        failures.append(f"writing the run's metrics row failed: {type(error).__name__}: {error}")
    return failures


def _opener(store: Store | StoreOpener) -> StoreOpener:
    if isinstance(store, Store):
        held = store
        return lambda: nullcontext(held)
    return store


def read_inputs(store: Store, options: SyncOptions, host: str) -> StoredInputs:
    """Phase 1: the destinations (read once: synced, then checked against) and, unless the run is for
    destinations only, the rules with their stored ids and the alerts this store owns on ``host``."""
    unreadable: list[Finding] = []
    destinations = store.load_destinations(problems=unreadable)
    if not options.include_rules:
        return StoredInputs(store.namespace, destinations, unreadable)
    problems: list[Finding] = []
    rules = store.load_rules(problems=problems)
    return StoredInputs(store.namespace, destinations, unreadable, rules, _unreadable_rows(store, problems),
                        load_ownership(store, host))  # fmt: skip


def _sync_destinations(
    remote: RemoteWorkspace,
    options: SyncOptions,
    result: SyncResult,
    stored: StoredInputs,
    env: Mapping[str, str],
    secret_reader: SecretReader | None,
    say: Callable[[str], None],
) -> None:
    verb = "planning" if options.dry_run else "syncing"
    count = len(stored.destinations)
    say(f"{verb} {count} destination{'' if count == 1 else 's'}")
    result.destinations = sync_destinations(
        stored.destinations, remote, env, secret_reader=secret_reader, dry_run=options.dry_run
    )
    # A row broken by hand in SQL is left as it is remotely and reported, never a reason to stop the run.
    result.destinations += [
        DestinationOutcome(
            p.rule_id or "<no id>", "none", SyncStatus.FAILED, None, f"stored destination is invalid: {p}"
        )
        for p in stored.unreadable_destinations
    ]


def _destination_ids(result: SyncResult) -> dict[str, str]:
    """Our destination id -> Databricks id, for the rule mapping.

    A dry run creates nothing, so a destination it would (re)create gets a placeholder id: its rules plan as
    they will deploy, instead of failing for want of an id.
    """
    ids = {d.destination_id: d.databricks_destination_id for d in result.destinations if d.databricks_destination_id}
    for planned in result.destinations:
        if planned.status == SyncStatus.PLANNED and planned.action in ("create", "recreate"):
            ids[planned.destination_id] = f"(to be created: {planned.destination_id})"
    return ids


def _sync_rules(
    remote: RemoteWorkspace,
    options: SyncOptions,
    result: SyncResult,
    stored: StoredInputs,
    say: Callable[[str], None],
    listed: Callable[[], list[AlertV2]],
) -> Written | None:
    """Plan (against the alerts ``listed`` returns) and, unless a dry run, apply; what phase 3 writes, or None
    when nothing was applied."""
    desired = _desired(stored, options, _destination_ids(result))
    say(f"listing alerts; planning {len(desired)} rules")
    owned = {i: Owned(i, r.alert_id, r.parent_path, r.synced_alert) for i, r in stored.owned.items()}
    plan = build_plan(desired, listed(), options.parent_path, options.delete_policy, owned)
    result.plan = replace(plan, destinations=destinations_plan(result.destinations))
    stored_ids = {d.alert_id: d.stored_alert_id for d in desired}
    if options.dry_run:
        result.success_rate = success_rate(result.plan.expected_statuses())  # what the real sync would get
        return None
    changes = len(plan.create) + len(plan.update) + len(plan.delete)
    say(f"applying: {len(plan.create)} create, {len(plan.update)} update, {len(plan.delete)} delete")
    deleted: list[str] = []
    result.outcomes = apply_plan(plan, remote, options.parent_path, stored_ids=stored_ids,
                                 concurrency=options.concurrency, progress=_progress(say, changes),
                                 deleted=deleted)  # fmt: skip
    result.success_rate = success_rate(o.status for o in result.outcomes if o.alert_id is not None)  # rules only
    rules = [_write_back(o) for o in result.outcomes if o.alert_id and o.status != SyncStatus.SKIPPED]
    records = _owned_now(result.outcomes, desired, stored.owned, options.parent_path)
    changed = [r for r in records if not _same_record(r, stored.owned.get(r.databricks_alert_id))]
    return Written(rules, changed, deleted)


def _progress(say: Callable[[str], None], total: int) -> Callable[[Outcome], None]:
    """Every 100th applied change (and the last) on stderr: a long sync shows it is moving."""
    done = [0]

    def applied(_outcome: Outcome) -> None:
        done[0] += 1
        if total >= 100 and (done[0] % 100 == 0 or done[0] == total):
            say(f"applied {done[0]}/{total}")

    return applied


def _owned_now(
    outcomes: list[Outcome], desired: list[Desired], before: Mapping[str, OwnershipRecord], parent_path: str
) -> list[OwnershipRecord]:
    """The ownership records after a run: every alert a rule now has (created, adopted, updated or unchanged),
    with the alert as this run left it (the base of the next run's drift check).

    ``created_by_us`` is true for an alert this run created (a create adopted after a lost answer included) and
    stays true once recorded; an alert adopted by display name without an ownership row is recorded with false,
    on purpose. Its display name and folder are by construction the ones this store would create (that is how
    it was matched), so they cannot tell a create whose write-back was lost from the other adoption DESIGN §10.2
    names, "a fresh home in CI", whose alerts another store created; false is the claim that holds in both. It
    costs nothing: ownership (the row) is what makes an alert this store's to update and retire, and it is
    recorded either way; no decision reads ``created_by_us``. And phase 3 now commits the write-back and the
    ownership records before the metrics row, so only a death (or a failure of that one transaction) between
    the remote phase and that commit still leaves a created alert to be adopted.
    """
    wanted = {d.alert_id: d.alert for d in desired if d.alert is not None}
    records = []
    for outcome in outcomes:
        alert = wanted.get(outcome.alert_id or "")
        if outcome.status not in SUCCESS_STATUSES or not outcome.databricks_alert_id or alert is None:
            continue
        previous = before.get(outcome.databricks_alert_id)
        created = outcome.action == "create" or (previous is not None and previous.created_by_us)
        records.append(OwnershipRecord(outcome.databricks_alert_id, outcome.alert_id or "", parent_path, created,
                                       normalise(alert)))  # fmt: skip
    return records


def _same_record(record: OwnershipRecord, stored: OwnershipRecord | None) -> bool:
    """Whether the store already holds ``record`` as it is (then a run that changed nothing writes no row)."""
    if stored is None:
        return False
    key = (record.alert_id, record.parent_path, record.created_by_us)
    return key == (stored.alert_id, stored.parent_path, stored.created_by_us) and _as_json(
        record.synced_alert
    ) == _as_json(stored.synced_alert)


def _as_json(value: Mapping[str, Any] | None) -> str | None:
    """A synced alert as the ownership table stores it (so a fresh one compares equal to one read back)."""
    return json.dumps(value, sort_keys=True, default=str) if value else None


def destinations_plan(outcomes: list[DestinationOutcome]) -> DestinationsPlan:
    """Destination ids by action: a type change is delete + create; failures belong to no bucket."""

    def ids(*actions: str) -> tuple[str, ...]:
        return tuple(d.destination_id for d in outcomes if d.action in actions and d.status != SyncStatus.FAILED)

    return DestinationsPlan(ids("create", "recreate"), ids("update"), ids("delete", "recreate"), ids("none"))


def _desired(stored: StoredInputs, options: SyncOptions, destination_ids: dict[str, str]) -> list[Desired]:
    rules = [s.rule for s in stored.rules]
    destinations = [d.destination for d in stored.destinations]
    report = validate_rules(rules, destinations, stored.namespace)  # static checks only: no engine
    findings = {r.alert_id: r.findings for r in report.results}
    context = MappingContext(stored.namespace, options.warehouse_id, options.parent_path, destination_ids)
    desired = [_desired_one(s, findings[s.rule.alert_id], context) for s in stored.rules]
    return desired + stored.unreadable_rules


def _desired_one(stored: StoredRule, findings: list[Any], context: MappingContext) -> Desired:
    rule, stored_id = stored.rule, stored.sync.databricks_alert_id
    name = display_name(rule)
    if not rule.is_enabled:  # retired by the delete policy whatever its findings: it will not run anyway
        return Desired(rule.alert_id, None, stored_id, claim_name=name)
    if findings:
        reason = "invalid: " + "; ".join(f"{f.code} ({f.field}): {f.message}" for f in findings)
        return Desired(rule.alert_id, None, stored_id, reason, SyncStatus.INVALID, name)
    try:
        return Desired(rule.alert_id, to_alert(rule, context), stored_id)
    except MappingError as error:
        return Desired(rule.alert_id, None, stored_id, str(error), SyncStatus.FAILED, name)


def _unreadable_rows(store: Store, problems: list[Finding]) -> list[Desired]:
    """Rows the model rejects are invalid rules: skipped, and their alerts are claimed so none is deleted."""
    ids = sorted({p.rule_id for p in problems if p.rule_id})
    return [
        Desired(alert_id, None, databricks_id, _invalid_reason(problems, alert_id), SyncStatus.INVALID, name)
        for alert_id, databricks_id, name in load_sync_ids(store, ids)
    ]


def _invalid_reason(problems: list[Finding], alert_id: str) -> str:
    return "invalid: RULE_INVALID: " + next(str(p) for p in problems if p.rule_id == alert_id)


def _write_back(outcome: Outcome) -> RuleWriteBack:
    error = outcome.error if outcome.status not in SUCCESS_STATUSES else None
    return RuleWriteBack(
        outcome.alert_id or "",
        outcome.databricks_alert_id,
        outcome.display_name if outcome.databricks_alert_id else None,
        outcome.status,
        error,
    )


def _record(
    store: Store, options: SyncOptions, result: SyncResult, started: datetime, ended: datetime, seconds: float,
    latencies_ms: list[float], aborted: str | None = None, write_failures: list[str] | None = None,
) -> None:  # fmt: skip
    outcomes = [o for o in result.outcomes if o.alert_id is not None and o.status != SyncStatus.SKIPPED]
    average, maximum, minimum, p95 = latency_stats(latencies_ms)
    errors = [f"run stopped: {aborted}"] if aborted else []
    errors += list(write_failures or [])
    errors += [f"{o.alert_id}: {o.error}" for o in outcomes if o.status not in SUCCESS_STATUSES]
    errors += [f"destination {d.destination_id}: {d.error}" for d in result.failed_destinations]
    plan = result.plan
    record_metrics(
        store,
        SyncMetrics(
            sync_run_id=result.run_id,
            sync_started_at=started,
            sync_ended_at=ended,
            total_alerts=len(outcomes)
            if not options.dry_run
            else len(plan.create)
            + len(plan.update)
            + len(plan.delete)
            + len(plan.unchanged)
            + sum(1 for s in plan.skipped if s.status != SyncStatus.SKIPPED),
            success_count=sum(1 for o in outcomes if o.status in SUCCESS_STATUSES),
            error_count=len(errors),
            created_count=sum(1 for o in outcomes if o.status == SyncStatus.CREATED),
            updated_count=sum(1 for o in outcomes if o.status == SyncStatus.UPDATED),
            deleted_count=sum(1 for o in result.outcomes if o.status == SyncStatus.DELETED),
            skipped_count=len(plan.skipped),
            avg_api_latency_ms=average,
            max_api_latency_ms=maximum,
            min_api_latency_ms=minimum,
            p95_api_latency_ms=p95,
            total_duration_seconds=seconds,
            dry_run=options.dry_run,
            catalog=store.namespace.catalog,
            gold_schema=store.namespace.schema,
            error_summary="\n".join(errors[:20]) or None,
        ),
    )
