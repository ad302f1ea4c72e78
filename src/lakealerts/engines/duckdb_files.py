"""Read a user's CSV, Parquet or JSON file into a table of a local catalog file (``lakealerts data load``).

Rule SQL never reads files: the engine that runs it is sealed (:func:`lakealerts.engines.duckdb.seal`). This
module is the one place that does, and only for the path it was given: it reads that file with its own
DuckDB connection, sealed too, with that single path allowed (``allowed_paths``). It first reads the file's
columns alone, so a file that is missing, unreadable or not in the format named is an error naming it before
anything is written; then it attaches the target catalog file (created when missing), seals, and creates the
table from the file in one transaction. Naive timestamps are stored as ``TIMESTAMP WITH TIME ZONE`` read in
UTC, as the engine reads Databricks ``TIMESTAMP``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lakealerts.engines.base import Column
from lakealerts.engines.duckdb import attach_waiting, seal
from lakealerts.errors import UsageError

#: DuckDB's reader for each format lakealerts loads (each detects delimiters, headers and types itself).
READERS = {"csv": "read_csv", "parquet": "read_parquet", "json": "read_json"}
#: Characters DuckDB's readers expand as a glob: a path holding one could read other files.
_GLOB = frozenset("*?[]{}")
_NAIVE_TIMESTAMPS = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")
_TARGET = "target"


class TableExistsError(UsageError):
    """Raised when the table to load already exists and the caller did not ask to replace it."""


@dataclass(frozen=True)
class LoadedTable:
    """What was written: the table's columns (DuckDB types), its rows, whether it replaced an older table."""

    columns: tuple[Column, ...]
    rows: int
    replaced: bool


def load_table(
    target: Path,
    schema: str,
    table: str,
    source: Path,
    file_format: str,
    *,
    replace: bool,
    lock_timeout: float = 10.0,
) -> LoadedTable:
    """Create ``schema.table`` in the DuckDB file ``target`` from ``source`` read as ``file_format``.

    ``schema`` and ``table`` are validated identifiers; ``source`` an existing file. Raises
    :class:`UsageError` naming the file when it cannot be read as ``file_format``, :class:`TableExistsError`
    when the table exists and ``replace`` is false.
    """
    if _GLOB & set(str(source)):
        raise UsageError(
            f"the file name {str(source)!r} holds a wildcard character ({' '.join(sorted(_GLOB))})",
            hint="rename the file (or copy it) to a name without them; data load reads exactly one file",
        )
    reader = f"{READERS[file_format]}(?)"
    with _reading(source) as connection:
        columns = _describe(connection, reader, source, file_format)
    target.parent.mkdir(parents=True, exist_ok=True)
    created = not target.exists()
    connection = _connection()
    try:
        attach_waiting(connection, f"ATTACH {_string(str(target))} AS {_TARGET}", target, lock_timeout, {})
        seal(connection, [source])
        replaced = _exists(connection, schema, table)
        if replaced and not replace:
            raise TableExistsError(
                f"the table {schema}.{table} already exists in {target}",
                hint="pass --replace to overwrite it with the file, or load into another --table",
            )
        name = f"{_TARGET}.{_quote(schema)}.{_quote(table)}"
        projection = ", ".join(_select(column) for column in columns)
        connection.execute("BEGIN TRANSACTION")
        try:
            connection.execute(f"CREATE SCHEMA IF NOT EXISTS {_TARGET}.{_quote(schema)}")
            connection.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT {projection} FROM {reader}", [str(source)])
            connection.execute("COMMIT")
        except duckdb.Error as exc:
            connection.execute("ROLLBACK")
            raise _unreadable(source, file_format, exc) from exc
        described = connection.execute(f"DESCRIBE {name}").fetchall()
        count = connection.execute(f"SELECT COUNT(*) FROM {name}").fetchone()
    except BaseException:
        connection.close()
        if created:  # a catalog file made for this load only: leave nothing behind
            target.unlink(missing_ok=True)
            Path(f"{target}.wal").unlink(missing_ok=True)
        raise
    connection.close()
    loaded = tuple(Column(str(row[0]), str(row[1])) for row in described)
    return LoadedTable(loaded, int(count[0]) if count else 0, replaced)


def _connection() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(":memory:")
    connection.execute("SET TimeZone = 'UTC'")
    return connection


@contextmanager
def _reading(source: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that can read ``source`` and nothing else."""
    connection = _connection()
    try:
        seal(connection, [source])
        yield connection
    finally:
        connection.close()


def _describe(connection: duckdb.DuckDBPyConnection, reader: str, source: Path, file_format: str) -> list[Column]:
    try:
        rows = connection.execute(f"DESCRIBE SELECT * FROM {reader}", [str(source)]).fetchall()
    except duckdb.Error as exc:
        raise _unreadable(source, file_format, exc) from exc
    if not rows:
        raise UsageError(f"{source} has no columns", hint="check that it is the file you meant to load")
    return [Column(str(row[0]), str(row[1])) for row in rows]


def _exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = connection.execute(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_catalog = ? "
        "AND lower(table_schema) = lower(?) AND lower(table_name) = lower(?)",
        [_TARGET, schema, table],
    ).fetchone()
    return bool(found and found[0])


def _select(column: Column) -> str:
    """The column as loaded: naive timestamps become TIMESTAMPTZ (read in UTC), everything else as read."""
    quoted = _quote(column.name)
    if column.type in _NAIVE_TIMESTAMPS:
        return f"CAST({quoted} AS TIMESTAMPTZ) AS {quoted}"
    return quoted


def _unreadable(source: Path, file_format: str, exc: duckdb.Error) -> UsageError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return UsageError(
        f"cannot read {source} as {file_format}: {detail}",
        hint="check the file, or pass the --format that matches its content (csv, parquet or json)",
    )


def _quote(identifier: str) -> str:
    """A DuckDB-quoted identifier; column names come from the user's file, so ``"`` is escaped."""
    return '"' + identifier.replace('"', '""') + '"'


def _string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
