"""The read-only guard: alert SQL must be exactly one query with no write, DDL or session command anywhere.

The whole tree is inspected, not only the root, so ``WITH a AS (DELETE … RETURNING *) SELECT …`` fails too.
Comments and string literals cannot hide a second statement because the SQL is tokenised, not split on ``;``.
"""

from __future__ import annotations

import logging
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from lakealerts.findings import Finding

# sqlglot logs a warning whenever it falls back to a raw Command (CALL, OPTIMIZE, VACUUM…); we report those
# as findings ourselves.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

DIALECT = "databricks"

_FORBIDDEN_NAMES = (
    "DML", "DDL", "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterTable", "TruncateTable",
    "Command", "Set", "Use", "Grant", "Revoke", "Refresh", "Cache", "Uncache", "Copy", "LoadData", "Pragma",
    "Transaction", "Commit", "Rollback", "Describe", "Analyze",
)  # fmt: skip
# Looked up by name because the set of statement classes varies between sqlglot versions.
_FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = tuple(
    node
    for name in _FORBIDDEN_NAMES
    if isinstance(node := getattr(exp, name, None), type) and issubclass(node, exp.Expr)
)
# Spark functions that call into the JVM: a read-only query must not run arbitrary code.
_FORBIDDEN_FUNCTIONS = frozenset({"REFLECT", "JAVA_METHOD", "TRY_REFLECT"})


def parse_query(sql: str, field: str = "alert_query_template") -> tuple[exp.Query | None, list[Finding]]:
    """Parse ``sql`` as one read-only Databricks query: the tree, or None and the findings that say why."""
    try:
        return _parse_query(sql, field)
    except RecursionError:  # hundreds of nested parentheses: a finding, never a crashed round
        return None, [
            Finding(
                "SQL_PARSE_ERROR",
                field,
                "the query is nested too deeply to parse",
                "flatten the nesting, e.g. with common table expressions (WITH … AS)",
            )
        ]


def _parse_query(sql: str, field: str) -> tuple[exp.Query | None, list[Finding]]:
    try:
        statements = [statement for statement in sqlglot.parse(sql, read=DIALECT) if statement is not None]
    except (ParseError, TokenError) as exc:
        return None, [_parse_finding(exc, field)]
    if not statements:
        return None, [Finding("SQL_EMPTY", field, "the query is empty", "write one SELECT statement")]
    if len(statements) > 1:
        return None, [
            Finding(
                "SQL_MULTIPLE_STATEMENTS",
                field,
                f"the SQL holds {len(statements)} statements",
                "an alert runs exactly one SELECT: remove everything after the first statement",
            )
        ]
    statement = statements[0]
    forbidden = _first_forbidden(statement)
    if forbidden is not None:
        return None, [forbidden_finding(forbidden, field)]
    if not isinstance(statement, exp.Query):
        return None, [
            Finding(
                "SQL_NOT_A_QUERY",
                field,
                f"the statement is a {statement.key.upper()}, not a query",
                "an alert runs a SELECT (optionally with WITH … / UNION …)",
            )
        ]
    return statement, []


def check_read_only(sql: str, field: str = "alert_query_template") -> list[Finding]:
    """Findings that stop ``sql`` from running as an alert query; empty when it is one read-only query."""
    return parse_query(sql, field)[1]


def _first_forbidden(statement: exp.Expr) -> exp.Expr | None:
    for node in statement.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            return node
        if isinstance(node, exp.Anonymous) and node.name.upper() in _FORBIDDEN_FUNCTIONS:
            return node
    return None


def forbidden_finding(node: exp.Expr, field: str) -> Finding:
    """SQL_NOT_READ_ONLY naming the statement kind found (e.g. DELETE inside a CTE)."""
    if isinstance(node, exp.Command):
        kind = str(node.this).upper()
    elif isinstance(node, exp.Anonymous):
        kind = f"function {node.name.upper()}"
    else:
        kind = node.key.upper()
    return Finding(
        "SQL_NOT_READ_ONLY",
        field,
        f"the query contains {kind}; alert SQL must be read-only",
        "remove every write, DDL, GRANT, SET/USE or CALL: an alert may only SELECT",
    )


def _parse_finding(exc: ParseError | TokenError, field: str) -> Finding:
    detail = exc.errors[0] if isinstance(exc, ParseError) and exc.errors else {}
    description = readable_parse_error(str(detail.get("description") or str(exc).splitlines()[0]))
    return Finding(
        "SQL_PARSE_ERROR",
        field,
        f"the SQL does not parse as Databricks SQL: {description}",
        "fix the syntax near the reported line and column",
        line=detail.get("line"),
        col=detail.get("col"),
    )


_MISSING_PART = re.compile(r"Required keyword: '(\w+)' missing for <class '[\w.]+\.(\w+)'>")
_CLASS_REPR = re.compile(r"<class '[\w.]+\.(\w+)'>")
_SPELLING = {"EQ": "=", "NEQ": "<>", "GT": ">", "GTE": ">=", "LT": "<", "LTE": "<=", "NullSafeEQ": "<=>",
             "And": "AND", "Or": "OR", "Not": "NOT", "Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "Mod": "%",
             "Like": "LIKE", "ILike": "ILIKE", "In": "IN", "Is": "IS", "Between": "BETWEEN", "If": "WHEN … THEN",
             "Alias": "AS", "Cast": "CAST", "Case": "CASE"}  # fmt: skip
_PARTS = {"this": "left-hand side", "expression": "right-hand side"}
_IF_PARTS = {"this": "condition", "true": "result"}


def readable_parse_error(description: str) -> str:
    """sqlglot's description in the user's words: ``Required keyword: 'expression' missing for <class
    'sqlglot.expressions.core.EQ'>`` becomes ``'=' is missing its right-hand side``; no class name is shown."""
    missing = _MISSING_PART.search(description)
    if missing:
        part, node = missing.groups()
        parts = _IF_PARTS if node == "If" else _PARTS
        spelled = _SPELLING.get(node, node.upper())
        return f"{spelled!r} is missing its {parts.get(part, part)}"
    return _CLASS_REPR.sub(lambda match: _SPELLING.get(match[1], match[1].upper()), description)
