"""The vectorised backtest query (DESIGN §12): every instant in one statement. Pure (sqlglot only).

The rule's clock functions become columns of an instants relation — ``CURRENT_DATE()`` its date,
``CURRENT_TIMESTAMP()``/``NOW()`` its timestamp, in UTC exactly as :func:`lakealerts.sql.clock.pin_clock` writes
them — and the rule's query runs once per instant as a LATERAL subquery::

    SELECT i.ts AS __lakealerts_instant, q.*
    FROM (SELECT CAST(s AS TIMESTAMP) AS ts, CAST(CAST(s AS TIMESTAMP) AS DATE) AS d
          FROM (SELECT explode(split(?, ',')) AS s)) AS i,      -- (the real names are prefixed __lakealerts_)
         LATERAL (<rule SQL>) AS q

The instants travel as one text parameter, so the statement is the same for any set of instants: it is parsed
and translated once per rule, not once per instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlglot
from sqlglot import exp

from lakealerts.sql.readonly import DIALECT

INSTANT_COLUMN = "__lakealerts_instant"
ROW_COLUMN = "__lakealerts_row"  # the row's place in the query's own ORDER BY, within its instant
_RELATION = "__lakealerts_instants"
# Names no rule's column has: an unqualified name the rule's own tables lack must fail as it does per instant,
# not bind to the instants relation.
_STAMP, _DAY = "__lakealerts_ts", "__lakealerts_date"
# Functions whose value differs between two runs of one query: one statement for all instants would share them.
_VOLATILE = (exp.Rand, exp.Randn, exp.Uuid)
_VOLATILE_NAMES = frozenset({"rand", "random", "randn", "uuid", "shuffle"})


def shape_problem(sql: str) -> str | None:
    """Why ``sql`` cannot be evaluated for all instants at once (None: it can)."""
    try:
        tree = sqlglot.parse_one(sql, read=DIALECT)
    except sqlglot.errors.ParseError as error:
        return f"the query does not parse: {error}"
    if not isinstance(tree, exp.Query):
        return "the rule's SQL is not a query"
    for node in tree.walk():
        if isinstance(node, _VOLATILE) or (
            isinstance(node, exp.Anonymous) and str(node.this).lower() in _VOLATILE_NAMES
        ):
            return "the query calls a non-deterministic function (rand, uuid): each instant must run on its own"
    return None


def lateral_sql(sql: str, instants: Sequence[datetime]) -> tuple[str, list[str], bool]:
    """One Databricks SQL statement giving the rule's result at every instant, each row tagged with its instant
    (:data:`INSTANT_COLUMN`, a TIMESTAMP); its one parameter (the instants as text, so the statement — and its
    translation — is the same whatever the instants); and whether the rows of each instant keep the query's own
    order (a top-level ORDER BY becomes :data:`ROW_COLUMN`, ``ROW_NUMBER()`` over the same keys, the last column)."""
    tree = sqlglot.parse_one(sql, read=DIALECT)
    stamp = exp.column(_STAMP, table=_RELATION)
    day = exp.column(_DAY, table=_RELATION)

    def replace(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.CurrentDate):
            return day.copy()
        if isinstance(node, exp.CurrentTimestamp | exp.Localtimestamp):
            return stamp.copy()
        return node

    pinned = tree.transform(replace)
    ordered = _number_rows(pinned)
    order = f"{INSTANT_COLUMN}, __lakealerts_result.{ROW_COLUMN}" if ordered else INSTANT_COLUMN
    relation = (
        f"SELECT CAST(__lakealerts_s AS TIMESTAMP) AS {_STAMP}, CAST(CAST(__lakealerts_s AS TIMESTAMP) AS DATE) "
        f"AS {_DAY} FROM (SELECT explode(split(?, ',')) AS __lakealerts_s) AS __lakealerts_text"
    )
    statement = (
        f"SELECT {_RELATION}.{_STAMP} AS {INSTANT_COLUMN}, __lakealerts_result.* FROM ({relation}) AS {_RELATION}, "
        f"LATERAL ({pinned.sql(dialect=DIALECT)}) AS __lakealerts_result ORDER BY {order}"
    )
    return statement, [",".join(_text(moment) for moment in instants)], ordered


def _number_rows(tree: exp.Expr) -> bool:
    """Add ``ROW_NUMBER() OVER (ORDER BY <the query's ORDER BY keys>)`` to a plain SELECT with an ORDER BY (aliases
    and positions resolved to their expressions); False when there is no order to keep or it cannot be kept."""
    order = tree.args.get("order")
    if not isinstance(tree, exp.Select) or order is None or tree.args.get("distinct"):
        return False
    projections = list(tree.expressions)
    aliases = {p.alias: p.this for p in projections if isinstance(p, exp.Alias)}
    keys = []
    for key in order.expressions:
        ordered = key.copy()
        target = ordered.this
        if isinstance(target, exp.Column) and not target.table and target.name in aliases:
            ordered.set("this", aliases[target.name].copy())
        elif isinstance(target, exp.Literal) and target.is_int:
            position = int(target.this)
            if not 1 <= position <= len(projections):
                return False
            chosen = projections[position - 1]
            ordered.set("this", (chosen.this if isinstance(chosen, exp.Alias) else chosen).copy())
        keys.append(ordered)
    window = exp.Window(this=exp.RowNumber(), order=exp.Order(expressions=keys))
    tree.select(exp.alias_(window, ROW_COLUMN), copy=False)
    return True


def _text(moment: datetime) -> str:
    """The instant as :func:`lakealerts.sql.clock.pin_clock` writes it: UTC, microseconds."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
