"""The Spark engine: the port over ``spark.sql`` inside a Databricks notebook or job (classic or Spark Connect).

The session is duck-typed (:class:`SparkSessionLike`), so lakealerts does not depend on pyspark; tests drive
it with a session whose ``sql()`` runs on DuckDB. Parameters are positional ``?`` bound through
``spark.sql(text, args=[…])`` (Spark 3.5+, every current Databricks runtime). Tables are Delta tables in
Unity Catalog: the store's ``CREATE TABLE`` gets the named primary key ``pk_<table>`` and change data feed
(:func:`lakealerts.engines.databricks_sql.delta_table_sql`).

A failing ``spark.sql`` raises whatever the session raises (``AnalysisException``, ``ParseException``, a Spark
Connect error …); every exception out of the session is the statement's failure and becomes an
:class:`EngineError` with Spark's message.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

from lakealerts.engines.base import ClosingEngine, Column, QueryResult
from lakealerts.engines.databricks_sql import (
    batched,
    count_placeholders,
    delta_table_sql,
    is_missing_table,
    plan_error,
    without_trailing_semicolon,
    zero_row_probe,
)
from lakealerts.errors import EngineError
from lakealerts.sql.identifiers import quote


class SparkSessionLike(Protocol):
    """What is used of a ``SparkSession``: ``sql`` with positional arguments."""

    def sql(self, sqlQuery: str, args: list[Any] | None = None) -> Any:  # noqa: N803 - Spark's name
        """Run one statement; returns a DataFrame (lazy for queries, already run for commands)."""
        ...


class SparkEngine(ClosingEngine):
    """The engine port on a Spark session; the session is borrowed and outlives the engine."""

    name: str = "spark"

    def __init__(self, spark: SparkSessionLike) -> None:
        """Run statements with ``spark.sql``."""
        self._spark = spark
        self._closed = False

    # --- the port ------------------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> QueryResult:
        """Run one statement and collect its rows (a ``CREATE TABLE`` becomes a Delta table with CDF)."""
        frame = self._sql(delta_table_sql(sql), params)
        with _errors():
            columns = _columns(frame)
            rows = tuple(tuple(_value(value) for value in row) for row in frame.collect())
        return QueryResult(columns, rows)

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """All rows in one statement where its shape allows (atomic on Delta), else one statement per row."""
        statements = batched(sql, rows)
        if statements is None:
            # Spark has no transactions across statements: rows of other shapes are written one by one.
            statements = [(sql, list(row)) for row in rows]
        for statement, params in statements:
            self._sql(statement, params)

    def explain(self, sql: str) -> str:
        """Spark's plan; a query that does not analyse raises EngineError with Spark's message."""
        frame = self._sql(f"EXPLAIN {without_trailing_semicolon(sql)}", [None] * count_placeholders(sql))
        with _errors():
            plan = "\n".join(str(row[0]) for row in frame.collect() if row and row[0] is not None)
        failure = plan_error(plan)
        if failure is not None:
            raise EngineError(failure)
        return plan

    def describe(self, sql: str) -> tuple[Column, ...]:
        """The output columns of a query: its analysed schema, without running it."""
        frame = self._sql(zero_row_probe(sql), [None] * count_placeholders(sql))
        with _errors():
            return _columns(frame)

    def table_columns(self, catalog: str, schema: str, table: str) -> tuple[Column, ...] | None:
        """The columns of a table from its analysed schema; None when it (or its schema) does not exist."""
        try:
            frame = self._sql(f"SELECT * FROM {quote(catalog)}.{quote(schema)}.{quote(table)} LIMIT 0", None)
            with _errors():
                return _columns(frame)
        except EngineError as exc:
            if is_missing_table(exc.message):
                return None
            raise

    def current_user(self) -> str | None:
        """Who runs this session (``current_user()``), or None when Spark cannot say."""
        try:
            rows = self.execute("SELECT current_user() AS who").rows
        except EngineError:
            return None
        return str(rows[0][0]) if rows and rows[0][0] else None

    def close(self) -> None:
        """The session belongs to the notebook: only this engine stops accepting statements."""
        self._closed = True

    # --- helpers -------------------------------------------------------------------------------------

    def _sql(self, sql: str, params: Sequence[Any] | None) -> Any:
        if self._closed:
            raise EngineError("the Spark engine is closed", hint="open a new engine")
        args = [_argument(value) for value in params] if params else None
        with _errors():
            return self._spark.sql(sql, args=args) if args is not None else self._spark.sql(sql)


@contextmanager
def _errors() -> Iterator[None]:
    """Anything the session raises is the statement's failure, with Spark's message kept."""
    try:
        yield
    except EngineError:
        raise
    except Exception as exc:  # pyspark's exception classes are not importable here
        raise EngineError(f"{type(exc).__name__}: {exc}") from exc


def _columns(frame: Any) -> tuple[Column, ...]:
    return tuple(Column(str(field.name), field.dataType.simpleString().upper()) for field in frame.schema.fields)


def _argument(value: Any) -> Any:
    """A parameter as Spark binds it: enums as their text (lists/dicts are sent as JSON by the store)."""
    if hasattr(value, "value") and isinstance(value.value, str):
        return value.value
    return value


def _value(value: Any) -> Any:
    """Rows as the port promises them: timestamps are aware UTC datetimes.

    PySpark returns TIMESTAMP values as naive datetimes in the driver's local time (UTC on Databricks), so
    a naive value is read as local time.
    """
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if hasattr(value, "asDict"):  # a nested Row (STRUCT)
        return {key: _value(item) for key, item in value.asDict().items()}
    return value
