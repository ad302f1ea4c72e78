"""Where the DuckDB translation gets column types: DuckDB's catalog (``duckdb_columns()``), read once per schema
per session.

The translator is pure (:mod:`lakealerts.sql.translate`); to compute decimal arithmetic in Databricks' types it
needs the types of the columns a statement reads. The engine asks :func:`lakealerts.sql.translate.typed_tables`
which tables those are, looks them up here — one query for the schemas not read yet in this session — and
hands the result to ``translate`` as a :class:`lakealerts.sql.decimals.ColumnTypes`. A statement that may
change tables (CREATE, ALTER, DROP) makes the session forget what it knew.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakealerts.sql.decimals import ColumnTypes  # imports sqlglot: only when a statement is typed

#: Runs one catalog query with parameters and returns its rows.
Rows = Callable[[str, list[Any]], Sequence[Sequence[Any]]]
TableKey = tuple[str, str, str]

_COLUMNS = (
    "SELECT lower(database_name), lower(schema_name), lower(table_name), column_name, data_type "
    "FROM duckdb_columns() WHERE {where} ORDER BY database_name, schema_name, table_name, column_index"
)
_ONE_SCHEMA = "(lower(database_name) = ? AND lower(schema_name) = ?)"


class ColumnTypeCache:
    """Column types of the session's tables, by (catalog, schema, table) in lower case. A schema is read whole
    the first time one of its tables is asked for: an evaluation round reads few schemas and many tables."""

    def __init__(self, rows: Rows, catalog: str, schema: str = "main") -> None:
        """``catalog`` and ``schema`` are where names without them resolve (DuckDB's current database)."""
        self._rows = rows
        self._catalog = catalog
        self._schema = schema
        self._known: dict[TableKey, tuple[tuple[str, str], ...]] = {}
        self._schemas: set[tuple[str, str]] = set()

    def describe(self, tables: Sequence[tuple[str, str, str]]) -> ColumnTypes:
        """The column types of ``tables`` (parts as written, ``""`` when left out); unknown tables are left out."""
        from lakealerts.sql.decimals import ColumnTypes

        keys = list(dict.fromkeys(self._resolve(table) for table in tables))
        missing = list(dict.fromkeys(key[:2] for key in keys if key[:2] not in self._schemas))
        if missing:
            self._load(missing)
        found = tuple((key, self._known[key]) for key in keys if self._known.get(key))
        return ColumnTypes(self._catalog, self._schema, found)

    def forget(self) -> None:
        """Tables may have changed: look them up again next time."""
        self._known.clear()
        self._schemas.clear()

    def _resolve(self, table: tuple[str, str, str]) -> TableKey:
        catalog, schema, name = table
        return ((catalog or self._catalog).lower(), (schema or self._schema).lower(), name.lower())

    def _load(self, schemas: list[tuple[str, str]]) -> None:
        where = " OR ".join([_ONE_SCHEMA] * len(schemas))
        columns: dict[TableKey, list[tuple[str, str]]] = {}
        for catalog, schema, table, column, data_type in self._rows(
            _COLUMNS.format(where=where), [part for key in schemas for part in key]
        ):
            columns.setdefault((str(catalog), str(schema), str(table)), []).append((str(column), str(data_type)))
        self._known.update((key, tuple(found)) for key, found in columns.items())
        self._schemas.update(schemas)
