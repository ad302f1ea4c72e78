"""Statement execution (``/api/2.0/sql/statements``) on the local engine, read-only statements only.

Each request opens ``lakealerts.duckdb`` read-only through :class:`DuckDBEngine`, runs one query and closes
the file again, so the CLI keeps working on it while ``serve`` runs (DESIGN §3). Statements that are not a
single read-only query (:func:`lakealerts.sql.readonly.check_read_only`) are refused the way a warehouse
reports a failed statement: HTTP 200, ``status.state`` FAILED, ``status.error``. Named parameters
(``:name``, the SDK's ``StatementParameterListItem``) are bound as ``CAST('<value>' AS <type>)``, which is
exactly how Databricks defines them. Statements always finish before the POST answers; the stand-in keeps
the last results in memory for ``GET /api/2.0/sql/statements/{id}``.

A statement is bounded like a warehouse's ``STATEMENT_TIMEOUT``: past the runner's timeout (default 60 s) a
timer thread interrupts it, and it is answered FAILED with ``DEADLINE_EXCEEDED`` "timed out after N s". The file
is open only while a statement runs, never while the stand-in is idle.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlglot
from databricks.sdk.service.sql import (
    Disposition,
    ExecuteStatementRequestOnWaitTimeout,
    Format,
    QueryTag,
    StatementParameterListItem,
)
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakealerts.engines.base import Column, Deadline, Engine, QueryResult
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import EngineError, LakeAlertsError, StoreLockedError
from lakealerts.sql.identifiers import quote
from lakealerts.sql.readonly import DIALECT, check_read_only
from lakealerts.standin.errors import invalid, not_found
from lakealerts.standin.results import failed, succeeded
from lakealerts.standin.schema import check_payload

_WAIT_TIMEOUT = re.compile(r"0s|[5-9]s|[1-4][0-9]s|50s")
_KEEP_RESULTS = 256
DEFAULT_STATEMENT_TIMEOUT = 60.0  # seconds, as `serve --query-timeout` bounds a rule query (DESIGN §10.1)


@dataclass
class ExecuteStatementBody:
    """The JSON body of ``POST /api/2.0/sql/statements``: the SDK's ``execute_statement`` arguments."""

    statement: str
    warehouse_id: str
    byte_limit: int | None = None
    catalog: str | None = None
    disposition: Disposition | None = None
    format: Format | None = None
    on_wait_timeout: ExecuteStatementRequestOnWaitTimeout | None = None
    parameters: list[StatementParameterListItem] | None = None
    query_tags: list[QueryTag] | None = None
    row_limit: int | None = None
    schema: str | None = None
    wait_timeout: str | None = None


def parse_request(body: Any) -> ExecuteStatementBody:
    """The checked request; 400 for a bad body or for options the stand-in does not serve."""
    check_payload(body, ExecuteStatementBody)
    if body.get("disposition", "INLINE") != "INLINE":
        raise invalid("The lakealerts stand-in returns results INLINE only (disposition EXTERNAL_LINKS is not served)")
    if body.get("format", "JSON_ARRAY") != "JSON_ARRAY":
        raise invalid("The lakealerts stand-in returns results as JSON_ARRAY only")
    if "wait_timeout" in body and not _WAIT_TIMEOUT.fullmatch(body["wait_timeout"]):
        raise invalid(f"wait_timeout must be 0s or between 5s and 50s, got {body['wait_timeout']!r}")
    if body.get("row_limit") is not None and body["row_limit"] < 0:
        raise invalid("row_limit must not be negative")
    return ExecuteStatementBody(
        statement=body["statement"],
        warehouse_id=body["warehouse_id"],
        catalog=body.get("catalog"),
        schema=body.get("schema"),
        parameters=[StatementParameterListItem.from_dict(item) for item in body.get("parameters") or []],
        row_limit=body.get("row_limit"),
    )


def bind_parameters(sql: str, parameters: Sequence[StatementParameterListItem]) -> str:
    """``sql`` with every ``:name`` marker replaced by ``CAST('<value>' AS <type>)`` (STRING when untyped).

    The values become SQL string literals written by sqlglot's generator, never pasted text. Raises
    :class:`StatementFailedError` for a marker without a parameter; 400 for a duplicate name or an unknown type.
    """
    values = _parameter_values(parameters)
    tree = sqlglot.parse_one(sql, read=DIALECT)
    markers = [node.name for node in tree.find_all(exp.Placeholder) if node.name]
    if not markers:
        return sql  # nothing to bind: run the text as written
    unbound = [name for name in markers if name not in values]
    if unbound:
        raise StatementFailedError(f"[UNBOUND_SQL_PARAMETER] Found the unbound parameter: {unbound[0]}", "42P02")
    bound = tree.transform(lambda node: values.get(node.name, node) if isinstance(node, exp.Placeholder) else node)
    return bound.sql(dialect=DIALECT)


class StatementFailedError(LakeAlertsError):
    """Raised while running a statement that a warehouse would report as FAILED (not an HTTP error)."""

    def __init__(self, message: str, sql_state: str | None = None, error_code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.sql_state = sql_state
        self.error_code = error_code


class StatementRunner:
    """Runs read-only statements on ``lakealerts.duckdb`` and remembers their results for GET."""

    def __init__(
        self,
        store_path: Path,
        catalog: str,
        *,
        lock_timeout: float = 10.0,
        statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        """Serve statements on the DuckDB file ``store_path`` attached as ``catalog``; each may run for
        ``statement_timeout`` seconds (after waiting up to ``lock_timeout`` s for the file)."""
        self._store_path = store_path
        self._catalog = catalog
        self._lock_timeout = lock_timeout
        self._statement_timeout = statement_timeout
        self._new_id = new_id
        self._results: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._current: Engine | None = None  # the engine of the statement running now
        self._current_lock = threading.Lock()
        # One statement at a time: DuckDB refuses a second attach of the file in this process, and the
        # engine would only spin on that until the first statement closes it.
        self._engine_lock = threading.Lock()

    def execute(self, body: Any) -> dict[str, Any]:
        """POST /api/2.0/sql/statements: a SUCCEEDED or FAILED ``StatementResponse``; 400 for a bad body."""
        request = parse_request(body)
        statement_id = self._new_id()
        try:
            result = self._run(request)
        except StatementFailedError as exc:
            response = failed(statement_id, exc.error_code, exc.message, exc.sql_state)
        else:
            rows = result.rows
            truncated = request.row_limit is not None and len(rows) > request.row_limit
            response = succeeded(
                statement_id, result.columns, rows[: request.row_limit] if truncated else rows, truncated
            )
        self._remember(statement_id, response)
        return response

    def get(self, statement_id: str) -> dict[str, Any]:
        """GET /api/2.0/sql/statements/{id}: the response the statement finished with; 404 when unknown."""
        with self._lock:
            response = self._results.get(statement_id)
        if response is None:
            raise not_found(f"Statement {statement_id} does not exist (the stand-in keeps the last {_KEEP_RESULTS})")
        return response

    def chunk(self, statement_id: str, chunk_index: int) -> dict[str, Any]:
        """GET .../result/chunks/{n}: results come in one chunk, so only chunk 0 exists."""
        response = self.get(statement_id)
        if chunk_index != 0 or "result" not in response:
            raise invalid(f"Statement {statement_id} has no result chunk {chunk_index}")
        result: dict[str, Any] = response["result"]
        return result

    def _run(self, request: ExecuteStatementBody) -> QueryResult:
        explained = _EXPLAIN.match(request.statement)
        statement = explained.group(1) if explained else request.statement
        findings = check_read_only(statement, field="statement")
        if findings:
            first = findings[0]
            state = "42601" if first.code == "SQL_PARSE_ERROR" else "0A000"
            raise StatementFailedError(
                f"[{first.code}] {first.message}; the lakealerts stand-in runs read-only queries", state
            )
        if request.catalog and request.catalog.lower() != self._catalog.lower():
            raise StatementFailedError(
                f"[NO_SUCH_CATALOG_EXCEPTION] Catalog '{request.catalog}' was not found: the stand-in serves "
                f"only '{self._catalog}' ({self._store_path.name})",
                "42704",
            )
        sql = bind_parameters(statement, request.parameters or [])
        return self._query(sql, request.schema, explain=explained is not None)

    def _query(self, sql: str, schema: str | None, *, explain: bool = False) -> QueryResult:
        with self._engine_lock:
            return self._query_once(sql, schema, explain)

    def _query_once(self, sql: str, schema: str | None, explain: bool) -> QueryResult:
        try:
            engine = DuckDBEngine.open(self._store_path, self._catalog, lock_timeout=self._lock_timeout, read_only=True)
        except StoreLockedError as exc:
            raise StatementFailedError(exc.message, error_code="TEMPORARILY_UNAVAILABLE") from exc
        except LakeAlertsError as exc:
            raise StatementFailedError(f"{exc.message} (run `lakealerts init` under this --home first)") from exc
        with engine, Deadline(engine, self._statement_timeout) as deadline, self._running(engine):
            try:
                if schema:
                    engine.execute(f"USE {quote(self._catalog)}.{quote(schema)}")
                return _explain(engine, sql) if explain else engine.execute(sql)
            except LakeAlertsError as exc:
                if deadline.expired:
                    raise StatementFailedError(
                        f"The statement timed out after {self._statement_timeout:g} s and was cancelled "
                        "(the lakealerts stand-in's statement timeout)",
                        error_code="DEADLINE_EXCEEDED",
                    ) from exc
                raise StatementFailedError(exc.message) from exc

    def interrupt(self) -> None:
        """Cancel the statement running now, if any (``serve`` on SIGTERM); it is answered FAILED."""
        with self._current_lock:
            if self._current is not None:
                self._current.interrupt()

    @contextmanager
    def _running(self, engine: Engine) -> Iterator[None]:
        with self._current_lock:
            self._current = engine
        try:
            yield
        finally:
            with self._current_lock:
                self._current = None

    def _remember(self, statement_id: str, response: dict[str, Any]) -> None:
        with self._lock:
            self._results[statement_id] = response
            while len(self._results) > _KEEP_RESULTS:
                self._results.popitem(last=False)


# ``EXPLAIN [EXTENDED|FORMATTED|COST|CODEGEN] <query>``: a warehouse answers with the plan, so does the stand-in.
_EXPLAIN = re.compile(r"^\s*EXPLAIN\s+(?:(?:EXTENDED|FORMATTED|COST|CODEGEN)\s+)?(.*)$", re.IGNORECASE | re.DOTALL)


def _explain(engine: DuckDBEngine, sql: str) -> QueryResult:
    """The plan as one ``plan`` row; a query that does not analyse answers as a warehouse does, in the row."""
    try:
        plan = "== Physical Plan ==\n" + engine.explain(sql)
    except EngineError as exc:
        plan = "Error occurred during query planning: \n" + exc.message
    return QueryResult((Column("plan", "STRING"),), ((plan,),))


def _parameter_values(parameters: Sequence[StatementParameterListItem]) -> dict[str, exp.Expression]:
    values: dict[str, exp.Expression] = {}
    for parameter in parameters:
        if parameter.name in values:
            raise invalid(f"Parameter {parameter.name!r} is given more than once")
        values[parameter.name] = _literal(parameter)
    return values


def _literal(parameter: StatementParameterListItem) -> exp.Expression:
    if parameter.value is None:
        value: exp.Expression = exp.null()
    else:
        value = exp.Literal.string(parameter.value)
    if not parameter.type:
        return value
    try:
        data_type = exp.DataType.build(parameter.type, dialect=DIALECT)
    except (SqlglotError, ValueError) as exc:
        raise invalid(f"Parameter {parameter.name!r} has an unknown type {parameter.type!r}") from exc
    return exp.cast(value, data_type)
