"""Build and run the demo gold layer: the statement list is pure, :func:`generate` runs it on an engine.

Every table is replaced whole (``CREATE OR REPLACE TABLE … AS SELECT``), so running the generator again for
the same ``(rows, as_of)`` leaves byte-identical tables, and a different plan never leaves stale rows behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lakealerts.demo import audit, billing, compute, jobs, quality, queries, streaming
from lakealerts.demo.model import DemoPlan, DemoTable, Fragment
from lakealerts.engines.base import Engine
from lakealerts.sql.identifiers import Namespace

#: The demo gold layer, in creation order.
DEMO_TABLES: tuple[DemoTable, ...] = (
    billing.TABLE,
    audit.TABLE,
    queries.TABLE,
    compute.TABLE,
    jobs.JOB_RUN_TIMELINE,
    jobs.PIPELINE_UPDATE_TIMELINE,
    streaming.TABLE,
    quality.TABLE,
)


@dataclass(frozen=True)
class DemoReport:
    """What was generated: where, for which plan, and how many rows each table holds."""

    namespace: str
    as_of: date
    rows: int
    table_rows: dict[str, int] = field(default_factory=dict)

    @property
    def total_rows(self) -> int:
        """Rows over all demo tables."""
        return sum(self.table_rows.values())

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` shape of ``demo-data`` (without timing, which the CLI adds)."""
        return {
            "namespace": self.namespace,
            "as_of": self.as_of.isoformat(),
            "rows": self.rows,
            "tables": dict(self.table_rows),
            "total_rows": self.total_rows,
        }


def create_statements(namespace: Namespace, plan: DemoPlan) -> list[tuple[DemoTable, Fragment]]:
    """The ``CREATE OR REPLACE TABLE`` statement of every demo table, in order (pure)."""
    return [(table, table.create(namespace, plan)) for table in DEMO_TABLES]


def generate(
    engine: Engine,
    namespace: Namespace,
    plan: DemoPlan,
    progress: Callable[[str], None] | None = None,
) -> DemoReport:
    """Create the schema if needed and (re)create every demo table in ``namespace`` for ``plan``."""
    engine.execute(f"CREATE SCHEMA IF NOT EXISTS {namespace.qualified}")
    report = DemoReport(f"{namespace.catalog}.{namespace.schema}", plan.as_of, plan.rows)
    for table, statement in create_statements(namespace, plan):
        if progress is not None:  # what is being written; the row counts are the report's (printed once, after)
            progress(f"writing {table.name} …")
        engine.execute(statement.sql, statement.params)
        count = engine.execute(f"SELECT COUNT(*) AS n FROM {namespace.table(table.name)}").rows[0][0]
        report.table_rows[table.name] = int(count)
    return report
