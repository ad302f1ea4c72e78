"""Pure helpers for the engines that run on Databricks itself (the SQL warehouse and Spark); no I/O here.

* :func:`named_markers` — the Statement Execution API takes named ``:name`` markers, the port positional ``?``.
  The ``?`` are found with sqlglot's tokenizer, so a ``?`` inside a string, a quoted name or a comment stays
  as it is, and the rest of the text is sent exactly as written.
* :func:`delta_table_sql` — lakealerts' ``CREATE TABLE`` made a Unity Catalog Delta table: the primary key
  becomes the named constraint ``pk_<table>`` (informational on Databricks), ``USING DELTA``, change data feed.
  The store keeps writing one DDL for every engine; these engines add what only Delta has.
* :func:`batched` — the port promises that ``execute_many`` writes all rows or none. Neither engine has
  transactions across statements, but one statement is atomic on Delta: an ``INSERT … VALUES (…)`` or a
  ``MERGE … USING (SELECT ? AS …)`` run for many rows becomes one statement with all of them.
* :func:`plan_error` — Spark's ``EXPLAIN`` does not fail for a query that does not analyse: it answers with
  rows that start "Error occurred during query planning". Those rows are a failure too.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import sqlglot
from sqlglot import Token, TokenType, exp
from sqlglot.errors import SqlglotError

from lakealerts.errors import EngineError

DIALECT = "databricks"
CHANGE_DATA_FEED = "delta.enableChangeDataFeed"
#: Rows per batched statement: keeps the SQL (and sqlglot's recursion over a UNION ALL chain) modest.
MAX_ROWS = 200
PLAN_ERROR_MARKERS = ("Error occurred during query planning", "org.apache.spark.sql.AnalysisException")
_MISSING_TABLE = re.compile(
    r"TABLE_OR_VIEW_NOT_FOUND|SCHEMA_NOT_FOUND|CATALOG_NOT_FOUND|NO_SUCH_CATALOG|"
    r"Table with name .* does not exist|(Schema|Catalog) with name .* does not exist",
    re.I | re.S,
)


def _tokens(sql: str) -> list[Token]:
    try:
        return list(sqlglot.tokenize(sql, read=DIALECT))
    except SqlglotError as exc:
        raise EngineError(f"cannot tokenize Databricks SQL: {exc}") from exc


def count_placeholders(sql: str) -> int:
    """How many positional ``?`` markers ``sql`` holds (strings, quoted names and comments excluded)."""
    return sum(1 for token in _tokens(sql) if token.token_type is TokenType.PLACEHOLDER and token.text == "?")


def named_markers(sql: str) -> tuple[str, list[str]]:
    """``sql`` with its ``?`` markers replaced by ``:p1``, ``:p2`` … in text order, and those names.

    Only the markers' characters change. A statement that already uses one of these names as a named
    marker is refused rather than bound ambiguously.
    """
    tokens = _tokens(sql)
    spans = [(t.start, t.end) for t in tokens if t.token_type is TokenType.PLACEHOLDER and t.text == "?"]
    names = [f"p{index}" for index in range(1, len(spans) + 1)]
    taken = {
        following.text
        for token, following in itertools.pairwise(tokens)
        if token.token_type is TokenType.COLON and following.start == token.end + 1
    }
    clash = sorted(taken & set(names))
    if clash:
        raise EngineError(
            f"the statement uses :{clash[0]} and positional ? markers together",
            hint="use positional ? markers only",
        )
    pieces, last = [], 0
    for (start, end), name in zip(spans, names, strict=True):
        pieces += [sql[last:start], f":{name}"]
        last = end + 1
    pieces.append(sql[last:])
    return "".join(pieces), names


def without_trailing_semicolon(sql: str) -> str:
    """``sql`` without a final ``;`` (and what follows it), so it can be wrapped as a subquery."""
    tokens = _tokens(sql)
    if tokens and tokens[-1].token_type is TokenType.SEMICOLON:
        return sql[: tokens[-1].start].rstrip()
    return sql


def zero_row_probe(sql: str) -> str:
    """A query with the output columns of ``sql`` and no rows; only planned, never scanned."""
    return f"SELECT * FROM (\n{without_trailing_semicolon(sql)}\n) AS lakealerts_probe LIMIT 0"


def is_missing_table(message: str) -> bool:
    """True when an engine message says that a table, schema or catalog does not exist."""
    return bool(_MISSING_TABLE.search(message))


def plan_error(plan: str) -> str | None:
    """The error text of an ``EXPLAIN`` answer that reports a failure instead of a plan, else None."""
    return plan.strip() if any(marker in plan for marker in PLAN_ERROR_MARKERS) else None


# --- Delta DDL ---------------------------------------------------------------------------------------------


def delta_table_sql(sql: str) -> str:
    """A ``CREATE TABLE`` as a Unity Catalog Delta table (named primary key, CDF); other statements as given."""
    if not _starts_with(sql, TokenType.CREATE):
        return sql
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except SqlglotError:
        return sql  # not ours to fix: the engine reports the syntax error in its own words
    if not (isinstance(tree, exp.Create) and tree.kind == "TABLE" and isinstance(tree.this, exp.Schema)):
        return sql
    table = tree.this.this.name
    _name_primary_key(tree.this, f"pk_{table}")
    _add_delta_properties(tree)
    return tree.sql(dialect=DIALECT)


def _starts_with(sql: str, token_type: TokenType) -> bool:
    tokens = _tokens(sql)
    return bool(tokens) and tokens[0].token_type is token_type


def _name_primary_key(schema: exp.Schema, name: str) -> None:
    """An unnamed ``PRIMARY KEY (…)`` becomes ``CONSTRAINT <name> PRIMARY KEY (…)``."""
    for index, element in enumerate(schema.expressions):
        if isinstance(element, exp.PrimaryKey):
            constraint = exp.Constraint(this=exp.to_identifier(name, quoted=True), expressions=[element.copy()])
            schema.expressions[index] = constraint
            constraint.parent = schema


def _add_delta_properties(tree: exp.Create) -> None:
    """``USING DELTA`` and ``TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true')`` unless already there."""
    properties = tree.args.get("properties") or exp.Properties(expressions=[])
    existing = properties.expressions
    if not any(isinstance(p, exp.FileFormatProperty) for p in existing):
        existing.append(exp.FileFormatProperty(this=exp.Var(this="DELTA")))
    if not any(type(p) is exp.Property and p.name == CHANGE_DATA_FEED for p in existing):
        existing.append(exp.Property(this=exp.Literal.string(CHANGE_DATA_FEED), value=exp.Literal.string("true")))
    tree.set("properties", exp.Properties(expressions=existing))


# --- one statement for many rows ---------------------------------------------------------------------------


def batched(
    sql: str, rows: Sequence[Sequence[Any]], max_parameters: int | None = None, max_rows: int = MAX_ROWS
) -> list[tuple[str, list[Any]]] | None:
    """``(statement, parameters)`` pairs that write ``rows`` in as few statements as possible, or None.

    None means the statement has no shape this knows how to repeat (then each row runs on its own). A
    statement carries at most ``max_rows`` rows and ``max_parameters`` values, so a very large batch is split
    (and is then atomic per statement only).
    """
    per_row = count_placeholders(sql)
    for row in rows:
        if len(row) != per_row:
            raise EngineError(f"a row has {len(row)} values for {per_row} parameter markers")
    if not rows or per_row == 0:
        return None
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except SqlglotError:
        return None
    size = min(max_rows, max(1, max_parameters // per_row) if max_parameters else max_rows)
    statements = []
    for first in range(0, len(rows), size):
        chunk = rows[first : first + size]
        repeated = _repeat(tree, len(chunk))
        if repeated is None:
            return None
        statements.append((repeated, [value for row in chunk for value in row]))
    return statements


def _repeat(tree: exp.Expr, count: int) -> str | None:
    """The statement with its one row of ``?`` repeated ``count`` times, or None for other shapes."""
    copy = tree.copy()
    if isinstance(copy, exp.Insert) and isinstance(copy.expression, exp.Values):
        values = copy.expression
        if len(values.expressions) != 1:
            return None
        row = values.expressions[0]
        values.set("expressions", [row.copy() for _ in range(count)])
        return copy.sql(dialect=DIALECT)
    if isinstance(copy, exp.Merge):
        source = copy.args.get("using")
        if not isinstance(source, exp.Subquery):
            return None
        select = source.this
        if not isinstance(select, exp.Select) or select.args.get("from_") or select.args.get("from"):
            return None
        union: exp.Query = select
        for _ in range(count - 1):  # built in place: exp.union() would copy the growing chain each time
            union = exp.Union(this=union, expression=select.copy(), distinct=False)
        source.set("this", union)
        return copy.sql(dialect=DIALECT)
    return None
