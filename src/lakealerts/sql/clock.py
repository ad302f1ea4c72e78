"""Pinning the clock of rule SQL: ``eval --at`` evaluates as of an instant (DESIGN §4).

The clock functions (CURRENT_DATE, CURRENT_TIMESTAMP, NOW, LOCALTIMESTAMP; UNIX_TIMESTAMP() reads CURRENT_TIMESTAMP) are
replaced in the sqlglot tree by literals of that instant in UTC — the zone rule SQL is evaluated in.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlglot
from sqlglot import exp

from lakealerts.sql.readonly import DIALECT


def pin_clock(sql: str, at: datetime) -> str:
    """``sql`` (Databricks SQL) with every clock function replaced by ``at``'s UTC date or timestamp."""
    moment = at.astimezone(UTC)
    date_literal = exp.cast(exp.Literal.string(moment.date().isoformat()), exp.DataType.build("DATE"))
    stamp = moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    timestamp_literal = exp.cast(exp.Literal.string(stamp), exp.DataType.build("TIMESTAMP"))

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.CurrentDate):
            return date_literal.copy()
        if isinstance(node, exp.CurrentTimestamp | exp.Localtimestamp):
            return timestamp_literal.copy()
        return node

    tree = sqlglot.parse_one(sql, read=DIALECT)
    return tree.transform(replace).sql(dialect=DIALECT)
