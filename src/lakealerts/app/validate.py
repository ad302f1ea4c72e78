"""The validate use case: check the stored rules (static, then on an engine) and record the run."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lakealerts.app.context import AppContext, RemoteOptions
from lakealerts.engines.base import Engine
from lakealerts.findings import Finding
from lakealerts.store.store import Store
from lakealerts.store.validation_results import record_validation
from lakealerts.validate import RuleValidation, ValidationReport, validate_rules


@dataclass(frozen=True)
class ValidationRun:
    """One recorded validation run: its id and every checked rule's verdict."""

    run_id: str
    report: ValidationReport

    def to_dict(self) -> list[dict[str, Any]]:
        """``validate --json``: ``[{"alert_id", "is_valid", "errors": [finding…]}]`` (DESIGN §7)."""
        return [result.to_dict() for result in self.report.results]


def validate_store(
    ctx: AppContext,
    rule_ids: Sequence[str] | None = None,
    *,
    engine: Engine | None = None,
    warehouse_id: str | None = None,
    remote: RemoteOptions | None = None,
    static_only: bool = False,
) -> ValidationRun:
    """Validate the stored rules (all, or ``rule_ids``: unknown ones are a NotFoundError) and record the run.

    The engine checks run on ``engine``, on the SQL warehouse ``warehouse_id`` (reached with ``remote``), or
    by default on the store's own engine; ``static_only`` skips them.
    """
    if warehouse_id:
        engine = warehouse_engine(ctx, warehouse_id, remote or RemoteOptions())
    with ctx.store() as store:
        checks = None if static_only else (engine or store.engine)
        return validate_in(store, checks, ctx, rule_ids)


def warehouse_engine(ctx: AppContext, warehouse_id: str, remote: RemoteOptions) -> Engine:
    """A SQL warehouse as an engine (Statement Execution API), reached like ``sync`` reaches the workspace."""
    from lakealerts.engines.warehouse import WarehouseEngine  # imports the SDK: only when asked for

    return WarehouseEngine(ctx.workspace(remote).client, warehouse_id)


def validate_in(
    store: Store, engine: Engine | None, ctx: AppContext, rule_ids: Sequence[str] | None = None
) -> ValidationRun:
    """``validate_store`` on an already open store (quickstart runs it inside its own session).

    Display names are judged against every stored rule; a row broken by hand is an invalid rule
    (``RULE_INVALID``), never a crash.
    """
    problems: list[Finding] = []
    everything = store.load_rules(problems=problems)
    chosen = store.load_rules(rule_ids, problems=[]) if rule_ids else everything
    destinations = list(store.destinations_by_id(problems=[]).values())
    report = validate_rules(
        [s.rule for s in chosen],
        destinations,
        store.namespace,
        engine,
        all_rules=[s.rule for s in everything],
        now=ctx.now(),
    )
    wanted = set(rule_ids or ())
    report.results += [_unreadable(p) for p in problems if not wanted or p.rule_id in wanted]
    run = ValidationRun(str(uuid.uuid4()), report)
    record_validation(store, run.run_id, report, ctx.now())
    return run


def _unreadable(problem: Finding) -> RuleValidation:
    """A row the model rejects (edited by hand in the table) is an invalid rule like the others."""
    return RuleValidation(problem.rule_id or "<no id>", [problem.without_rule()])
