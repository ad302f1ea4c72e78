"""Engine checks: run the rendered query's EXPLAIN and output description on an engine, and classify failures.

The engine's own message is kept in the finding; the code says what kind of failure it is, for DuckDB and
Databricks messages alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakealerts.engines.base import Column, Engine
from lakealerts.errors import EngineError
from lakealerts.findings import Finding
from lakealerts.model import Aggregation, AlertRule, ValueType
from lakealerts.validate.static import threshold_column_hint

DECIMAL_OVERFLOW = "ENGINE_DECIMAL_OVERFLOW"
COLUMN_NOT_FOUND = "ENGINE_COLUMN_NOT_FOUND"
_CLASSIFIERS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        DECIMAL_OVERFLOW,
        re.compile(
            r"Overflow in \w+ of (DECIMAL|U?HUGEINT|INT128)|Overflow in U?HUGEINT|cast(ing)? value \S+ to (type )?"
            r"DECIMAL|NUMERIC_VALUE_OUT_OF_RANGE|DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION|CANNOT_CHANGE_DECIMAL_PRECISION",
            re.I,
        ),
        "Databricks fails the same way (NUMERIC_VALUE_OUT_OF_RANGE): cast an operand to DOUBLE, or to a DECIMAL "
        "with fewer digits (e.g. CAST(x AS DECIMAL(38,6))), before the arithmetic",
    ),
    (
        "ENGINE_TABLE_NOT_FOUND",
        re.compile(r"Table with name .* does not exist|TABLE_OR_VIEW_NOT_FOUND|(Schema|Catalog) with name", re.I),
        "create the table (e.g. `lakealerts demo-data` locally) or fix the name; check --catalog/--schema",
    ),
    (
        COLUMN_NOT_FOUND,
        re.compile(
            r"Referenced column .* not found|does not have a column named|Could not find key .* in struct|"
            r"Referenced table .* not found|UNRESOLVED_COLUMN|UNRESOLVED_FIELD|column .* (not found|does not exist)",
            re.I,
        ),
        "fix the column name (see the engine's message)",
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
    """EXPLAIN the query, then check the threshold column exists in its output with a type that fits; a query
    with decimal arithmetic computed Databricks' way is run once, to find a result that overflows."""
    try:
        engine.explain(rendered_sql)
        columns = engine.describe(rendered_sql)
    except EngineError as exc:
        message = exc.message
        return [classify(message, lambda: _described_candidates(message, rendered_sql, engine))]
    findings = _output_findings(rule, columns)
    return findings or _decimal_overflow(rendered_sql, engine)


def _output_findings(rule: AlertRule, columns: tuple[Column, ...]) -> list[Finding]:
    column = next((c for c in columns if c.name.lower() == rule.threshold_column.lower()), None)
    if column is None:
        shown = ", ".join(c.name for c in columns)
        return [
            Finding(
                "THRESHOLD_COLUMN_NOT_IN_OUTPUT",
                "threshold_column",
                f"threshold column {rule.threshold_column!r} is not in the query's output ({shown})",
                threshold_column_hint(rule.threshold_column, [c.name for c in columns]),
            )
        ]
    return _type_findings(rule, column)


def classify(message: str, candidates: Callable[[], list[str]] | None = None) -> Finding:
    """An engine failure as a finding: a code by kind, the engine's message kept whole.

    A missing column's hint names the candidates: the engine's own list, else ``candidates()`` (the columns
    of the table the message names, when they can be described).
    """
    for code, pattern, hint in _CLASSIFIERS:
        if pattern.search(message):
            if code == COLUMN_NOT_FOUND:
                names = _candidates_in(message) or (candidates() if candidates else [])
                hint = f"fix the column name; candidates: {', '.join(names)}" if names else hint
            return Finding(code, "alert_query_template", message, hint)
    return Finding("ENGINE_ERROR", "alert_query_template", message, "fix the query so that it runs on the engine")


# DuckDB: 'Candidate bindings: "name", "value"' (also 'Candidate bindings: : …', 'Candidate Entries: …');
# Databricks: 'Did you mean one of the following? [`name`, `value`]'.
_DUCKDB_CANDIDATES = re.compile(r"Candidate (?:bindings|entries|tables):[ :]*(.*)", re.I)
_DATABRICKS_CANDIDATES = re.compile(r"Did you mean one of the following\?\s*\[([^\]]*)\]", re.I)
_NAMED_SOURCE = re.compile(r'(Table|Values list) "([^"]+)" does not have a column named')


def _candidates_in(message: str) -> list[str]:
    if match := _DUCKDB_CANDIDATES.search(message):
        return re.findall(r'"([^"]+)"', match.group(1))
    if match := _DATABRICKS_CANDIDATES.search(message):
        return [name.strip().strip("`") for name in match.group(1).split(",") if name.strip()]
    return []


def _described_candidates(message: str, sql: str, engine: Engine) -> list[str]:
    """The columns of the table or VALUES list the message names (by alias or name) in ``sql``."""
    match = _NAMED_SOURCE.search(message)
    if match is None:
        return []
    try:
        tree = sqlglot.parse_one(sql, read="databricks")
    except SqlglotError:
        return []
    name = match.group(2).lower()
    for source in tree.find_all(exp.Table, exp.Values):
        if source.alias_or_name.lower() != name:
            continue
        if isinstance(source, exp.Values):
            return source.alias_column_names
        if isinstance(source, exp.Table) and source.catalog and source.db:
            columns = engine.table_columns(source.catalog, source.db, source.name)
            return [column.name for column in columns or ()]
    return []


def _decimal_overflow(sql: str, engine: Engine) -> list[Finding]:
    """Run a query whose decimal arithmetic the engine computes in Databricks' types (DuckDB says which):
    a result that does not fit them fails on Databricks too, so it is a finding here."""
    operations = getattr(engine, "decimal_operations", None)
    typed = operations(sql) if callable(operations) else ()
    if not typed:
        return []
    try:
        engine.execute(sql)
    except EngineError as exc:
        finding = classify(exc.message)
        if finding.code == DECIMAL_OVERFLOW:
            types = "; ".join(f"{expression} is {data_type}" for expression, data_type in typed)
            message = f"a decimal result does not fit its Databricks type ({types}): {exc.message}"
            return [Finding(DECIMAL_OVERFLOW, finding.field, message, finding.hint)]
    return []


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
