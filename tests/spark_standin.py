"""A stand-in ``SparkSession`` whose ``sql()`` runs on DuckDB, for testing :class:`SparkEngine` without Spark.

It behaves like Spark where the engine depends on it: every statement must parse as Databricks SQL (else a
``ParseException``), ``EXPLAIN`` never fails but answers "Error occurred during query planning" rows,
failures raise an exception of Spark's own kind (not ``EngineError``), types are Spark's simple strings, and
TIMESTAMP values come back as naive datetimes in the local time of the process, as PySpark returns them.
The Delta-only clauses DuckDB lacks (``USING DELTA``, ``TBLPROPERTIES``, named primary keys) are recorded
per table, then dropped by :mod:`lakealerts.sql.translate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakealerts.engines.base import Column, QueryResult
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import EngineError
from lakealerts.standin.results import databricks_type


class ParseException(Exception):  # noqa: N818 - Spark's name
    """What Spark raises for SQL it cannot parse."""


class AnalysisException(Exception):  # noqa: N818 - Spark's name
    """What Spark raises for a statement that fails to analyse or run."""


@dataclass(frozen=True)
class DeltaTable:
    """The Delta clauses one ``CREATE TABLE`` carried."""

    using: str | None
    properties: dict[str, str]
    constraints: dict[str, tuple[str, ...]]  # constraint name -> primary key columns
    not_null: frozenset[str]


@dataclass
class _DataType:
    name: str

    def simpleString(self) -> str:  # noqa: N802 - Spark's name
        return self.name


@dataclass
class _Field:
    name: str
    dataType: _DataType  # noqa: N815 - Spark's name


@dataclass
class _Schema:
    fields: list[_Field]


@dataclass
class DataFrame:
    """The part of a Spark DataFrame the engine uses."""

    result: QueryResult

    @property
    def schema(self) -> _Schema:
        return _Schema([_Field(c.name, _DataType(databricks_type(c.type).lower())) for c in self.result.columns])

    def collect(self) -> list[tuple[Any, ...]]:
        return [tuple(_as_pyspark(value) for value in row) for row in self.result.rows]


@dataclass
class DuckSparkSession:
    """``spark.sql(text, args=[…])`` on a DuckDB engine, recording every statement and its Delta clauses."""

    engine: DuckDBEngine
    statements: list[str] = field(default_factory=list)
    tables: dict[str, DeltaTable] = field(default_factory=dict)

    def sql(self, sqlQuery: str, args: list[Any] | None = None) -> DataFrame:  # noqa: N803 - Spark's name
        self.statements.append(sqlQuery)
        explained = _explained(sqlQuery)
        tree = _parse(explained if explained is not None else sqlQuery)
        if explained is not None:
            return self._explain(explained)
        if isinstance(tree, exp.Create) and tree.kind == "TABLE":
            self.tables[tree.this.this.name] = _delta_table(tree)
        try:
            return DataFrame(self.engine.execute(sqlQuery, args))
        except EngineError as exc:
            raise AnalysisException(exc.message) from exc

    def _explain(self, query: str) -> DataFrame:
        """Like Spark: a plan, or the analysis error as rows of text (EXPLAIN itself does not fail)."""
        try:
            text = "== Physical Plan ==\n" + self.engine.explain(query)
        except EngineError as exc:
            text = "Error occurred during query planning: \n" + exc.message
        return DataFrame(QueryResult((Column("plan", "VARCHAR"),), ((text,),)))


def _explained(sql: str) -> str | None:
    """The query of an ``EXPLAIN <query>``, else None."""
    stripped = sql.lstrip()
    return stripped[len("EXPLAIN") :].strip() if stripped.upper().startswith("EXPLAIN ") else None


def _parse(sql: str) -> exp.Expr:
    try:
        return sqlglot.parse_one(sql, read="databricks")
    except SqlglotError as exc:
        raise ParseException(str(exc)) from exc


def _delta_table(tree: exp.Create) -> DeltaTable:
    properties = tree.args.get("properties")
    items = properties.expressions if properties else []
    using = next((p.this.name for p in items if isinstance(p, exp.FileFormatProperty)), None)
    table_properties = {p.name: p.args["value"].name for p in items if type(p) is exp.Property}
    constraints = {
        c.name: tuple(i.name for i in c.find(exp.PrimaryKey).expressions)
        for c in tree.this.expressions
        if isinstance(c, exp.Constraint) and c.find(exp.PrimaryKey)
    }
    not_null = frozenset(
        column.name
        for column in tree.this.expressions
        if isinstance(column, exp.ColumnDef) and column.find(exp.NotNullColumnConstraint)
    )
    return DeltaTable(using, table_properties, constraints, not_null)


def _as_pyspark(value: Any) -> Any:
    """PySpark returns TIMESTAMP values as naive datetimes in the process's local time."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone().replace(tzinfo=None)
    return value
