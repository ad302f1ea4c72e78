"""The engine port: what the core needs from a SQL engine (no I/O here).

Every engine takes **Databricks SQL** with positional ``?`` parameters and translates it to its own dialect
if it has to. Results come back as plain Python values in a :class:`QueryResult` whose column types are
spelled the way the engine names them (DuckDB: ``BIGINT``, ``VARCHAR``, ``VARCHAR[]``,
``TIMESTAMP WITH TIME ZONE`` ...). Failures raise :class:`lakealerts.errors.EngineError` with the engine's own
message kept, so a validation finding or an alert in ERROR can show the user what the engine said.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self


@dataclass(frozen=True)
class Column:
    """One output or table column: its name and its type as the engine names it (upper-case)."""

    name: str
    type: str


@dataclass(frozen=True)
class QueryResult:
    """The columns and rows of one executed statement."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        """The output column names, in order."""
        return tuple(column.name for column in self.columns)

    def as_dicts(self) -> list[dict[str, Any]]:
        """The rows as ``{column name: value}`` mappings (a repeated column name keeps the last value)."""
        names = self.column_names
        return [dict(zip(names, row, strict=True)) for row in self.rows]


class Engine(Protocol):
    """A SQL engine. All SQL handed to an engine is Databricks SQL; an engine translates to its own dialect.

    Parameters are positional ``?``. Engines are usable as context managers (``with engine: ...`` closes it
    at exit); :class:`ClosingEngine` provides that for implementations.
    """

    name: str

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> QueryResult:
        """Run one statement with ``params`` bound to its ``?`` placeholders and return its result."""
        ...

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement once per parameter row, all in one transaction: all rows or none."""
        ...

    def explain(self, sql: str) -> str:
        """The plan of one statement; raises ``EngineError`` (engine's message kept) for missing objects."""
        ...

    def describe(self, sql: str) -> tuple[Column, ...]:
        """The output columns and types of a query, without running it fully."""
        ...

    def table_columns(self, catalog: str, schema: str, table: str) -> tuple[Column, ...] | None:
        """The columns of ``catalog.schema.table`` in order, or ``None`` if the table does not exist."""
        ...

    def close(self) -> None:
        """Release the engine's connection; closing twice is harmless."""
        ...

    def interrupt(self) -> None:
        """Cancel the statement running on this engine, from another thread (a timeout, a shutdown);
        harmless when nothing runs. The interrupted call raises ``EngineError``."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """All statements inside the block commit together or not at all (where the engine can do that)."""
        ...

    def __enter__(self) -> Self:
        """Return the engine itself."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the engine."""
        ...


class ClosingEngine:
    """Mixin that makes an engine a context manager: ``with engine: ...`` closes it at exit; engines that
    cannot cancel a statement or group statements in a transaction inherit the no-op versions."""

    def close(self) -> None:
        """Release resources; implementations override this."""
        raise NotImplementedError

    def interrupt(self) -> None:
        """No statement of this engine can be cancelled from here (a warehouse bounds its own statements)."""

    def transaction(self) -> AbstractContextManager[None]:
        """Statements commit one by one (a SQL warehouse or Spark on Delta has no multi-statement transaction)."""
        return nullcontext()

    def __enter__(self) -> Self:
        """Return the engine itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the engine, whether or not the block raised."""
        self.close()


class Deadline:
    """Interrupts ``engine``'s running statement from a timer thread once ``seconds`` have passed, unless the
    ``with`` block ended first; ``expired`` says whether it struck. (A rule query's ``--query-timeout``, the
    stand-in's statement timeout.)"""

    def __init__(self, engine: Engine, seconds: float) -> None:
        self.expired = False
        self._engine = engine
        self._done = False
        self._lock = threading.Lock()  # the timer never interrupts an engine the block is done with
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True

    def _expire(self) -> None:
        with self._lock:
            if not self._done:
                self.expired = True
                self._engine.interrupt()
