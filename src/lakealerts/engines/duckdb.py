"""The DuckDB engine: the embedded default, one local file attached under the catalog name.

The connection itself is in-memory; the store file is ``ATTACH``-ed under the catalog name (or, for names
DuckDB reserves such as ``main``, under an alias that :mod:`lakealerts.sql.translate` rewrites the SQL to)
and made the current database, so ``catalog.schema.table`` and ``schema.table`` both resolve as on Databricks.
The session runs in UTC: Databricks ``TIMESTAMP`` becomes ``TIMESTAMPTZ`` and comes back as aware UTC
datetimes.

DuckDB lets one process open a file at a time. Opening a locked file waits with a short back-off for up to
``lock_timeout`` seconds and then raises :class:`StoreLockedError`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from lakealerts.engines.base import ClosingEngine, Column, QueryResult
from lakealerts.errors import EngineError, StoreLockedError
from lakealerts.sql.identifiers import validate_identifier
from lakealerts.sql.translate import Translation, catalog_aliases, duckdb_catalog_name, translate

log = logging.getLogger(__name__)

# What DuckDB says when another process holds the file ("IO Error: Could not set lock on file "<path>":
# Conflicting lock is held in <exe> (PID n)"), or when another connection of this process has it attached
# ("Unique file handle conflict: ... is already attached by database ..."). Both clear once the holder closes.
_LOCK_MESSAGES = ("Could not set lock on file", "Conflicting lock is held", "Unique file handle conflict")
_FIRST_BACKOFF = 0.05
_MAX_BACKOFF = 0.5


def _engine_error(exc: duckdb.Error, aliases: Mapping[str, str]) -> EngineError:
    """Wrap a DuckDB error keeping its class and message, with aliases turned back into the user's names."""
    message = f"{type(exc).__name__}: {exc}"
    for user_name, alias in aliases.items():
        message = message.replace(alias, user_name)
    return EngineError(message)


def _type_name(duckdb_type: object) -> str:
    """DuckDB's name for a result type; the NULL type is reported quoted (``"NULL"``), unquote it."""
    name = str(duckdb_type)
    return name.strip('"') if name == '"NULL"' else name


def _sql_string(value: str) -> str:
    """A SQL string literal (ATTACH takes no parameters): single quotes doubled, nothing else to escape."""
    return "'" + value.replace("'", "''") + "'"


def _is_lock_error(exc: duckdb.Error) -> bool:
    return any(marker in str(exc) for marker in _LOCK_MESSAGES)


class DuckDBEngine(ClosingEngine):
    """The engine port on DuckDB; open one with :meth:`open` (a file) or :meth:`memory` (tests).

    One engine is one connection: use it from one thread at a time.
    """

    name: str = "duckdb"

    def __init__(self, connection: duckdb.DuckDBPyConnection, catalog: str, path: Path | None) -> None:
        """Wrap a connection on which ``catalog`` is already attached (use :meth:`open` / :meth:`memory`)."""
        self._connection = connection
        self.catalog = catalog
        self.path = path
        self.catalog_aliases: dict[str, str] = catalog_aliases(catalog)
        self._closed = False

    # --- opening -------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, catalog: str, *, lock_timeout: float = 10.0, read_only: bool = False) -> DuckDBEngine:
        """Attach the DuckDB file ``path`` as ``catalog``, waiting up to ``lock_timeout`` s if it is locked.

        The file and its parent directory are created when missing (not in ``read_only`` mode, where a
        missing file is an error). Raises :class:`StoreLockedError` when the lock outlasts the wait.
        """
        validate_identifier(catalog, "catalog")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        options = " (READ_ONLY)" if read_only else ""
        attach = f"ATTACH {_sql_string(str(path))} AS {_quote(duckdb_catalog_name(catalog))}{options}"
        connection = _session()
        try:
            _attach_waiting(connection, attach, path, lock_timeout, catalog_aliases(catalog))
            connection.execute(f"USE {_quote(duckdb_catalog_name(catalog))}")
            _seal(connection)
        except BaseException:
            connection.close()
            raise
        return cls(connection, catalog, path)

    @classmethod
    def memory(cls, catalog: str) -> DuckDBEngine:
        """An engine on a throw-away in-memory database attached as ``catalog`` (for tests)."""
        validate_identifier(catalog, "catalog")
        connection = _session()
        name = _quote(duckdb_catalog_name(catalog))
        connection.execute(f"ATTACH ':memory:' AS {name}")
        connection.execute(f"USE {name}")
        _seal(connection)
        return cls(connection, catalog, None)

    # --- the port ------------------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> QueryResult:
        """Translate ``sql`` to DuckDB, run it with ``params`` and return columns (with types) and rows."""
        translated = self._translate(sql)
        with self._errors():
            cursor = self._connection.execute(translated.sql, list(params) if params is not None else None)
            description = cursor.description or []
            rows = tuple(tuple(row) for row in cursor.fetchall())
        columns = tuple(Column(str(entry[0]), _type_name(entry[1])) for entry in description)
        return QueryResult(columns, rows)

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run ``sql`` once per parameter row inside one transaction; any failure rolls all rows back."""
        translated = self._translate(sql)
        if not rows:
            return
        with self._errors():
            self._connection.execute("BEGIN TRANSACTION")
            try:
                self._connection.executemany(translated.sql, [list(row) for row in rows])
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def explain(self, sql: str) -> str:
        """DuckDB's plan for ``sql`` (``?`` placeholders bound to NULL); missing tables/columns raise."""
        translated = self._translate(sql)
        with self._errors():
            rows = self._connection.execute(f"EXPLAIN {translated.sql}", _null_params(translated)).fetchall()
        return "\n".join(str(row[-1]) for row in rows)

    def describe(self, sql: str) -> tuple[Column, ...]:
        """The output columns of a query from ``DESCRIBE`` (binds it, does not run it).

        ``?`` placeholders are bound to NULL, so a bare ``SELECT ?`` reports the type ``NULL``.
        """
        translated = self._translate(sql)
        with self._errors():
            rows = self._connection.execute(f"DESCRIBE {translated.sql}", _null_params(translated)).fetchall()
        return tuple(Column(str(row[0]), _type_name(row[1])) for row in rows)

    def table_columns(self, catalog: str, schema: str, table: str) -> tuple[Column, ...] | None:
        """The columns of ``catalog.schema.table`` from ``information_schema`` (names case-insensitive)."""
        attached = duckdb_catalog_name(catalog)
        with self._errors():
            rows = self._connection.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE lower(table_catalog) = lower(?) AND lower(table_schema) = lower(?) "
                "AND lower(table_name) = lower(?) ORDER BY ordinal_position",
                [attached, schema, table],
            ).fetchall()
        return tuple(Column(str(name), str(data_type)) for name, data_type in rows) or None

    def interrupt(self) -> None:
        """Cancel the running statement (DuckDB's own interrupt; safe from another thread)."""
        if not self._closed:
            self._connection.interrupt()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN … COMMIT, or ROLLBACK when the block raises: all of it is written, or none."""
        with self._errors():
            self._connection.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            with self._errors():
                self._connection.execute("ROLLBACK")
            raise
        with self._errors():
            self._connection.execute("COMMIT")

    def close(self) -> None:
        """Close the connection, which releases the file lock; closing twice is harmless."""
        if not self._closed:
            self._closed = True
            self._connection.close()

    # --- helpers -------------------------------------------------------------------------------------

    def _translate(self, sql: str) -> Translation:
        if self._closed:
            raise EngineError("the DuckDB engine is closed", hint="open a new engine")
        return translate(sql, self.catalog_aliases)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn DuckDB errors into EngineError, keeping DuckDB's message."""
        try:
            yield
        except duckdb.Error as exc:
            raise _engine_error(exc, self.catalog_aliases) from exc


def _quote(identifier: str) -> str:
    """A DuckDB-quoted identifier (names are validated identifiers, so there is no ``"`` to escape)."""
    return f'"{validate_identifier(identifier, "catalog")}"'


def _null_params(translated: Translation) -> list[None] | None:
    """NULL for every ``?``: EXPLAIN and DESCRIBE refuse a statement with unbound parameters."""
    return [None] * translated.placeholders if translated.placeholders else None


def _session() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory connection evaluating in UTC, as the design's alert semantics require."""
    connection = duckdb.connect(":memory:")
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def _seal(connection: duckdb.DuckDBPyConnection) -> None:
    """After the store is attached, nothing else may be reached: rule SQL (and the stand-in's statement API)
    must not read host files or URLs through DuckDB's table functions (read_text, read_csv, httpfs…), attach
    other databases, or switch this back on."""
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")


def _attach_waiting(
    connection: duckdb.DuckDBPyConnection,
    attach: str,
    path: Path,
    lock_timeout: float,
    aliases: Mapping[str, str],
) -> None:
    """Run ``attach``, retrying with back-off (50 ms doubling to 500 ms) while the file is locked."""
    deadline = time.monotonic() + max(lock_timeout, 0.0)
    backoff = _FIRST_BACKOFF
    waiting = False
    while True:
        try:
            connection.execute(attach)
            return
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise _engine_error(exc, aliases) from exc
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _locked(path, lock_timeout, exc) from exc
            if not waiting:
                waiting = True
                log.warning("waiting for lock on %s (held by another process; up to %.1f s)", path, lock_timeout)
            time.sleep(min(backoff, remaining))
            backoff = min(backoff * 2, _MAX_BACKOFF)


def _locked(path: Path, lock_timeout: float, exc: duckdb.Error) -> StoreLockedError:
    return StoreLockedError(
        f"the DuckDB file {path} is locked (waited {lock_timeout:.1f} s): {exc}",
        hint=(
            "another lakealerts process holds it; wait for it to finish, or stop `lakealerts serve` "
            "(or any other program using the file), then retry"
        ),
    )
