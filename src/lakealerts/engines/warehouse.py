"""The SQL warehouse engine: the port over the Statement Execution API, through the SDK's ``WorkspaceClient``.

Usable wherever the SDK authenticates (a laptop, CI, a job). Statements run with ``wait_timeout`` and are
polled until they finish; a statement that fails arrives as HTTP 200 with ``status.state`` FAILED and becomes
an :class:`EngineError` carrying the warehouse's message. Results come back as ``JSON_ARRAY`` strings and are
turned into Python values by the manifest's column types (ARRAY, MAP and STRUCT arrive as JSON text).

Parameters: our SQL uses positional ``?``; the API takes named markers and string values with a SQL type,
so ``?`` becomes ``:p1`` … (see :mod:`lakealerts.engines.databricks_sql`). ARRAY/MAP values have no parameter
type: send them as JSON strings and parse them in SQL (``from_json``), as the store does.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import BadRequest
from databricks.sdk.errors.base import DatabricksError
from databricks.sdk.service.sql import (
    ColumnInfo,
    Disposition,
    ExecuteStatementRequestOnWaitTimeout,
    Format,
    StatementParameterListItem,
    StatementResponse,
    StatementState,
)

from lakealerts.engines.base import ClosingEngine, Column, QueryResult
from lakealerts.engines.databricks_sql import (
    batched,
    count_placeholders,
    delta_table_sql,
    is_missing_table,
    named_markers,
    plan_error,
    without_trailing_semicolon,
    zero_row_probe,
)
from lakealerts.errors import EngineError, SetupError
from lakealerts.sql.identifiers import quote

_RUNNING = (StatementState.PENDING, StatementState.RUNNING)
# The API documents no limit on parameters per statement; batches are split well below anything plausible.
MAX_PARAMETERS_PER_STATEMENT = 1000


class WarehouseEngine(ClosingEngine):
    """The engine port on a Databricks SQL warehouse. The client is borrowed: closing the engine keeps it."""

    name: str = "warehouse"

    def __init__(
        self,
        client: WorkspaceClient,
        warehouse_id: str,
        *,
        wait_timeout: str = "30s",
        timeout: float = 900.0,
        poll_seconds: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Run statements on ``warehouse_id``; each may take up to ``timeout`` s before it is cancelled."""
        if not warehouse_id:
            raise SetupError("no SQL warehouse id", hint="pass --warehouse-id (the id in the warehouse's URL)")
        self._client = client
        self.warehouse_id = warehouse_id
        self._wait_timeout = wait_timeout
        self._timeout = timeout
        self._poll_seconds = poll_seconds
        self._sleep = sleep
        self._monotonic = monotonic
        self._closed = False

    # --- the port ------------------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> QueryResult:
        """Run one statement (a ``CREATE TABLE`` becomes a Delta table with CDF) and return its result."""
        response = self._run(delta_table_sql(sql), list(params or []))
        return self._result(response)

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """All rows in one statement where its shape allows (atomic on Delta), else one statement per row."""
        statements = batched(sql, rows, MAX_PARAMETERS_PER_STATEMENT)
        if statements is None:
            # No transactions across statements on a warehouse: rows of other shapes are written one by one.
            statements = [(sql, list(row)) for row in rows]
        for statement, params in statements:
            self._run(statement, params)

    def explain(self, sql: str) -> str:
        """The warehouse's plan; a query that does not analyse raises EngineError with its message."""
        statement = f"EXPLAIN {without_trailing_semicolon(sql)}"
        result = self.execute(statement, [None] * count_placeholders(sql))
        plan = "\n".join(str(row[0]) for row in result.rows if row and row[0] is not None)
        failure = plan_error(plan)
        if failure is not None:
            raise EngineError(failure)
        return plan

    def describe(self, sql: str) -> tuple[Column, ...]:
        """The output columns of a query from a zero-row probe (planned, no rows read)."""
        return self.execute(zero_row_probe(sql), [None] * count_placeholders(sql)).columns

    def table_columns(self, catalog: str, schema: str, table: str) -> tuple[Column, ...] | None:
        """The columns of a table from a zero-row probe; None when the table (or its schema) does not exist."""
        try:
            return self.execute(f"SELECT * FROM {quote(catalog)}.{quote(schema)}.{quote(table)} LIMIT 0").columns
        except EngineError as exc:
            if is_missing_table(exc.message):
                return None
            raise

    def close(self) -> None:
        """Nothing to release (statements finish before they return); later calls are refused."""
        self._closed = True

    # --- running a statement -------------------------------------------------------------------------

    def _run(self, sql: str, params: list[Any]) -> StatementResponse:
        if self._closed:
            raise EngineError("the warehouse engine is closed", hint="open a new engine")
        text, names = named_markers(sql)
        if len(names) != len(params):
            raise EngineError(f"the statement has {len(names)} parameter markers but {len(params)} values were given")
        parameters = [to_parameter(name, value) for name, value in zip(names, params, strict=True)]
        try:
            response = self._client.statement_execution.execute_statement(
                text,
                self.warehouse_id,
                wait_timeout=self._wait_timeout,
                on_wait_timeout=ExecuteStatementRequestOnWaitTimeout.CONTINUE,
                parameters=parameters or None,
                disposition=Disposition.INLINE,
                format=Format.JSON_ARRAY,
            )
            return self._finished(self._wait(response))
        except BadRequest as exc:  # the statement itself was refused (e.g. too long): a failure of this one
            raise EngineError(f"the warehouse refused the statement: {exc}") from exc
        except (DatabricksError, requests.RequestException, TimeoutError) as exc:  # unreachable or refusing
            raise SetupError(
                f"cannot run statements on SQL warehouse {self.warehouse_id}: {type(exc).__name__}: {exc}",
                hint="check the warehouse id, that it is running or can start, and your permission to use it",
            ) from exc

    def _wait(self, response: StatementResponse) -> StatementResponse:
        """Poll a statement that did not finish within ``wait_timeout``; cancel it after ``timeout`` s."""
        deadline = self._monotonic() + self._timeout
        while _state(response) in _RUNNING:
            statement_id = response.statement_id or ""
            if self._monotonic() >= deadline:
                self._client.statement_execution.cancel_execution(statement_id)
                raise EngineError(f"statement {statement_id} did not finish within {self._timeout:.0f} s (cancelled)")
            self._sleep(self._poll_seconds)
            response = self._client.statement_execution.get_statement(statement_id)
        return response

    @staticmethod
    def _finished(response: StatementResponse) -> StatementResponse:
        state = _state(response)
        if state is StatementState.SUCCEEDED:
            return response
        error = response.status.error if response.status else None
        message = (error.message if error else None) or f"the statement ended {state.value if state else 'UNKNOWN'}"
        raise EngineError(message)

    def _result(self, response: StatementResponse) -> QueryResult:
        manifest = response.manifest
        infos = list(manifest.schema.columns or []) if manifest and manifest.schema else []
        if manifest is not None and manifest.truncated:
            raise EngineError("the result was truncated by the warehouse", hint="select fewer rows or columns")
        columns = tuple(Column(info.name or "", column_type(info)) for info in infos)
        rows = [
            tuple(parse_value(cell, info) for cell, info in zip(row, infos, strict=True))
            for row in self._rows(response)
        ]
        return QueryResult(columns, tuple(rows))

    def _rows(self, response: StatementResponse) -> list[Sequence[str | None]]:
        """Every row of every chunk (INLINE results come in chunks of up to 25 MiB)."""
        data = response.result
        rows: list[Sequence[str | None]] = list(data.data_array or []) if data else []
        while data is not None and data.next_chunk_index is not None:
            data = self._client.statement_execution.get_statement_result_chunk_n(
                response.statement_id or "", data.next_chunk_index
            )
            rows += data.data_array or []
        return rows


def _state(response: StatementResponse) -> StatementState | None:
    return response.status.state if response.status else None


# --- values in and out --------------------------------------------------------------------------------------


def to_parameter(name: str, value: Any) -> StatementParameterListItem:
    """A named parameter: the value as text with its SQL type (NULL: no value; lists/dicts: JSON text)."""
    if value is None:
        return StatementParameterListItem(name=name)
    if hasattr(value, "value") and isinstance(value.value, str):  # a str enum binds as its text
        value = value.value
    text, sql_type = _text_and_type(value)
    return StatementParameterListItem(name=name, value=text, type=sql_type)


def _text_and_type(value: Any) -> tuple[str, str]:
    if isinstance(value, bool):
        return ("true" if value else "false"), "BOOLEAN"
    if isinstance(value, int):
        return str(value), "BIGINT"
    if isinstance(value, float):
        return repr(value), "DOUBLE"
    if isinstance(value, Decimal):
        return str(value), "DECIMAL(38, 18)"
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return moment.isoformat(), "TIMESTAMP" if value.tzinfo else "TIMESTAMP_NTZ"
    if isinstance(value, date):
        return value.isoformat(), "DATE"
    if isinstance(value, list | tuple | dict):
        return json.dumps(value), "STRING"
    if isinstance(value, str):
        return value, "STRING"
    raise EngineError(f"cannot send a {type(value).__name__} as a statement parameter", hint="pass text or numbers")


def column_type(info: ColumnInfo) -> str:
    """The column's type as Databricks spells it (``BIGINT``, ``ARRAY<STRING>``), upper-case."""
    text = info.type_text or (info.type_name.value if info.type_name else "STRING")
    return text.upper()


def parse_value(cell: str | None, info: ColumnInfo) -> Any:
    """One ``JSON_ARRAY`` cell as a Python value, by the column's type."""
    if cell is None:
        return None
    kind = column_type(info).split("(")[0].split("<")[0].strip()
    parse = _PARSERS.get(kind)
    return parse(cell) if parse else cell


def _timestamp(cell: str) -> datetime:
    moment = datetime.fromisoformat(cell)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # TIMESTAMP values are instants in UTC


def _float(cell: str) -> float:
    return float({"Infinity": "inf", "-Infinity": "-inf"}.get(cell, cell))


_PARSERS: dict[str, Callable[[str], Any]] = {
    "BOOLEAN": lambda cell: cell.lower() == "true",
    "TINYINT": int,
    "BYTE": int,
    "SMALLINT": int,
    "SHORT": int,
    "INT": int,
    "INTEGER": int,
    "BIGINT": int,
    "LONG": int,
    "FLOAT": _float,
    "DOUBLE": _float,
    "DECIMAL": Decimal,
    "DATE": date.fromisoformat,
    "TIMESTAMP": _timestamp,
    "TIMESTAMP_NTZ": datetime.fromisoformat,
    "BINARY": base64.b64decode,
    "ARRAY": json.loads,
    "MAP": json.loads,
    "STRUCT": json.loads,
}
