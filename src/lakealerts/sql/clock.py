"""Pinning the clock of rule SQL: ``eval --at`` evaluates as of an instant (DESIGN §4).

The clock functions (CURRENT_DATE, CURRENT_TIMESTAMP, NOW, LOCALTIMESTAMP; UNIX_TIMESTAMP() reads CURRENT_TIMESTAMP) are
replaced in the sqlglot tree by literals of that instant in UTC — the zone rule SQL is evaluated in.

A rule is pinned once per evaluation: by the scheduler every round, by ``test`` and ``backtest`` at every instant.
Only the literals change between instants, so the tree is parsed and generated once per SQL text, with a token
where each literal goes, and each instant is a string substitution.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import sqlglot
from sqlglot import exp

from lakealerts.sql.readonly import DIALECT

_DATE_TOKEN = "lakealerts_pinned_date_4f1c"
_STAMP_TOKEN = "lakealerts_pinned_timestamp_4f1c"
_CACHE_SIZE = 2048
_TOKENISED: dict[str, str] = {}
# The text pin_clock writes for a pinned literal; sqlglot writes every one in this exact form.
PINNED_LITERAL = re.compile(r"CAST\('(\d{4}-\d{2}-\d{2}(?: \d{2}:\d{2}:\d{2}\.\d{6})?)' AS (DATE|TIMESTAMP)\)")


def pin_clock(sql: str, at: datetime) -> str:
    """``sql`` (Databricks SQL) with every clock function replaced by ``at``'s UTC date or timestamp."""
    moment = at.astimezone(UTC)
    stamp = moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return _tokenised(sql).replace(_DATE_TOKEN, moment.date().isoformat()).replace(_STAMP_TOKEN, stamp)


def _tokenised(sql: str) -> str:
    text = _TOKENISED.get(sql)
    if text is None:
        if len(_TOKENISED) >= _CACHE_SIZE:
            _TOKENISED.clear()
        text = _TOKENISED[sql] = _tokenise(sql)
    return text


def _tokenise(sql: str) -> str:
    """``sql`` generated once with each clock function as a cast of a token (the tokens occur nowhere else:
    a string literal of the rule holding one would make the text ambiguous, so that rule is refused)."""
    if _DATE_TOKEN in sql or _STAMP_TOKEN in sql:
        raise ValueError("the rule's SQL holds a name lakealerts reserves for pinning the clock")
    date_literal = exp.cast(exp.Literal.string(_DATE_TOKEN), exp.DataType.build("DATE"))
    timestamp_literal = exp.cast(exp.Literal.string(_STAMP_TOKEN), exp.DataType.build("TIMESTAMP"))

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.CurrentDate):
            return date_literal.copy()
        if isinstance(node, exp.CurrentTimestamp | exp.Localtimestamp):
            return timestamp_literal.copy()
        return node

    tree = sqlglot.parse_one(sql, read=DIALECT)
    return tree.transform(replace).sql(dialect=DIALECT)


def as_parameters(sql: str) -> tuple[str, list[str]]:
    """``sql`` with each pinned literal (:data:`PINNED_LITERAL`) as a numbered parameter (``$1``, …) and the
    values to bind, so that one instant's text equals every other's and its translation is made once.

    A literal becomes a parameter bound to the same text: the query means the same whatever else matched.
    """
    values: list[str] = []

    def parameter(match: re.Match[str]) -> str:
        value = match.group(1)
        if value not in values:
            values.append(value)
        return f"CAST(${values.index(value) + 1} AS {match.group(2)})"

    return PINNED_LITERAL.sub(parameter, sql), values
