"""Statement results in the shapes of the Statement Execution API (``JSON_ARRAY`` format, ``INLINE``) (pure).

Column types come back as Databricks names (``manifest.schema.columns[].type_name`` / ``type_text``), and
every non-NULL value is a string in ``result.data_array``, as a SQL warehouse sends them: ``true``/``false``,
ISO 8601 dates, timestamps as ``2024-05-01T12:00:00.000Z``, arrays, maps and structs as JSON.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from databricks.sdk.service.sql import ColumnInfoTypeName
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakealerts.engines.base import Column

_TYPE_NAMES = {"BIGINT": "LONG", "SMALLINT": "SHORT", "TINYINT": "BYTE", "TIMESTAMP_NTZ": "TIMESTAMP", "VOID": "NULL"}
_WIDE_INTEGERS = {exp.DataType.Type.INT128, exp.DataType.Type.UINT128, exp.DataType.Type.UBIGINT}
_AS_STRING = {exp.DataType.Type.TIME, exp.DataType.Type.UUID, exp.DataType.Type.ENUM, exp.DataType.Type.JSON}


def column_info(column: Column, position: int) -> dict[str, Any]:
    """``ColumnInfo`` for one output column: name, position, Databricks type name and text."""
    type_text = databricks_type(column.type)
    base = type_text.split("(")[0].split("<")[0]
    type_name = _TYPE_NAMES.get(base, base)
    if type_name not in ColumnInfoTypeName.__members__:
        type_name = "USER_DEFINED_TYPE"
    info: dict[str, Any] = {"name": column.name, "position": position, "type_name": type_name, "type_text": type_text}
    if type_name == "DECIMAL" and "(" in type_text:
        precision, scale = type_text[type_text.index("(") + 1 : -1].split(",")
        info.update(type_precision=int(precision), type_scale=int(scale))
    return info


def databricks_type(duckdb_type: str) -> str:
    """The Databricks SQL spelling of a DuckDB result type (``VARCHAR`` -> ``STRING``, ``INTEGER[]`` ->
    ``ARRAY<INT>``); types Databricks lacks become the nearest one (``HUGEINT`` -> ``DECIMAL(38,0)``)."""
    try:
        parsed = exp.DataType.build(duckdb_type, dialect="duckdb")
    except SqlglotError:
        return "STRING"
    if parsed.this in _WIDE_INTEGERS or parsed.this == exp.DataType.Type.BIGDECIMAL:
        return "DECIMAL(38,0)"
    if parsed.this in _AS_STRING:
        return "STRING"
    if parsed.this in {exp.DataType.Type.TIMESTAMP_NS, exp.DataType.Type.TIMESTAMP_MS, exp.DataType.Type.TIMESTAMP_S}:
        return "TIMESTAMP_NTZ"
    text = parsed.sql(dialect="databricks")
    return text.replace(", ", ",") if parsed.this == exp.DataType.Type.DECIMAL else text


def format_value(value: Any) -> str | None:
    """One cell of ``data_array``: a string, or None for SQL NULL."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date | time | timedelta | bytes | Decimal):
        return _format_scalar(value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(_jsonable(value), separators=(",", ":"))
    return str(value)


def succeeded(
    statement_id: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]], truncated: bool
) -> dict[str, Any]:
    """A ``StatementResponse`` of a finished query: manifest (one chunk) and the rows inline."""
    count = len(rows)
    result: dict[str, Any] = {"chunk_index": 0, "row_offset": 0, "row_count": count}
    if rows:
        result["data_array"] = [[format_value(value) for value in row] for row in rows]
    return {
        "statement_id": statement_id,
        "status": {"state": "SUCCEEDED"},
        "manifest": {
            "format": "JSON_ARRAY",
            "schema": {
                "column_count": len(columns),
                "columns": [column_info(column, index) for index, column in enumerate(columns)],
            },
            "total_chunk_count": 1,
            "chunks": [{"chunk_index": 0, "row_offset": 0, "row_count": count}],
            "total_row_count": count,
            "truncated": truncated,
        },
        "result": result,
    }


def failed(statement_id: str, error_code: str, message: str, sql_state: str | None = None) -> dict[str, Any]:
    """A ``StatementResponse`` in state FAILED, with ``status.error`` as a warehouse reports it."""
    status: dict[str, Any] = {"state": "FAILED", "error": {"error_code": error_code, "message": message}}
    if sql_state:
        status["sql_state"] = sql_state
    return {"statement_id": statement_id, "status": status}


def _format_scalar(value: datetime | date | time | timedelta | bytes | Decimal) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat(timespec="milliseconds")
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, timedelta):
        return str(value)
    return value.isoformat() if isinstance(value, date | time) else str(value)


def _jsonable(value: Any) -> Any:
    """Nested values for JSON: scalars as JSON would hold them, the rest as their cell strings."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return format_value(value)
