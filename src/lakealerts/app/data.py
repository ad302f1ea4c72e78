"""The user's own data: ``data load`` reads a CSV, Parquet or JSON file into a table of a local catalog, and
``data list`` lists the tables of every catalog with their row counts.

A table is ``catalog.schema.table``: the store's own catalog (``--catalog``) lives in ``lakealerts.duckdb``,
every other one in ``<home>/catalogs/<catalog>.duckdb`` (created by its first load), attached beside it
whenever the store is opened, so rules read ``prod.sales.orders`` exactly as on a workspace. lakealerts
reads the file itself (:mod:`lakealerts.engines.duckdb_files`); rule SQL keeps no file access.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakealerts.app.context import AppContext
from lakealerts.engines.base import Column
from lakealerts.engines.duckdb import DuckDBEngine, catalog_file
from lakealerts.engines.duckdb_files import READERS, TableExistsError, load_table
from lakealerts.errors import InvalidIdentifierError, SetupError, UsageError
from lakealerts.sql.identifiers import quote, validate_identifier
from lakealerts.sql.translation import duckdb_catalog_name
from lakealerts.store.tables import ALL_TABLES

FORMATS: tuple[str, ...] = tuple(READERS)
_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json",
             ".jsonl": "json", ".ndjson": "json"}  # fmt: skip
_COMPRESSION = (".gz", ".zst")
_TABLE_HINT = "name the table as catalog.schema.table, e.g. --table prod.sales.orders"


@dataclass(frozen=True)
class TableName:
    """A validated three-part table name."""

    catalog: str
    schema: str
    table: str

    @classmethod
    def parse(cls, text: str) -> TableName:
        """``catalog.schema.table``; each part a plain identifier (letters, digits, ``_``, ``-``)."""
        parts = text.split(".")
        if len(parts) != 3:
            raise UsageError(f"invalid table name {text!r}: it has {len(parts)} part(s), not 3", hint=_TABLE_HINT)
        try:
            return cls(
                *(
                    validate_identifier(part, what)
                    for part, what in zip(parts, ("catalog", "schema", "table"), strict=True)
                )
            )
        except InvalidIdentifierError as exc:
            raise UsageError(f"invalid table name {text!r}: {exc.message}", hint=exc.hint) from exc

    def __str__(self) -> str:
        return f"{self.catalog}.{self.schema}.{self.table}"


@dataclass(frozen=True)
class LoadResult:
    """What ``data load`` wrote, from which file, into which catalog file."""

    table: TableName
    file: Path
    file_format: str
    catalog_file: Path
    columns: tuple[Column, ...]
    rows: int
    replaced: bool
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """``data load --json``."""
        return {
            "table": str(self.table),
            "file": str(self.file),
            "format": self.file_format,
            "catalog_file": str(self.catalog_file),
            "columns": [{"name": column.name, "type": column.type} for column in self.columns],
            "rows": self.rows,
            "replaced": self.replaced,
            "seconds": self.seconds,
        }


def load(
    ctx: AppContext, file: Path, table: str, *, replace: bool = False, file_format: str | None = None
) -> LoadResult:
    """Read ``file`` into ``table`` (created with its catalog file and schema when missing). An existing table
    is an error unless ``replace``; the store's own tables are never replaced."""
    name = TableName.parse(table)
    settings = ctx.settings
    if ctx.engine is not None:
        raise SetupError("data load writes the local DuckDB catalogs only", hint="on a workspace, load with Spark")
    own = name.catalog.lower() == settings.catalog.lower()
    if own and name.schema.lower() == settings.schema.lower() and name.table.lower() in _STORE_TABLES:
        raise UsageError(f"{name} is one of lakealerts' own tables", hint="load your data into another table or schema")
    source = _readable(file)
    chosen = file_format or _format_of(source)
    target = settings.store_path if own else catalog_file(settings.catalogs_dir, name.catalog)
    started = time.perf_counter()
    try:
        loaded = load_table(target, name.schema, name.table, source, chosen, replace=replace)
    except TableExistsError as exc:
        raise UsageError(f"the table {name} already exists ({target})", hint=exc.hint) from exc
    seconds = round(time.perf_counter() - started, 2)
    return LoadResult(name, source, chosen, target, loaded.columns, loaded.rows, loaded.replaced, seconds)


_STORE_TABLES = frozenset(table.name.lower() for table in ALL_TABLES)


def _readable(file: Path) -> Path:
    path = Path(file).expanduser()
    if not path.exists():
        raise UsageError(
            f"no such file: {file}", hint="check the path (a relative path starts in the current directory)"
        )
    if not path.is_file():
        raise UsageError(f"{file} is not a file", hint="pass one CSV, Parquet or JSON file; load several one by one")
    if not os.access(path, os.R_OK):
        raise UsageError(f"cannot read {file}: permission denied", hint="check the file's permissions")
    if _blank(path):  # DuckDB would make a table of one VARCHAR column named column0 from it
        raise UsageError(f"{file} is empty", hint="export the table again (a CSV needs at least its header line)")
    return path.resolve()


def _blank(path: Path) -> bool:
    """Whether the file holds nothing but whitespace after an optional UTF-8 byte order mark (read only as far as
    the first other byte)."""
    with path.open("rb") as stream:
        chunk = stream.read(65536).removeprefix(b"\xef\xbb\xbf")
        while chunk:
            if chunk.strip():
                return False
            chunk = stream.read(65536)
    return True


def _format_of(path: Path) -> str:
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION:
        suffixes.pop()
    found = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise UsageError(
            f"cannot tell the format of {path.name} from its name",
            hint="pass --format csv, --format parquet or --format json",
        )
    return found


@dataclass(frozen=True)
class TableInfo:
    """One table of a catalog and its row count (None when its name cannot be queried safely)."""

    schema: str
    table: str
    rows: int | None


@dataclass(frozen=True)
class CatalogTables:
    """A catalog, the file it lives in, and its tables."""

    catalog: str
    file: str | None
    tables: tuple[TableInfo, ...]


@dataclass(frozen=True)
class DataListing:
    """``data list``: every catalog of the local store, the store's own first."""

    catalogs: tuple[CatalogTables, ...]

    def to_dict(self) -> dict[str, Any]:
        """``data list --json``."""
        return {
            "catalogs": [
                {
                    "catalog": catalog.catalog,
                    "file": catalog.file,
                    "tables": [{"schema": t.schema, "table": t.table, "rows": t.rows} for t in catalog.tables],
                }
                for catalog in self.catalogs
            ]
        }


def list_tables(ctx: AppContext) -> DataListing:
    """The tables of every catalog the local store attaches, with row counts."""
    with ctx.store(require_tables=False, read_only=True) as store:
        engine = store.engine
        if not isinstance(engine, DuckDBEngine):
            raise SetupError("data list lists the local DuckDB catalogs only", hint="on a workspace, use SHOW TABLES")
        user_names = {duckdb_catalog_name(name).lower(): name for name in engine.catalog_files}
        found: dict[str, list[TableInfo]] = {name: [] for name in engine.catalog_files}
        listed = engine.execute(
            "SELECT table_catalog, table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' ORDER BY table_catalog, table_schema, table_name"
        )
        for attached, schema, table in listed.rows:
            catalog = user_names.get(str(attached).lower())
            if catalog is not None:
                found[catalog].append(TableInfo(schema, table, _count(engine, catalog, schema, table)))
        return DataListing(
            tuple(
                CatalogTables(name, str(file) if file else None, tuple(found[name]))
                for name, file in engine.catalog_files.items()
            )
        )


def _count(engine: DuckDBEngine, catalog: str, schema: str, table: str) -> int | None:
    try:
        name = f"{quote(catalog)}.{quote(schema)}.{quote(table)}"
    except InvalidIdentifierError:
        return None
    return int(engine.execute(f"SELECT COUNT(*) AS n FROM {name}").rows[0][0])
