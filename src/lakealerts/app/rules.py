"""The rule use cases: import, list, show and export the rules of ``alert_configurations``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from lakealerts import quartz
from lakealerts.app.context import AppContext
from lakealerts.app.files import dump_json, dump_yaml, read_documents
from lakealerts.documents import parse_rules
from lakealerts.errors import LakeAlertsError, NotFoundError, UsageError
from lakealerts.findings import Finding
from lakealerts.model import PauseStatus, StoredRule
from lakealerts.options import ExportFormat
from lakealerts.store.store import Store, UpsertCounts


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
    warnings: list[str] = field(default_factory=list)  # stored, but something else will refuse it (text only)

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
        per_file = [read_documents(path) for path in paths]
        documents = [document for documents in per_file for document in documents]
        if prune:
            _refuse_to_prune_everything(paths, per_file)
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


def _refuse_to_prune_everything(paths: Sequence[Path], per_file: Sequence[list[Any]]) -> None:
    """With --prune the files are the source of truth, so a file that lost its rules (empty, truncated,
    comments only, a wrong path in CI) would delete rules: refused (UsageError) when any file names no rule."""
    if not paths:
        raise UsageError("--prune without a file would delete every stored rule", hint="pass the files of your rules")
    for path, documents in zip(paths, per_file, strict=True):
        if not any(isinstance(document, dict) and document.get("alert_id") is not None for document in documents):
            raise UsageError(
                f"--prune with {path}, which names no rule (no document with an alert_id): the rules it held "
                "would be deleted",
                hint="pass only files that hold rules, or delete rules on purpose with `lakealerts rules delete ID…`",
            )


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
    return _details(ctx, stored, count)


def _details(ctx: AppContext, stored: StoredRule, count: int = 5) -> RuleDetails:
    schedule = quartz.parse(stored.rule.schedule_cron)
    fire_times = schedule.next_fire_times(ctx.now(), stored.rule.schedule_timezone, count)
    return RuleDetails(stored, schedule.describe(), fire_times)


def rule_etag(stored: StoredRule) -> str:
    """A strong ETag of the rule's user columns (the Alert Center's guard against lost updates, DESIGN §13)."""
    text = json.dumps(stored.rule.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:20] + '"'


class RuleRejectedError(UsageError):
    """Raised when an edited rule is rejected by the model or by validation; ``findings`` say where and why."""

    code: ClassVar[str] = "RULE_REJECTED"

    def __init__(self, alert_id: str, findings: Sequence[Finding]) -> None:
        """Name the rule and carry every finding."""
        first = findings[0] if findings else None
        super().__init__(
            f"rule {alert_id}: {first.field}: {first.message}" if first else f"rule {alert_id} is invalid",
            hint=first.hint if first else None,
        )
        self.findings = list(findings)


class StaleRuleError(LakeAlertsError):
    """Raised when a rule changed since the editor read it (the If-Match etag no longer matches)."""

    code: ClassVar[str] = "STALE"


def update_rule(
    ctx: AppContext, alert_id: str, document: Mapping[str, Any], if_match: str | None = None
) -> RuleDetails:
    """Replace the rule ``alert_id`` with ``document`` (the ``rules import`` of one rule) after checking it.

    NotFoundError when unknown; StaleRuleError when ``if_match`` is not the current etag; RuleRejectedError
    (with findings) when the model or the static checks reject it — nothing is stored then. The check and the
    write happen in one store session (sessions of a process take turns, and a writer holds the file).
    """
    with ctx.store() as store, store.engine.transaction():
        current = store.get_rule(alert_id)
        _check_etag(alert_id, current, if_match)
        stored = _replace(ctx, store, alert_id, document)
    return _details(ctx, stored)


def patch_rule(ctx: AppContext, alert_id: str, patch: Mapping[str, Any], if_match: str | None = None) -> RuleDetails:
    """Change the columns named in ``patch`` of the rule ``alert_id`` and keep the others as stored.

    The read, the merge and the write happen in one store session, so two patches of different columns never
    undo each other. ``if_match`` (optional) must be the etag of the rule as read; errors as :func:`update_rule`.
    """
    with ctx.store() as store, store.engine.transaction():
        current = store.get_rule(alert_id)
        _check_etag(alert_id, current, if_match)
        stored = _replace(ctx, store, alert_id, {**current.rule.model_dump(mode="json"), **patch})
    return _details(ctx, stored)


def _check_etag(alert_id: str, current: StoredRule, if_match: str | None) -> None:
    if if_match is not None and if_match != rule_etag(current):
        raise StaleRuleError(f"rule {alert_id} changed since it was read",
                             hint="reload the rule, apply your edit again and save")  # fmt: skip


def _replace(ctx: AppContext, store: Store, alert_id: str, document: Mapping[str, Any]) -> StoredRule:
    """Check ``document`` as the rule ``alert_id`` and store it in this session; the stored rule."""
    from lakealerts.validate import validate_rules  # sqlglot: only when a rule is edited

    if document.get("alert_id", alert_id) != alert_id:
        raise RuleRejectedError(alert_id, [Finding.rejected(None, "alert_id", "the id cannot be changed here",
                                                            f"keep alert_id: {alert_id}")])  # fmt: skip
    parsed = parse_rules([{**document, "alert_id": alert_id}])
    if parsed.problems:
        raise RuleRejectedError(alert_id, [p.without_rule() for p in parsed.problems])
    others = [s.rule for s in store.load_rules(problems=[]) if s.rule.alert_id != alert_id]
    destinations = list(store.destinations_by_id(problems=[]).values())
    report = validate_rules(parsed.valid, destinations, store.namespace, None, all_rules=[*others, *parsed.valid],
                            now=ctx.now())  # fmt: skip
    findings = [f for result in report.results for f in result.findings]
    if findings:
        raise RuleRejectedError(alert_id, findings)
    store.upsert_rules(parsed.valid, ctx.now())
    return store.get_rule(alert_id)


class BulkAction(StrEnum):
    """What the Alert Center's bulk action does to each rule."""

    enable = "enable"
    disable = "disable"
    pause = "pause"
    unpause = "unpause"


_BULK_CHANGES: dict[BulkAction, dict[str, Any]] = {
    BulkAction.enable: {"is_enabled": True},
    BulkAction.disable: {"is_enabled": False},
    BulkAction.pause: {"pause_status": PauseStatus.PAUSED},
    BulkAction.unpause: {"pause_status": PauseStatus.UNPAUSED},
}


def bulk_update(ctx: AppContext, alert_ids: Sequence[str], action: BulkAction) -> ImportReport:
    """Enable, disable, pause or unpause the named rules (NotFoundError names an unknown id; nothing changes
    then). The report is ``rules import --json``'s: unchanged counts the rules already that way."""
    with ctx.store() as store, store.engine.transaction():  # read and write in one session: no lost update
        stored = store.load_rules(list(dict.fromkeys(alert_ids)))
        changed = [s.rule.model_copy(update=_BULK_CHANGES[action]) for s in stored]
        report = ImportReport()
        report.add([rule.alert_id for rule in changed], store.upsert_rules(changed, ctx.now()))
    return report


def rule_document(stored: StoredRule) -> dict[str, Any]:
    """A stored rule as one flat mapping of column names (the ``rules list --json`` shape)."""
    return {
        **stored.rule.model_dump(mode="json"),
        **stored.audit.model_dump(mode="json"),
        **stored.sync.model_dump(mode="json"),
    }


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
