"""The rule use cases: import, list, show and export the rules of ``alert_configurations``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from lakealerts import quartz
from lakealerts.app.context import AppContext
from lakealerts.app.files import dump_json, dump_yaml, read_documents
from lakealerts.documents import parse_rules
from lakealerts.errors import NotFoundError
from lakealerts.findings import Finding
from lakealerts.model import StoredRule
from lakealerts.store.store import UpsertCounts


@dataclass
class ImportReport:
    """The outcome of importing files: stored ids, counts, and one problem per rejected document."""

    stored: list[str] = field(default_factory=list)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Finding] = field(default_factory=list)
    pruned: list[str] | None = None  # with --prune: the stored rules the files no longer hold (deleted)
    dry_run: bool = False

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
            "rejected": [problem.to_problem_dict() for problem in self.rejected],
            "rejected_count": self.rejected_documents,
            **({"pruned": self.pruned, "dry_run": self.dry_run} if self.pruned is not None else {}),
        }

    def add(self, ids: list[str], counts: UpsertCounts) -> None:
        """Count one upsert of ``ids``."""
        self.stored.extend(ids)
        self.inserted += counts.inserted
        self.updated += counts.updated
        self.unchanged += counts.unchanged


def read_all(paths: Sequence[Path]) -> list[Any]:
    """Every document of every file, read before anything is stored (UsageError if one is unreadable)."""
    return [document for path in paths for document in read_documents(path)]


def import_rules(ctx: AppContext, paths: Sequence[Path], *, prune: bool = False, dry_run: bool = False) -> ImportReport:
    """Create the tables if needed, read every file (UsageError if one is unreadable: nothing is stored), then
    store the valid rules of all of them.

    With ``prune`` the files are the source of truth (DESIGN §10.2): stored rules whose id no document holds
    (valid or rejected) are deleted, and the next sync retires their alerts. ``dry_run`` writes nothing.
    """
    with ctx.store(require_tables=False) as store:
        store.init()  # also for a dry run: an empty store has tables to compare with
        documents = read_all(paths)
        parsed = parse_rules(documents)
        report = ImportReport(rejected=parsed.problems, dry_run=dry_run)
        counts = store.upsert_rules(parsed.valid, ctx.now(), dry_run=dry_run)
        report.add([rule.alert_id for rule in parsed.valid], counts)
        if prune:
            named = {str(d.get("alert_id")) for d in documents if isinstance(d, dict) and d.get("alert_id")}
            report.pruned = [alert_id for alert_id in store.rule_ids() if alert_id not in named]
            if not dry_run:
                store.delete_rules(report.pruned)
    return report


@dataclass(frozen=True)
class DeleteResult:
    """The rules deleted on purpose."""

    deleted: list[str]

    def to_dict(self) -> dict[str, Any]:
        """``rules delete --json``."""
        return {"deleted": self.deleted}


def delete_rules(ctx: AppContext, alert_ids: Sequence[str]) -> DeleteResult:
    """Delete the named rules (NotFoundError names an unknown id; nothing is deleted then). Their alerts stay
    recorded as this store's, so the next sync deletes them per ``--delete-policy`` (keep: listed as skipped)."""
    with ctx.store() as store:
        known = set(store.rule_ids())
        missing = [alert_id for alert_id in alert_ids if alert_id not in known]
        if missing:
            raise NotFoundError(f"no rule {missing[0]!r} in the store", hint="see `lakealerts rules list`")
        wanted = list(dict.fromkeys(alert_ids))
        store.delete_rules(wanted)
    return DeleteResult(wanted)


@dataclass(frozen=True)
class RuleList:
    """The stored rules, and the rows the model rejects (edited by hand in SQL)."""

    rules: list[StoredRule]
    problems: list[Finding]

    def to_dict(self) -> list[dict[str, Any]]:
        """``rules list --json``: one flat mapping per rule, which ``rules import`` reads back."""
        return [rule_document(item) for item in self.rules]


def list_rules(ctx: AppContext) -> RuleList:
    """Every readable rule; unreadable rows are named in ``problems`` and the others still listed."""
    problems: list[Finding] = []
    with ctx.store() as store:
        stored = store.load_rules(problems=problems)
    return RuleList(stored, problems)


@dataclass(frozen=True)
class RuleDetails:
    """One rule with its schedule in words and its next fire times."""

    stored: StoredRule
    schedule_description: str
    next_fire_times: list[datetime]

    def to_dict(self) -> dict[str, Any]:
        """``rules show --json``: the rule's keys plus ``schedule_description`` and ``next_fire_times``."""
        return {
            **rule_document(self.stored),
            "schedule_description": self.schedule_description,
            "next_fire_times": [moment.isoformat() for moment in self.next_fire_times],
        }


def show_rule(ctx: AppContext, alert_id: str, count: int = 5) -> RuleDetails:
    """The rule ``alert_id`` (NotFoundError when unknown) and its next ``count`` fire times in its zone."""
    with ctx.store() as store:
        stored = store.get_rule(alert_id)
    schedule = quartz.parse(stored.rule.schedule_cron)
    fire_times = schedule.next_fire_times(ctx.now(), stored.rule.schedule_timezone, count)
    return RuleDetails(stored, schedule.describe(), fire_times)


def rule_document(stored: StoredRule) -> dict[str, Any]:
    """A stored rule as one flat mapping of column names (the ``rules list --json`` shape)."""
    return {
        **stored.rule.model_dump(mode="json"),
        **stored.audit.model_dump(mode="json"),
        **stored.sync.model_dump(mode="json"),
    }


class ExportFormat(StrEnum):
    """File formats of ``rules export``."""

    yaml = "yaml"
    json = "json"
    bundle = "bundle"


@dataclass(frozen=True)
class RuleExport:
    """An export's text, how many rules it holds, and what was left out and why."""

    text: str
    count: int
    skipped: list[tuple[str, str]]
    problems: list[Finding]


def export_rules(
    ctx: AppContext, format_: ExportFormat, warehouse_id: str = "${var.warehouse_id}", run_as: str | None = None
) -> RuleExport:
    """The stored rules as a file ``rules import`` reads back (user columns only), or as a bundle's
    ``resources.alerts`` (enabled, valid rules only; ``run_as`` for the alerts whose rule names none)."""
    problems: list[Finding] = []
    with ctx.store() as store:
        stored = store.load_rules(problems=problems)
        destinations = store.load_destinations() if format_ is ExportFormat.bundle else []
    if format_ is ExportFormat.bundle:
        from lakealerts.bundle.export import export_bundle  # imports the SDK: only for this format

        bundle = export_bundle(stored, destinations, ctx.namespace, warehouse_id, run_as)
        return RuleExport(bundle.to_yaml(), bundle.alert_count, list(bundle.skipped), problems)
    documents = [s.rule.model_dump(mode="json") for s in stored]
    text = dump_yaml(documents) if format_ is ExportFormat.yaml else dump_json(documents) + "\n"
    return RuleExport(text, len(documents), [], problems)
