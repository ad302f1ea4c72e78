"""Create and fill the system tables: every table of every schema module, in one transaction.

Each table is replaced whole (``CREATE OR REPLACE TABLE`` with its documented columns, then one bulk
``INSERT``), so running it again for the same plan leaves the same rows, and a different plan leaves no
stale ones. Only :func:`generate` touches an engine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lakealerts.engines.base import Engine
from lakealerts.errors import EngineError
from lakealerts.sql.identifiers import quote
from lakealerts.systables import access, billing, compute, lakeflow, query
from lakealerts.systables.model import SYSTEM_CATALOG, Incident, SystemPlan, SystemTable, rows_json

#: The system tables lakealerts creates, in creation order.
SYSTEM_TABLES: tuple[SystemTable, ...] = (
    *billing.TABLES,
    *access.TABLES,
    *lakeflow.TABLES,
    *query.TABLES,
    *compute.TABLES,
)
#: The documented anomalies of the generated data (docs/systables.md).
INCIDENTS: tuple[Incident, ...] = (
    *billing.INCIDENTS,
    *access.INCIDENTS,
    *lakeflow.INCIDENTS,
    *query.INCIDENTS,
    *compute.INCIDENTS,
)


@dataclass(frozen=True)
class SystemReport:
    """What was generated: the plan, the rows of each table, and the incidents with their dates."""

    plan: SystemPlan
    table_rows: dict[str, int] = field(default_factory=dict)

    @property
    def as_of(self) -> date:
        """The last day of the plan."""
        return self.plan.as_of

    @property
    def total_rows(self) -> int:
        """Rows over all system tables."""
        return sum(self.table_rows.values())

    def incidents(self) -> list[dict[str, str]]:
        """The documented incidents, dated for this plan."""
        return [incident.to_dict(self.plan) for incident in INCIDENTS]

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` shape of ``demo-data --system`` (without timing, which the use case adds)."""
        return {
            "catalog": SYSTEM_CATALOG,
            "as_of": self.plan.as_of.isoformat(),
            "days": self.plan.days,
            "tables": dict(self.table_rows),
            "total_rows": self.total_rows,
            "incidents": self.incidents(),
        }


def generate(engine: Engine, plan: SystemPlan, progress: Callable[[str], None] | None = None) -> SystemReport:
    """(Re)create every system table in the ``system`` catalog of ``engine`` and fill it for ``plan``."""
    report = SystemReport(plan)
    with engine.transaction():
        for schema in dict.fromkeys(table.schema for table in SYSTEM_TABLES):
            engine.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(SYSTEM_CATALOG)}.{quote(schema)}")
        for table in SYSTEM_TABLES:
            rows = table.rows(plan)
            engine.execute(table.create_sql())
            if rows:
                engine.execute(table.insert_sql(), [rows_json(rows)])
            count = int(engine.execute(f"SELECT COUNT(*) AS n FROM {table.quoted_name}").rows[0][0])
            if count != len(rows):  # from_json gives NULL for a row it cannot read: never lose rows quietly
                raise EngineError(f"{table.full_name}: wrote {count} of {len(rows)} generated rows")
            report.table_rows[table.full_name] = count
            if progress is not None:
                progress(f"{table.full_name}: {count:,} rows")
    return report
