"""``alert_validation_results``: one row per rule per validation run (DESIGN §3)."""

from __future__ import annotations

import json
from datetime import datetime

from lakealerts.sql.identifiers import quote
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_VALIDATION_RESULTS
from lakealerts.validate import ValidationReport

_COLUMNS = ("run_id", "alert_id", "is_valid", "error_code", "error_message", "validation_timestamp")


def record_validation(store: Store, run_id: str, report: ValidationReport, now: datetime) -> int:
    """Append the report's rows in one transaction: ``error_code`` = first finding's code, ``error_message`` =
    the JSON array of all findings (NULL when valid). Returns the number of rows written."""
    rows = [
        [
            run_id,
            result.alert_id,
            result.is_valid,
            result.findings[0].code if result.findings else None,
            json.dumps([f.to_dict() for f in result.findings]) if result.findings else None,
            now,
        ]
        for result in report.results
    ]
    if rows:
        names = ", ".join(quote(c) for c in _COLUMNS)
        marks = ", ".join("?" for _ in _COLUMNS)
        store.engine.execute_many(
            f"INSERT INTO {store.table(ALERT_VALIDATION_RESULTS)} ({names}) VALUES ({marks})", rows
        )
    return len(rows)
