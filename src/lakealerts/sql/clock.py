"""Pinning the clock of rule SQL: ``eval --at`` evaluates as of an instant (DESIGN §4).

The clock functions (CURRENT_DATE, CURRENT_TIMESTAMP, NOW, LOCALTIMESTAMP; UNIX_TIMESTAMP() reads CURRENT_TIMESTAMP) are
replaced in the sqlglot tree by literals of that instant in UTC — the zone rule SQL is evaluated in.

A rule is pinned once per evaluation: by the scheduler every round, by ``test`` and ``backtest`` at every instant.
Only the literals change between instants, so the tree is parsed and generated once per SQL text, with a token
where each literal goes, and each instant is a string substitution.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlglot
from sqlglot import exp

from lakealerts.sql.readonly import DIALECT

_DATE_TOKEN = "lakealerts_pinned_date_4f1c"
_STAMP_TOKEN = "lakealerts_pinned_timestamp_4f1c"
_CACHE_SIZE = 2048


@dataclass(frozen=True)
class _Tokenised:
    """A rule's SQL generated once with a token where each pinned literal goes."""

    text: str
    own_parameters: bool  # the SQL has parameter markers of its own ($1, ?, :name): never bound by us


_TOKENISED: dict[str, _Tokenised] = {}


def pin_clock(sql: str, at: datetime) -> str:
    """``sql`` (Databricks SQL) with every clock function replaced by ``at``'s UTC date or timestamp."""
    date_text, stamp_text = _literals(at)
    return _tokenised(sql).text.replace(_DATE_TOKEN, date_text).replace(_STAMP_TOKEN, stamp_text)


def pin_clock_as_parameters(sql: str, at: datetime) -> tuple[str, list[str]] | None:
    """``sql`` pinned to ``at`` with the pinned values as numbered parameters (``$1``, ``$2``) and the values to
    bind: the text is the same for every instant, so an engine translates it once. The same query as
    :func:`pin_clock`'s (each literal becomes a parameter bound to the same text). None when the SQL has parameter
    markers of its own: binding ours beside them could give a stray ``$1`` a value it must not have."""
    tokenised = _tokenised(sql)
    if tokenised.own_parameters:
        return None
    text, values = tokenised.text, []
    for token, value in zip((_DATE_TOKEN, _STAMP_TOKEN), _literals(at), strict=True):
        quoted = f"'{token}'"
        if quoted in text:
            values.append(value)
            text = text.replace(quoted, f"${len(values)}")
    return text, values


def _literals(at: datetime) -> tuple[str, str]:
    moment = at.astimezone(UTC)
    return moment.date().isoformat(), moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _tokenised(sql: str) -> _Tokenised:
    found = _TOKENISED.get(sql)
    if found is None:
        if len(_TOKENISED) >= _CACHE_SIZE:
            _TOKENISED.clear()
        found = _TOKENISED[sql] = _tokenise(sql)
    return found


def _tokenise(sql: str) -> _Tokenised:
    """``sql`` generated once with each clock function as a cast of a token. The tokens must occur nowhere else
    (a rule naming one, however escaped, would make the text ambiguous), so the generated text must hold exactly
    one token per clock function replaced, else the rule is refused."""
    date_literal = exp.cast(exp.Literal.string(_DATE_TOKEN), exp.DataType.build("DATE"))
    timestamp_literal = exp.cast(exp.Literal.string(_STAMP_TOKEN), exp.DataType.build("TIMESTAMP"))
    replaced = {_DATE_TOKEN: 0, _STAMP_TOKEN: 0}

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.CurrentDate):
            replaced[_DATE_TOKEN] += 1
            return date_literal.copy()
        if isinstance(node, exp.CurrentTimestamp | exp.Localtimestamp):
            replaced[_STAMP_TOKEN] += 1
            return timestamp_literal.copy()
        return node

    tree = sqlglot.parse_one(sql, read=DIALECT)
    own_parameters = tree.find(exp.Placeholder, exp.Parameter) is not None
    text = tree.transform(replace).sql(dialect=DIALECT)
    if any(text.count(token) != count for token, count in replaced.items()):
        raise ValueError("the rule's SQL holds a name lakealerts reserves for pinning the clock")
    return _Tokenised(text, own_parameters)
