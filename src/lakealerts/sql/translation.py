"""What a translated statement is, and the catalog names DuckDB attaches under: no sqlglot here.

:mod:`lakealerts.sql.translate` (sqlglot) and the fast path for the store's plain reads
(:mod:`lakealerts.sql.plain`) both produce a :class:`Translation`; the DuckDB engine imports this module at
start-up and sqlglot only when a statement needs it. :mod:`lakealerts.sql.translate` re-exports every name.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Database names DuckDB keeps for itself; a catalog with one of these names is attached under an alias.
RESERVED_CATALOGS: frozenset[str] = frozenset({"main", "system", "temp", "memory"})

_ALIAS_PREFIX = "lakealerts_"


def duckdb_catalog_name(catalog: str) -> str:
    """The name the DuckDB engine attaches ``catalog`` under: itself, or an alias if DuckDB reserves it."""
    return f"{_ALIAS_PREFIX}{catalog.lower()}" if catalog.lower() in RESERVED_CATALOGS else catalog


def catalog_aliases(catalog: str) -> dict[str, str]:
    """The alias map (lower-case user name -> DuckDB name) the engine passes to the translation."""
    attached = duckdb_catalog_name(catalog)
    return {catalog.lower(): attached} if attached != catalog else {}


@dataclass(frozen=True)
class Translation:
    """One translated statement: its DuckDB text, how many ``?`` placeholders it holds, the decimal operations
    computed Databricks' way (``(expression, result type)``, innermost first), and whether it is DDL."""

    sql: str
    placeholders: int
    decimal_operations: tuple[tuple[str, str], ...] = ()
    changes_tables: bool = False
