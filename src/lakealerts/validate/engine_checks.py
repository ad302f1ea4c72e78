"""Engine checks: run the rendered query's EXPLAIN and output description on an engine, and classify failures.

The engine's own message is kept in the finding; the code says what kind of failure it is, for DuckDB and
Databricks messages alike.
"""

from __future__ import annotations

import re

from lakealerts.engines.base import Column, Engine
from lakealerts.errors import EngineError
from lakealerts.findings import Finding
from lakealerts.model import Aggregation, AlertRule, ValueType

_CLASSIFIERS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "ENGINE_TABLE_NOT_FOUND",
        re.compile(r"Table with name .* does not exist|TABLE_OR_VIEW_NOT_FOUND|(Schema|Catalog) with name", re.I),
        "create the table (e.g. `lakealerts demo-data` locally) or fix the name; check --catalog/--schema",
    ),
    (
        "ENGINE_COLUMN_NOT_FOUND",
        re.compile(r"Referenced column .* not found|UNRESOLVED_COLUMN|column .* (not found|does not exist)", re.I),
        "fix the column name; the engine's message lists candidates",
    ),
    (
        "ENGINE_FUNCTION_NOT_FOUND",
        re.compile(r"Function with name .* does not exist|UNRESOLVED_ROUTINE", re.I),
        "use a Databricks SQL function that exists (see the engine's message)",
    ),
)
_NUMERIC = re.compile(r"^(TINYINT|SMALLINT|INT|INTEGER|BIGINT|HUGEINT|U\w*INT|UHUGEINT|LONG|SHORT|BYTE|FLOAT|REAL|"
                      r"DOUBLE|DECIMAL|NUMERIC|DEC)\b", re.I)  # fmt: skip
_STRING = re.compile(r"^(VARCHAR|STRING|TEXT|CHAR|BPCHAR)\b", re.I)
_BOOLEAN = re.compile(r"^(BOOLEAN|BOOL)\b", re.I)
_FAMILY_OF_THRESHOLD = {ValueType.DOUBLE: "numeric", ValueType.STRING: "string", ValueType.BOOLEAN: "boolean"}
_NUMERIC_RESULT = frozenset({Aggregation.COUNT, Aggregation.COUNT_DISTINCT})
_NUMERIC_INPUT = frozenset({Aggregation.SUM, Aggregation.AVG, Aggregation.MEDIAN, Aggregation.STDDEV})


def check_with_engine(rule: AlertRule, rendered_sql: str, engine: Engine) -> list[Finding]:
    """EXPLAIN the query, then check the threshold column exists in its output with a type that fits."""
    try:
        engine.explain(rendered_sql)
        columns = engine.describe(rendered_sql)
    except EngineError as exc:
        return [classify(exc.message)]
    column = next((c for c in columns if c.name.lower() == rule.threshold_column.lower()), None)
    if column is None:
        shown = ", ".join(c.name for c in columns)
        return [
            Finding(
                "THRESHOLD_COLUMN_NOT_IN_OUTPUT",
                "threshold_column",
                f"threshold column {rule.threshold_column!r} is not in the query's output ({shown})",
                f"alias the value in the SELECT list, e.g. `… AS {rule.threshold_column}`, or set threshold_column",
            )
        ]
    return _type_findings(rule, column)


def classify(message: str) -> Finding:
    """An engine failure as a finding: a code by kind, the engine's message kept whole."""
    for code, pattern, hint in _CLASSIFIERS:
        if pattern.search(message):
            return Finding(code, "alert_query_template", message, hint)
    return Finding("ENGINE_ERROR", "alert_query_template", message, "fix the query so that it runs on the engine")


def type_family(engine_type: str) -> str | None:
    """numeric / string / boolean, or None for types no threshold compares with (dates, structs, NULL)."""
    for family, pattern in (("numeric", _NUMERIC), ("string", _STRING), ("boolean", _BOOLEAN)):
        if pattern.match(engine_type.strip()):
            return family
    return None


def _type_findings(rule: AlertRule, column: Column) -> list[Finding]:
    if rule.threshold_operator in ("IS_NULL", "IS_NOT_NULL") or column.type.upper() == "NULL":
        return []
    aggregation = rule.aggregation_type
    if aggregation in _NUMERIC_RESULT:
        return []  # a count is a number whatever it counts; the static checks ask for a DOUBLE threshold
    family = type_family(column.type)
    wanted = "numeric" if aggregation in _NUMERIC_INPUT else _FAMILY_OF_THRESHOLD[rule.threshold_value_type]
    if family == wanted:
        return []
    what = f"{aggregation.value} over " if aggregation in _NUMERIC_INPUT and aggregation else ""
    return [
        Finding(
            "THRESHOLD_TYPE_MISMATCH",
            "threshold_value_type",
            f"{what}column {column.name!r} has type {column.type}, which a "
            f"{rule.threshold_value_type.value} threshold cannot compare with",
            "cast the column in the query (e.g. CAST(x AS DOUBLE) AS x) or change threshold_value_type",
        )
    ]
