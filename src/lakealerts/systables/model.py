"""The Databricks system tables as data: their columns, the plan to fill them, and the statements that do.

A :class:`SystemTable` is one table of the ``system`` catalog: its schema and name, the documentation page
that defines it, its columns with the types a workspace's ``DESCRIBE TABLE`` reports (STRUCT / MAP / ARRAY
nesting included, written in that notation), and a row generator. Rows are plain Python values generated
from a :class:`SystemPlan` with a random generator seeded by (table, as-of, days), so the same plan gives the
same rows. They are written through the engine port in one bulk ``INSERT`` per table: all rows travel as one
JSON parameter that ``from_json`` reads with the table's own column types, never pasted into the SQL.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from lakealerts.errors import UsageError
from lakealerts.options import DEFAULT_SYSTEM_DAYS, MAX_SYSTEM_DAYS, MIN_SYSTEM_DAYS
from lakealerts.sql.identifiers import quote

#: The catalog the system tables live in, on a workspace and locally.
SYSTEM_CATALOG = "system"
DEFAULT_DAYS = DEFAULT_SYSTEM_DAYS
#: The spend spike (the day before as-of) is judged against the 7 days before it: at least 9 days.
MIN_DAYS = MIN_SYSTEM_DAYS
MAX_DAYS = MAX_SYSTEM_DAYS

Row = dict[str, Any]


@dataclass(frozen=True)
class SystemPlan:
    """What to generate: ``days`` days of activity ending with the ``as_of`` day (UTC), both included."""

    as_of: date
    days: int = DEFAULT_DAYS

    def __post_init__(self) -> None:
        if not MIN_DAYS <= self.days <= MAX_DAYS:
            raise UsageError(
                f"--days {self.days} is out of range",
                hint=f"use between {MIN_DAYS} and {MAX_DAYS} days (the spend spike is judged against the 7 days "
                "before it)",
            )

    @property
    def first_day(self) -> date:
        """The oldest day with activity."""
        return self.day(self.days - 1)

    def day(self, back: int) -> date:
        """The day ``back`` days before the as-of day (0 is the as-of day itself)."""
        return self.as_of - timedelta(days=back)

    def dates(self) -> list[date]:
        """Every day of the plan, oldest first."""
        return [self.day(back) for back in range(self.days - 1, -1, -1)]

    def rng(self, table: str) -> random.Random:
        """A random generator for ``table`` that gives the same numbers for the same plan."""
        return random.Random(f"lakealerts.systables|{table}|{self.as_of.isoformat()}|{self.days}")


def at(day: date, hour: int = 0, minute: int = 0, second: float = 0) -> datetime:
    """``day`` at ``hour:minute:second`` UTC (hours past 23 roll into the next days)."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return midnight + timedelta(hours=hour, minutes=minute, seconds=second)


def uid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (deterministic, unlike :func:`uuid.uuid4`)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def hex_id(rng: random.Random, digits: int = 16) -> str:
    """A lower-case hexadecimal id of ``digits`` digits drawn from ``rng``."""
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def dbu(value: float) -> Decimal:
    """A DECIMAL(38,18) quantity, rounded to 6 places as usage records are."""
    return Decimal(str(round(value, 6)))


@dataclass(frozen=True)
class Incident:
    """One documented anomaly a system-table rule can find: where, when (days before as-of, a UTC time or
    span) and what happened. docs/systables.md describes each one."""

    table: str
    day_back: int
    time: str
    what: str

    def to_dict(self, plan: SystemPlan) -> dict[str, str]:
        """The incident with its calendar date for ``plan``."""
        return {"table": self.table, "date": plan.day(self.day_back).isoformat(), "time": self.time, "what": self.what}


def columns(described: str) -> tuple[tuple[str, str], ...]:
    """Columns from ``DESCRIBE TABLE``-style lines: ``name : type`` (blank lines ignored)."""
    parsed = []
    for line in described.strip().splitlines():
        if line.strip():
            name, _, data_type = line.partition(":")
            parsed.append((name.strip(), data_type.strip()))
    return tuple(parsed)


@dataclass(frozen=True)
class SystemTable:
    """One table of the ``system`` catalog: where Databricks documents it, its columns, its rows."""

    schema: str
    name: str
    doc_url: str
    columns: tuple[tuple[str, str], ...]
    rows: Callable[[SystemPlan], list[Row]]

    @property
    def full_name(self) -> str:
        """``system.<schema>.<name>``, as rule SQL names it."""
        return f"{SYSTEM_CATALOG}.{self.schema}.{self.name}"

    @property
    def quoted_name(self) -> str:
        """The quoted three-part name (Databricks SQL)."""
        return f"{quote(SYSTEM_CATALOG)}.{quote(self.schema)}.{quote(self.name)}"

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in table order."""
        return tuple(name for name, _ in self.columns)

    def create_sql(self) -> str:
        """``CREATE OR REPLACE TABLE`` with the documented columns and types (Databricks SQL)."""
        body = ", ".join(f"{quote(name)} {data_type}" for name, data_type in self.columns)
        return f"CREATE OR REPLACE TABLE {self.quoted_name} ({body})"

    def insert_sql(self) -> str:
        """One ``INSERT`` of every row: a JSON array (the one ``?``) read as ``ARRAY<STRUCT<columns>>``."""
        fields = ",".join(f"{quote(name)}:{data_type}" for name, data_type in self.columns)
        projection = ", ".join(f"r.{quote(name)}" for name in self.column_names)
        return (
            f"INSERT INTO {self.quoted_name} SELECT {projection} "
            f"FROM (SELECT explode(from_json(?, 'array<struct<{fields}>>')) AS r)"
        )


def rows_json(rows: Sequence[Row]) -> str:
    """The rows as the JSON array :meth:`SystemTable.insert_sql` binds: decimals as exact strings, times in
    ISO 8601 with their UTC offset."""
    return json.dumps(list(rows), default=_json_value, separators=(",", ":"))


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to a system table row")
