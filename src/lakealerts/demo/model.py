"""The shape of the demo gold layer: tables as data, and the SQL that creates one (pure: builds text).

Each demo table is a :class:`DemoTable`: its columns with Databricks types and a *body*, a Databricks SQL
query producing those columns for a :class:`DemoPlan`. The create statement wraps the body in
``CREATE OR REPLACE TABLE … AS SELECT CAST(…) … ORDER BY …``, so the declared types are the table's types and
the rows land in one order on every run. Values such as the as-of date travel as ``?`` parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from lakealerts.errors import UsageError
from lakealerts.options import MIN_DEMO_ROWS
from lakealerts.sql.identifiers import Namespace, quote

#: Days of history ending with the as-of day: covers the 30-day look-backs and the calendar month.
HISTORY_DAYS = 35
#: The event tables share ``--rows``; below this the per-day groups of billing_usage would run empty.
MIN_ROWS = MIN_DEMO_ROWS
#: Row keys stay below 10^9 so the hash arithmetic of :mod:`lakealerts.demo.hashing` cannot overflow.
MAX_ROWS = 300_000_000
#: The tables that take ``--rows`` (split evenly); the others have fixed, realistic sizes.
EVENT_TABLE_COUNT = 3

#: The first CTE of every body: the as-of date and its midnight (UTC) in epoch seconds, bound as parameters.
PARAMS_CTE = "params AS (SELECT CAST(? AS DATE) AS as_of, CAST(? AS BIGINT) AS day0)"


@dataclass(frozen=True)
class DemoPlan:
    """What to generate: ``rows`` event rows in all (split over the event tables) ending on ``as_of``."""

    rows: int
    as_of: date

    def __post_init__(self) -> None:
        if not MIN_ROWS <= self.rows <= MAX_ROWS:
            raise UsageError(
                f"--rows {self.rows} is out of range",
                hint=f"use between {MIN_ROWS:,} and {MAX_ROWS:,} rows",
            )

    @property
    def rows_per_event_table(self) -> int:
        """Rows of bulk activity in each of billing_usage, audit_log and query_history."""
        return self.rows // EVENT_TABLE_COUNT

    @property
    def day0(self) -> int:
        """Epoch seconds of the as-of day's midnight in UTC (the demo's clock runs in UTC)."""
        return int(datetime(self.as_of.year, self.as_of.month, self.as_of.day, tzinfo=UTC).timestamp())

    @property
    def base_params(self) -> tuple[Any, ...]:
        """The values of :data:`PARAMS_CTE`'s two placeholders."""
        return (self.as_of.isoformat(), self.day0)


@dataclass(frozen=True)
class DemoColumn:
    """One column of a demo table: name, Databricks type and what it means."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Fragment:
    """SQL text with its positional ``?`` parameters, in text order."""

    sql: str
    params: tuple[Any, ...] = ()


@dataclass(frozen=True)
class DemoTable:
    """A demo gold table: what it is modelled on, its columns, its row order and its body query."""

    name: str
    modelled_on: str
    description: str
    columns: tuple[DemoColumn, ...]
    order_by: tuple[str, ...]
    body: Callable[[DemoPlan], Fragment]

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in table order."""
        return tuple(column.name for column in self.columns)

    def create(self, namespace: Namespace, plan: DemoPlan) -> Fragment:
        """``CREATE OR REPLACE TABLE`` for this table in ``namespace``, filled for ``plan``."""
        body = self.body(plan)
        casts = ", ".join(f"CAST(src.{quote(c.name)} AS {c.type}) AS {quote(c.name)}" for c in self.columns)
        order = ", ".join(quote(name) for name in self.order_by)
        sql = (
            f"CREATE OR REPLACE TABLE {namespace.table(self.name)} AS "
            f"SELECT {casts} FROM ({body.sql}) AS src ORDER BY {order}"
        )
        return Fragment(sql, body.params)


def columns(*specs: tuple[str, str, str]) -> tuple[DemoColumn, ...]:
    """Columns from ``(name, type, description)`` triples."""
    return tuple(DemoColumn(*spec) for spec in specs)


def select(names: Sequence[str], values: Mapping[str, str], source: str, where: str | None = None) -> str:
    """``SELECT <value> AS <name>, … FROM source [WHERE …]`` with every name given exactly once, in order.

    Several parts of one table are ``UNION ALL``-ed, which matches columns by position: building every part
    from the same name list keeps them aligned.
    """
    if set(values) != set(names):
        raise ValueError(f"columns differ: missing {set(names) - set(values)}, extra {set(values) - set(names)}")
    projection = ",\n    ".join(f"{values[name]} AS {name}" for name in names)
    return f"SELECT\n    {projection}\nFROM {source}" + (f"\nWHERE {where}" if where else "")


def timestamp_at(day_back: str, seconds: str) -> str:
    """The TIMESTAMP ``seconds`` after midnight, ``day_back`` days before the as-of day (needs ``p``)."""
    return f"timestamp_seconds(p.day0 - ({day_back}) * 86400 + ({seconds}))"


def date_at(day_back: str) -> str:
    """The DATE ``day_back`` days before the as-of day (needs ``p``, the params CTE)."""
    return f"date_sub(p.as_of, {day_back})"


def values_cte(name: str, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A CTE over literal rows (dimension data written in code, never user input)."""
    body = ",\n    ".join("(" + ", ".join(_literal(value) for value in row) + ")" for row in rows)
    return f"{name} AS (SELECT * FROM VALUES\n    {body}\n  AS v({', '.join(names)}))"


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)
