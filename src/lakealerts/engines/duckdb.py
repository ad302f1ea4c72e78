"""The DuckDB engine: the embedded default, one local file per catalog, attached under the catalog name.

The connection itself is in-memory; the store file is ``ATTACH``-ed under the catalog name (or, for names
DuckDB reserves such as ``main``, under an alias that :mod:`lakealerts.sql.translate` rewrites the SQL to)
and made the current database, so ``catalog.schema.table`` and ``schema.table`` both resolve as on Databricks.
Every other catalog lives in its own file, ``<catalogs dir>/<name>.duckdb`` (``system`` for the Databricks
system tables, a team's ``prod``…), attached beside it the same way and read-only unless the session writes
that catalog: rule SQL says ``system.billing.usage`` or ``prod.sales.orders`` exactly as on a workspace. Only
then is the session sealed (no file, URL or ``ATTACH`` reachable from SQL).
The session runs in UTC: Databricks ``TIMESTAMP`` becomes ``TIMESTAMPTZ`` and comes back as aware UTC
datetimes.
sqlglot (:mod:`lakealerts.sql.translate`) is imported the first time a statement needs it: the store's plain
reads (:mod:`lakealerts.sql.plain`) never do, so a command that only reads the store starts without it.

DuckDB lets one process open a file at a time. Opening a locked file waits with a short back-off for up to
``lock_timeout`` seconds and then raises :class:`StoreLockedError`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from lakealerts.engines.base import ClosingEngine, Column, QueryResult
from lakealerts.engines.column_types import ColumnTypeCache
from lakealerts.errors import EngineError, SetupError, StoreLockedError
from lakealerts.sql.identifiers import validate_identifier
from lakealerts.sql.plain import plain_select_to_duckdb
from lakealerts.sql.translation import Translation, catalog_aliases, duckdb_catalog_name

log = logging.getLogger(__name__)

# What DuckDB says when another process holds the file ("IO Error: Could not set lock on file "<path>":
# Conflicting lock is held in <exe> (PID n)"), or when another connection of this process has it attached
# ("Unique file handle conflict: ... is already attached by database ..."). Both clear once the holder closes.
_LOCK_MESSAGES = ("Could not set lock on file", "Conflicting lock is held", "Unique file handle conflict")
_FIRST_BACKOFF = 0.05
_MAX_BACKOFF = 0.5
#: A catalog's file in the catalogs directory: ``<name>.duckdb``, the name in lower case.
CATALOG_SUFFIX = ".duckdb"
# One VALUES row of parameters only (``(CAST(? AS STRING), ?, …)``), repeated: the store's batch writes (one
# MERGE for every rule's sync columns). Such rows translate alike, so the statement is translated with two of
# them and the translated row repeated: the translation costs the same for 2 rows as for 2,000.
_PARAM = r"(?:CAST\(\? AS [A-Za-z_]+(?:\(\d+(?:, ?\d+)?\))?\)|\?)"
_REPEATED_ROWS = re.compile(rf"(?P<row>\({_PARAM}(?:, {_PARAM})*\))(?:, (?P=row)){{2,}}")
_TRANSLATED_PARAM = r"(?:CAST\(\? AS [A-Za-z_ ]+(?:\(\d+(?:, ?\d+)?\))?\)|\?)"
_REPEATED_ROWS_TWICE = re.compile(rf"(?P<row>\({_TRANSLATED_PARAM}(?:, {_TRANSLATED_PARAM})*\)), (?P=row)")


def catalog_file(directory: Path, catalog: str) -> Path:
    """Where the DuckDB file of ``catalog`` lives under ``directory`` (the name is validated, lower-cased)."""
    return Path(directory) / f"{validate_identifier(catalog, 'catalog').lower()}{CATALOG_SUFFIX}"


def catalog_files(directory: Path | None) -> dict[str, Path]:
    """The catalogs kept as files in ``directory``: lower-case name -> file, sorted by name.

    Files whose name is not a valid catalog name (``my catalog.duckdb``, ``x.duckdb.wal``) are not catalogs
    and are left alone.
    """
    if directory is None or not Path(directory).is_dir():
        return {}
    found: dict[str, Path] = {}
    for path in sorted(Path(directory).glob(f"*{CATALOG_SUFFIX}")):
        name = path.name[: -len(CATALOG_SUFFIX)].lower()
        try:
            validate_identifier(name, "catalog")
        except ValueError:
            continue
        if path.is_file():
            found.setdefault(name, path)
    return found


def _engine_error(exc: duckdb.Error, aliases: Mapping[str, str]) -> EngineError:
    """Wrap a DuckDB error keeping its class and message, with aliases turned back into the user's names."""
    return EngineError(_user_names(f"{type(exc).__name__}: {exc}", aliases))


def _user_names(text: str, aliases: Mapping[str, str]) -> str:
    """``text`` with the catalog aliases turned back into the user's names."""
    for user_name, alias in aliases.items():
        text = text.replace(alias, user_name)
    return text


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

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        catalog: str,
        path: Path | None,
        extra: Mapping[str, Path] | None = None,
    ) -> None:
        """Wrap a connection on which ``catalog`` (and every catalog of ``extra``, name -> file) is already
        attached (use :meth:`open` / :meth:`memory`)."""
        self._connection = connection
        self.catalog = catalog
        self.path = path
        #: Every attached catalog (the user's name) -> its file; the store's catalog first.
        self.catalog_files: dict[str, Path | None] = {catalog: path, **(extra or {})}
        self.catalog_aliases: dict[str, str] = {}
        for name in self.catalog_files:
            self.catalog_aliases.update(catalog_aliases(name))
        self._closed = False
        self._transactions = 0  # depth of transaction() blocks: an inner block joins the outer one
        self._column_types = ColumnTypeCache(self._catalog_rows, duckdb_catalog_name(catalog))

    # --- opening -------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: Path,
        catalog: str,
        *,
        lock_timeout: float = 10.0,
        read_only: bool = False,
        catalogs_dir: Path | None = None,
        write_catalogs: Collection[str] = (),
    ) -> DuckDBEngine:
        """Attach the DuckDB file ``path`` as ``catalog``, waiting up to ``lock_timeout`` s if it is locked.

        The file and its parent directory are created when missing (not in ``read_only`` mode, where a
        missing file is an error). Every catalog file in ``catalogs_dir`` (:func:`catalog_files`) is attached
        too, under its name and read-only: rules only read them, and readers share a file. ``write_catalogs``
        names the catalogs this session writes (``demo-data --system``): attached read-write, their file
        created when missing (ignored in ``read_only`` mode). A file for ``catalog`` itself in
        ``catalogs_dir`` is a SetupError (rules would read the store under that name, never the file).
        Raises :class:`StoreLockedError` when a lock outlasts the wait.
        """
        validate_identifier(catalog, "catalog")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        writes = set() if read_only else {validate_identifier(name, "catalog").lower() for name in write_catalogs}
        extra = _extra_catalogs(catalog, catalogs_dir, writes)
        connection = _session()
        try:
            _attach(connection, catalog, path, read_only=read_only, lock_timeout=lock_timeout, store=True)
            for name, file in extra.items():
                _attach(connection, name, file, read_only=name not in writes, lock_timeout=lock_timeout, store=False)
            connection.execute(f"USE {_quote(duckdb_catalog_name(catalog))}")
            seal(connection)
        except BaseException:
            connection.close()
            raise
        return cls(connection, catalog, path, extra)

    @classmethod
    def memory(cls, catalog: str) -> DuckDBEngine:
        """An engine on a throw-away in-memory database attached as ``catalog`` (for tests)."""
        validate_identifier(catalog, "catalog")
        connection = _session()
        name = _quote(duckdb_catalog_name(catalog))
        connection.execute(f"ATTACH ':memory:' AS {name}")
        connection.execute(f"USE {name}")
        seal(connection)
        return cls(connection, catalog, None)

    def session(self) -> DuckDBEngine:
        """A new connection to this engine's database, on the same catalog: sealed like this one and about a
        thousand times cheaper to open than a new database (``duckdb.connect`` costs ~11 ms). Closing it leaves
        this engine open."""
        cursor = self._connection.cursor()
        cursor.execute(f"USE {_quote(duckdb_catalog_name(self.catalog))}")
        return DuckDBEngine(
            cursor,
            self.catalog,
            self.path,
            {k: v for k, v in self.catalog_files.items() if k != self.catalog and v is not None},
        )

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
        with self.transaction(), self._errors():
            self._connection.executemany(translated.sql, [list(row) for row in rows])

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

    def duckdb_sql(self, sql: str) -> str:
        """The DuckDB SQL this engine runs for the Databricks statement ``sql`` (decimal typing included)."""
        return self._translate(sql).sql

    def decimal_operations(self, sql: str) -> tuple[tuple[str, str], ...]:
        """The decimal operations of ``sql`` computed in Databricks' types: ``(expression, type)`` pairs."""
        return tuple((_user_names(e, self.catalog_aliases), t) for e, t in self._translate(sql).decimal_operations)

    def interrupt(self) -> None:
        """Cancel the running statement (DuckDB's own interrupt; safe from another thread)."""
        if not self._closed:
            self._connection.interrupt()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN … COMMIT, or ROLLBACK when the block raises: all of it is written, or none. A block inside
        another joins it (what the outer block decides holds for both)."""
        if self._transactions:
            self._transactions += 1
            try:
                yield
            finally:
                self._transactions -= 1
            return
        with self._errors():
            self._connection.execute("BEGIN TRANSACTION")
        self._transactions = 1
        try:
            yield
        except BaseException:
            self._transactions = 0
            with self._errors():
                self._connection.execute("ROLLBACK")
            raise
        self._transactions = 0
        with self._errors():
            self._connection.execute("COMMIT")

    def close(self) -> None:
        """Close the connection, which releases the file lock; closing twice is harmless."""
        if not self._closed:
            self._closed = True
            self._connection.close()

    # --- helpers -------------------------------------------------------------------------------------

    def _translate(self, sql: str) -> Translation:
        """Translate with the column types the statement's arithmetic needs (Databricks' decimal rules)."""
        if self._closed:
            raise EngineError("the DuckDB engine is closed", hint="open a new engine")
        plain = plain_select_to_duckdb(sql, self.catalog_aliases)
        if plain is not None:  # the store's own reads: no sqlglot to import or run (start-up time)
            return Translation(plain, placeholders=plain.count("?"))
        repeated = _REPEATED_ROWS.search(sql)
        shortcut = self._translate_repeated(sql, repeated) if repeated is not None else None
        if shortcut is not None:
            return shortcut
        from lakealerts.sql.translate import translate, typed_tables  # sqlglot: ~60 ms to import, so only now

        tables = typed_tables(sql, self.catalog_aliases)
        types = self._column_types.describe(tables) if tables is not None else None
        translated = translate(sql, self.catalog_aliases, types)
        if translated.changes_tables:
            self._column_types.forget()
        return translated

    def _translate_repeated(self, sql: str, repeated: re.Match[str]) -> Translation | None:
        """Translate ``sql`` with its repeated parameter row twice, then repeat the translated row; None when
        the translation reshaped the rows (then the statement is translated as it is)."""
        row = repeated["row"]
        count = repeated.group(0).count(row)
        pair = self._translate(f"{sql[: repeated.start()]}{row}, {row}{sql[repeated.end() :]}")
        found = _REPEATED_ROWS_TWICE.search(pair.sql)
        if found is None:
            return None
        text = pair.sql[: found.start()] + ", ".join([found["row"]] * count) + pair.sql[found.end() :]
        return dataclasses.replace(pair, sql=text, placeholders=pair.placeholders + (count - 2) * row.count("?"))

    def _catalog_rows(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with self._errors():
            return self._connection.execute(sql, params).fetchall()

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
    connection.execute("SET enable_progress_bar = false")  # it would write into --json output and serve's log
    return connection


def seal(connection: duckdb.DuckDBPyConnection, allowed_paths: Sequence[Path] = ()) -> None:
    """After the catalogs are attached, nothing else may be reached: rule SQL (and the stand-in's statement
    API) must not read host files or URLs through DuckDB's table functions (read_text, read_csv, httpfs…),
    attach other databases, or switch this back on (``lock_configuration``). Only ``allowed_paths`` stay
    readable (the one file ``data load`` reads; never in an engine that runs rule SQL)."""
    if allowed_paths:
        connection.execute("SET allowed_paths = ?", [[str(path) for path in allowed_paths]])
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")


def _extra_catalogs(catalog: str, directory: Path | None, writes: Collection[str]) -> dict[str, Path]:
    """The other catalogs to attach beside the store's ``catalog``: the files found, plus those to write."""
    if directory is None:
        return {}
    found = catalog_files(directory)
    shadowed = found.get(catalog.lower())
    if shadowed is not None:  # two files for one catalog name: rules would silently read the store, not this one
        raise SetupError(
            f"the catalog {catalog!r} is the store's (--catalog) and also has its own file, {shadowed}: "
            f"rules reading {catalog}.<schema>.<table> would see only the store",
            hint=f"keep the store under another catalog name (the default is monitoring), or move {shadowed.name} "
            f"out of {shadowed.parent}",
        )
    for name in writes:
        found.setdefault(name, catalog_file(directory, name))
    found.pop(catalog.lower(), None)  # a write of the store's own catalog goes to the store
    if any(not file.exists() for file in found.values()):
        Path(directory).mkdir(parents=True, exist_ok=True)
    return dict(sorted(found.items()))


def _attach(
    connection: duckdb.DuckDBPyConnection,
    catalog: str,
    path: Path,
    *,
    read_only: bool,
    lock_timeout: float,
    store: bool,
) -> None:
    """Attach ``path`` as ``catalog`` (aliased if DuckDB reserves the name); a file that is no DuckDB
    database is an error naming it (for the store itself, the engine's message as before)."""
    options = " (READ_ONLY)" if read_only else ""
    attach = f"ATTACH {_sql_string(str(path))} AS {_quote(duckdb_catalog_name(catalog))}{options}"
    try:
        attach_waiting(connection, attach, path, lock_timeout, catalog_aliases(catalog))
    except EngineError as exc:
        if store:
            raise
        raise SetupError(
            f"cannot open the file of catalog {catalog!r}, {path}: {exc.message}",
            hint=f"move {path.name} out of {path.parent} if it is no catalog of yours, or load it again "
            f"(`lakealerts data load FILE --table {catalog}.<schema>.<table> --replace`)",
        ) from exc


def attach_waiting(
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
