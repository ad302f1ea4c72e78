"""Use cases shared by the CLI and the notebooks: each takes a store (and the time) and returns a value.

No printing here and no exit codes: the CLI renders what these return.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lakealerts import quartz
from lakealerts.documents import parse_destinations, parse_rules
from lakealerts.engines.base import Engine
from lakealerts.errors import RuleProblem
from lakealerts.files import read_documents
from lakealerts.findings import Finding
from lakealerts.model import StoredDestination, StoredRule
from lakealerts.store.store import Store, UpsertCounts
from lakealerts.store.validation_results import record_validation
from lakealerts.validate import RuleValidation, ValidationReport, validate_rules


@dataclass
class ImportReport:
    """The outcome of importing files: stored ids, counts, and one problem per rejected document."""

    stored: list[str] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RuleProblem] = field(default_factory=list)

    @property
    def rejected_documents(self) -> int:
        """How many documents were rejected (one may have several problems)."""
        return len({(p.rule_id, i) if p.rule_id is None else p.rule_id for i, p in enumerate(self.rejected)})

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` shape of an import: ``rejected`` lists every problem, ``rejected_count`` the documents."""
        return {
            "stored": self.stored,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": [problem.to_dict() for problem in self.rejected],
            "rejected_count": self.rejected_documents,
        }

    def _add(self, ids: list[str], counts: UpsertCounts) -> None:
        self.stored.extend(ids)
        self.inserted += counts.inserted
        self.updated += counts.updated
        self.unchanged += counts.unchanged


def import_rules(store: Store, paths: Sequence[Path], now: datetime) -> ImportReport:
    """Read every file first (UsageError if one is unreadable), then store the valid rules of all of them."""
    documents = [document for path in paths for document in read_documents(path)]
    parsed = parse_rules(documents)
    report = ImportReport(rejected=parsed.problems)
    report._add([rule.alert_id for rule in parsed.valid], store.upsert_rules(parsed.valid, now))
    return report


def import_destinations(store: Store, paths: Sequence[Path], now: datetime) -> ImportReport:
    """Like ``import_rules`` for notification destinations."""
    documents = [document for path in paths for document in read_documents(path)]
    parsed = parse_destinations(documents)
    report = ImportReport(rejected=parsed.problems)
    ids = [destination.destination_id for destination in parsed.valid]
    report._add(ids, store.upsert_destinations(parsed.valid, now))
    return report


def rule_document(stored: StoredRule) -> dict[str, Any]:
    """A stored rule as one flat mapping of column names (the ``rules list --json`` shape)."""
    return {
        **stored.rule.model_dump(mode="json"),
        **stored.audit.model_dump(mode="json"),
        **stored.sync.model_dump(mode="json"),
    }


def rule_details(stored: StoredRule, now: datetime, count: int = 5) -> dict[str, Any]:
    """``rule_document`` plus the schedule in words and the next ``count`` fire times (ISO 8601 with offset)."""
    rule = stored.rule
    schedule = quartz.parse(rule.schedule_cron)
    fire_times = schedule.next_fire_times(now, rule.schedule_timezone, count)
    return {
        **rule_document(stored),
        "schedule_description": schedule.describe(),
        "next_fire_times": [moment.isoformat() for moment in fire_times],
    }


def destination_document(stored: StoredDestination) -> dict[str, Any]:
    """A stored destination as one flat mapping (config references are shown as written, never resolved)."""
    return {
        **stored.destination.model_dump(mode="json"),
        **stored.audit.model_dump(mode="json"),
        "databricks_destination_id": stored.databricks_destination_id,
    }


def validate_store(
    store: Store, engine: Engine | None, now: datetime, rule_ids: Sequence[str] | None = None
) -> tuple[str, ValidationReport]:
    """Validate the stored rules (all, or ``rule_ids``) and record the run; returns (run_id, report).

    Display names are judged against every stored rule; a row broken by hand is an invalid rule
    (``RULE_INVALID``), never a crash. Without an engine only the static checks run.
    """
    problems: list[RuleProblem] = []
    everything = store.load_rules(problems=problems)
    chosen = store.load_rules(rule_ids, problems=[]) if rule_ids else everything
    destinations = list(store.destinations_by_id(problems=[]).values())
    report = validate_rules(
        [s.rule for s in chosen], destinations, store.namespace, engine, all_rules=[s.rule for s in everything]
    )
    wanted = set(rule_ids or ())
    report.results += [_unreadable(p) for p in problems if not wanted or p.rule_id in wanted]
    run_id = str(uuid.uuid4())
    record_validation(store, run_id, report, now)
    return run_id, report


def _unreadable(problem: RuleProblem) -> RuleValidation:
    """A row the model rejects (edited by hand in the table) is an invalid rule like the others."""
    finding = Finding("RULE_INVALID", problem.field, problem.message, problem.hint)
    return RuleValidation(problem.rule_id or "<no id>", [finding])
