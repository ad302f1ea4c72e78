"""Composition root: builds the engine and store a command needs from its settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import SetupError
from lakealerts.settings import Settings, current_user
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_CONFIGURATIONS


@contextmanager
def open_store(settings: Settings, *, require_tables: bool = True) -> Iterator[Store]:
    """Open the embedded DuckDB store for one command (and only for it: DuckDB allows one process per file).

    With ``require_tables`` a store without tables is a clear error that says to run ``lakealerts init``,
    instead of an engine message about a missing table.
    """
    namespace = settings.namespace
    with DuckDBEngine.open(settings.store_path, namespace.catalog) as engine:
        store = Store(engine, namespace, current_user())
        if (
            require_tables
            and engine.table_columns(namespace.catalog, namespace.schema, ALERT_CONFIGURATIONS.name) is None
        ):
            raise SetupError(
                f"no lakealerts tables in {namespace.catalog}.{namespace.schema} under {settings.home}",
                hint="run `lakealerts init` first (or pass the --home/--catalog/--schema you used)",
            )
        yield store
