"""The destination use cases: import and list notification destinations (their sync is in ``app.sync``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakealerts.app.context import AppContext
from lakealerts.app.rules import ImportReport, read_all
from lakealerts.documents import parse_destinations
from lakealerts.findings import Finding
from lakealerts.model import StoredDestination


def import_destinations(ctx: AppContext, paths: Sequence[Path]) -> ImportReport:
    """Like ``import_rules`` for notification destinations."""
    with ctx.store(require_tables=False) as store:
        store.init()
        parsed = parse_destinations(read_all(paths))
        report = ImportReport(rejected=parsed.problems)
        ids = [destination.destination_id for destination in parsed.valid]
        report.add(ids, store.upsert_destinations(parsed.valid, ctx.now()))
    return report


@dataclass(frozen=True)
class DestinationList:
    """The stored destinations, and the rows the model rejects."""

    destinations: list[StoredDestination]
    problems: list[Finding]

    def to_dict(self) -> list[dict[str, Any]]:
        """``destinations list --json`` (plain secrets masked as ``***``; references as written, never resolved)."""
        return [destination_document(item) for item in self.destinations]


def list_destinations(ctx: AppContext) -> DestinationList:
    """Every readable destination; unreadable rows are named in ``problems``."""
    problems: list[Finding] = []
    with ctx.store() as store:
        stored = store.load_destinations(problems=problems)
    return DestinationList(stored, problems)


def destination_document(stored: StoredDestination) -> dict[str, Any]:
    """A stored destination as one flat mapping: plain secrets of its config masked as ``***``, references shown as
    written (never resolved)."""
    return {
        **stored.destination.model_dump(mode="json"),
        "config_json": stored.destination.masked_config(),
        **stored.audit.model_dump(mode="json"),
        "databricks_destination_id": stored.databricks_destination_id,
    }
