"""Databricks SQL -> DuckDB SQL, one statement at a time (pure; no I/O).

sqlglot does the dialect translation (``read="databricks", write="duckdb"``). On top of it this module

* rewrites catalog names that DuckDB reserves for its own databases (``main``, ``system``, ``temp`` and
  ``memory``, the name of the in-memory database every connection starts with). The DuckDB engine attaches
  such a catalog under an alias (``lakealerts_main``) and every table or column reference whose catalog is
  ``main`` (any case, quoted or not) is pointed at the alias, so users can keep saying ``main``;
* fixes the places where sqlglot's output runs on DuckDB 2.x but means something else than on Databricks,
  or does not run at all. Each fix is one small tree transform, listed in ``_FIXES`` and tested on a real
  DuckDB (``tests/integration/test_duckdb_engine.py``):

  ==========================  =====================================  =======================================
  Databricks                  sqlglot's DuckDB output                fixed to
  ==========================  =====================================  =======================================
  ``percentile(x, p)``        ``QUANTILE(x, p)`` (discrete)          ``QUANTILE_CONT(x, p)`` (interpolates)
  ``date_add/date_sub(d, n)`` ``d + INTERVAL n DAY`` (a TIMESTAMP)   ``CAST(d AS DATE) + n`` (a DATE)
  ``trunc(d, 'MM')``          ``DATE_TRUNC('MM', d)`` (fails)        ``CAST(DATE_TRUNC('MONTH', d) AS DATE)``
  ``unix_timestamp([x])``     ``EPOCH(STRPTIME(x, ..))`` (fails on   ``CAST(FLOOR(EPOCH(CAST(x AS
                              timestamps)                            TIMESTAMPTZ))) AS BIGINT)``
  ``from_json(s, 'a INT')``   ``FROM_JSON(s, 'a INT')`` (fails: not  ``TRY(FROM_JSON(s, '"STRUCT(a INT)"'))``
                              a DuckDB JSON structure)               (malformed JSON gives NULL)
  ``dayofweek(d)``            ``DAYOFWEEK(d)`` (0 = Sunday)          ``DAYOFWEEK(d) + 1`` (1 = Sunday)
  ``weekday(d)``              ``WEEKDAY(d)`` (0 = Sunday)            ``ISODOW(d) - 1`` (0 = Monday)
  ``timestamp_seconds(n)``    ``TIMESTAMP_SECONDS(n)`` (no such fn)  ``TO_TIMESTAMP(n)``
  ``timestampdiff(u, a, b)``, ``DATE_DIFF('u', a, b)`` (counts unit  ``DATE_SUB('u', a, b)`` (whole units
  ``datediff(u, a, b)`` for   boundaries: 10:59 -> 11:01 is 1 hour)  elapsed, as on Databricks)
  units other than DAY
  ``map_contains_key(m, k)``  ``ARRAY_CONTAINS(MAP_KEYS(k), m)``     ``MAP_CONTAINS(m, k)``
                              (arguments swapped: fails)
  ``USING DELTA``, other      sqlglot warns and drops them           dropped quietly
  Delta table properties,
  ``COMMENT`` on tables and
  columns
  ==========================  =====================================  =======================================

Decimal arithmetic follows Databricks (:mod:`lakealerts.sql.decimal_typing`, :mod:`lakealerts.sql.decimal_sql`)
when the engine gives the column types of the tables read (:func:`typed_tables` says which it needs).

Translations are cached: alert SQL is evaluated again and again (every minute in ``serve``, every instant of a
backtest, every step of an alert test), and sqlglot parsing is the expensive part. The cache is a bounded LRU
(:data:`CACHE_SIZE` statements) keyed by the SQL text and the dialect options — the catalog aliases and the
column types the decimal rules use — so one text translates once per process and a changed option never reuses
a stale translation; :func:`cache_info` says how it fares.

What needs no sqlglot (:class:`Translation`, the catalog names) lives in :mod:`lakealerts.sql.translation` and
is re-exported here; the DuckDB engine runs the store's plain reads without this module
(:mod:`lakealerts.sql.plain`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakealerts.errors import EngineError
from lakealerts.sql.decimal_sql import fix_bare_decimal, rewrite
from lakealerts.sql.decimal_typing import described, has_arithmetic, has_decimals, plan, referenced_tables
from lakealerts.sql.decimals import ColumnTypes
from lakealerts.sql.translation import (
    RESERVED_CATALOGS,
    Translation,
    catalog_aliases,
    duckdb_catalog_name,
)

__all__ = [
    "CACHE_SIZE",
    "RESERVED_CATALOGS",
    "Translation",
    "cache_info",
    "catalog_aliases",
    "duckdb_catalog_name",
    "to_duckdb",
    "translate",
    "typed_tables",
]

#: Statements kept translated (and parsed) per process, least recently used dropped first.
CACHE_SIZE = 2048


def to_duckdb(sql: str, catalog_aliases: Mapping[str, str]) -> str:
    """Translate one Databricks SQL statement to DuckDB SQL, pointing aliased catalogs at their alias.

    ``catalog_aliases`` maps a user catalog name (matched case-insensitively) to the name DuckDB knows it by.
    Raises :class:`EngineError` if the text does not parse or holds zero or several statements.
    """
    return translate(sql, catalog_aliases).sql


def translate(sql: str, catalog_aliases: Mapping[str, str], column_types: ColumnTypes | None = None) -> Translation:
    """Like :func:`to_duckdb`, and also count the ``?`` placeholders (EXPLAIN/DESCRIBE must bind them).

    With ``column_types`` (the tables :func:`typed_tables` names, described by the engine) decimal arithmetic
    is computed in Databricks' types; without them DuckDB's own rules apply.
    """
    return _translate_cached(sql, _frozen(catalog_aliases), column_types)


def typed_tables(sql: str, catalog_aliases: Mapping[str, str]) -> tuple[tuple[str, str, str], ...] | None:
    """The tables (catalog, schema, table as written, ``""`` when left out; catalogs already aliased) whose
    column types :func:`translate` needs, or None when the statement has no arithmetic to type."""
    return _typed_tables_cached(sql, _frozen(catalog_aliases))


def cache_info() -> tuple[int, int, int]:
    """``(hits, misses, statements held)`` of the translation cache (:func:`translate`)."""
    info = _translate_cached.cache_info()
    return info.hits, info.misses, info.currsize


def _frozen(catalog_aliases: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((name.lower(), alias) for name, alias in catalog_aliases.items()))


@lru_cache(maxsize=CACHE_SIZE)
def _typed_tables_cached(sql: str, aliases: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str, str], ...] | None:
    tree = _rewrite_catalogs(_parsed(sql).copy(), dict(aliases))
    return referenced_tables(tree) if has_arithmetic(tree) else None


@lru_cache(maxsize=CACHE_SIZE)
def _translate_cached(sql: str, aliases: tuple[tuple[str, str], ...], column_types: ColumnTypes | None) -> Translation:
    tree = fix_bare_decimal(_rewrite_catalogs(_parsed(sql).copy(), dict(aliases)))
    typed = column_types is not None and has_arithmetic(tree) and has_decimals(tree, column_types)
    ops = plan(tree, column_types) if typed and column_types is not None else {}
    decimals = described(tree, ops)
    tree = rewrite(tree, ops) if ops else tree
    for fix in _FIXES:
        tree = fix(tree)
    placeholders = sum(1 for node in tree.find_all(exp.Placeholder) if not node.this)
    changes_tables = isinstance(tree, exp.Create | exp.Drop | exp.Alter | exp.Command)
    try:
        return Translation(tree.sql(dialect="duckdb"), placeholders, decimals, changes_tables)
    except SqlglotError as exc:
        raise EngineError(f"cannot translate to DuckDB SQL: {exc}") from exc


@lru_cache(maxsize=CACHE_SIZE)
def _parsed(sql: str) -> exp.Expr:
    """The parsed statement, shared: callers copy it before changing it."""
    return _parse_one(sql)


def _parse_one(sql: str) -> exp.Expr:
    """Parse exactly one Databricks statement (a trailing ``;`` is fine, a second statement is not)."""
    try:
        statements = [tree for tree in sqlglot.parse(sql, read="databricks") if tree is not None]
    except SqlglotError as exc:
        raise EngineError(f"cannot parse Databricks SQL: {exc}") from exc
    if not statements:
        raise EngineError("empty SQL statement", hint="pass one SQL statement")
    if len(statements) > 1:
        raise EngineError(
            f"expected one SQL statement, got {len(statements)}",
            hint="run the statements one at a time",
        )
    return statements[0]


def _replace_all(tree: exp.Expr, kind: type[exp.Expr], rewrite: Callable[[exp.Expr], exp.Expr]) -> exp.Expr:
    """Apply ``rewrite`` to every ``kind`` node, innermost first, so nested calls are all rewritten.

    (``Expression.transform`` does not descend into a node it has just replaced.)
    """
    for node in reversed(list(tree.find_all(kind))):
        new = rewrite(node)
        if new is node:
            continue
        if node is tree:
            tree = new
        else:
            node.replace(new)
    return tree


# --- catalog aliases -------------------------------------------------------------------------------------


def _rewrite_catalogs(tree: exp.Expr, aliases: Mapping[str, str]) -> exp.Expr:
    """Point ``main.gold.t`` (and ``main.gold.t.col``) at the alias the catalog is attached under."""
    if not aliases:
        return tree
    for node in tree.find_all(exp.Table, exp.Column):
        catalog = node.args.get("catalog")
        if isinstance(catalog, exp.Identifier) and catalog.name.lower() in aliases:
            node.set("catalog", exp.to_identifier(aliases[catalog.name.lower()], quoted=True))
    return tree


# --- dialect fixes ---------------------------------------------------------------------------------------


def _call(name: str, *args: exp.Expr) -> exp.Expr:
    """A function call emitted verbatim (sqlglot does not reinterpret anonymous functions)."""
    return exp.Anonymous(this=name, expressions=list(args))


def _fix_percentile(tree: exp.Expr) -> exp.Expr:
    """Databricks ``percentile`` interpolates like ``percentile_cont``; DuckDB's ``QUANTILE`` is discrete."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        return _call("QUANTILE_CONT", node.this, node.args["quantile"])

    return _replace_all(tree, exp.Quantile, rewrite)


def _fix_date_add(tree: exp.Expr) -> exp.Expr:
    """``date_add``/``date_sub`` return a DATE on Databricks; DATE + INTERVAL is a TIMESTAMP on DuckDB."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        unit = node.args.get("unit")
        if unit is not None and unit.name.upper() != "DAY":
            return node
        date = exp.cast(node.this, exp.DataType.build("DATE"))
        days = exp.cast(node.expression, exp.DataType.build("INT"))
        return exp.Paren(this=exp.Add(this=date, expression=days))

    return _replace_all(tree, exp.TsOrDsAdd, rewrite)


# Units Databricks ``trunc(date, fmt)`` accepts, spelled the way DuckDB's DATE_TRUNC wants them.
_TRUNC_UNITS = {
    "YEAR": "YEAR",
    "YYYY": "YEAR",
    "YY": "YEAR",
    "QUARTER": "QUARTER",
    "MONTH": "MONTH",
    "MM": "MONTH",
    "MON": "MONTH",
    "WEEK": "WEEK",
}


def _fix_trunc(tree: exp.Expr) -> exp.Expr:
    """``trunc(d, 'MM')`` returns a DATE on Databricks; DuckDB does not know the ``MM`` spelling."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        unit = node.args.get("unit")
        if not isinstance(unit, exp.Literal) or unit.name.upper() not in _TRUNC_UNITS:
            return node
        truncated = _call("DATE_TRUNC", exp.Literal.string(_TRUNC_UNITS[unit.name.upper()]), node.this)
        return exp.cast(truncated, exp.DataType.build("DATE"))

    return _replace_all(tree, exp.DateTrunc, rewrite)


def _default_unix_timestamp_format() -> exp.Expr | None:
    """The format sqlglot fills in for ``unix_timestamp(x)`` without one (it differs between versions)."""
    parsed = sqlglot.parse_one("SELECT unix_timestamp(x)", read="databricks").find(exp.StrToUnix)
    return parsed.args.get("format") if parsed else None


_DEFAULT_UNIX_FORMAT = _default_unix_timestamp_format()


def _fix_unix_timestamp(tree: exp.Expr) -> exp.Expr:
    """``unix_timestamp()`` / ``unix_timestamp(ts)``: sqlglot emits STRPTIME, which refuses timestamps.

    With the default format the argument is a timestamp, a date or an ISO string; a cast to TIMESTAMPTZ
    reads all three. An explicit format keeps sqlglot's STRPTIME translation (the argument is a string).
    """

    def rewrite(node: exp.Expr) -> exp.Expr:
        fmt = node.args.get("format")
        if fmt is not None and fmt != _DEFAULT_UNIX_FORMAT:
            return node
        this = node.this if node.this is not None else exp.CurrentTimestamp()
        seconds = _call("EPOCH", exp.cast(this, exp.DataType.build("TIMESTAMPTZ")))
        return exp.cast(_call("FLOOR", seconds), exp.DataType.build("BIGINT"))

    return _replace_all(tree, exp.StrToUnix, rewrite)


def _duckdb_json_structure(schema: str) -> str | None:
    """A Databricks schema string ('a INT', 'ARRAY<STRING>', 'MAP<..>') as a DuckDB JSON structure."""
    for candidate in (schema, f"STRUCT<{schema}>"):
        try:
            data_type = exp.DataType.build(candidate, dialect="databricks")
        except SqlglotError:
            continue
        # An unparseable struct body comes back as an empty STRUCT: not a schema we understood.
        if data_type.is_type("struct") and not data_type.expressions:
            return None
        return json.dumps(data_type.sql(dialect="duckdb"))
    return None


def _fix_from_json(tree: exp.Expr) -> exp.Expr:
    """``from_json(s, '<DDL schema>')``: DuckDB wants a JSON structure; Databricks gives NULL on bad JSON."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        schema = node.expression
        if not isinstance(schema, exp.Literal) or not schema.is_string:
            return node
        structure = _duckdb_json_structure(schema.name)
        if structure is None:
            return node
        # The cast lets a `?` parameter bind (DuckDB cannot infer a parameter's type inside FROM_JSON).
        text = exp.cast(node.this, exp.DataType.build("TEXT"))
        return _call("TRY", _call("FROM_JSON", text, exp.Literal.string(structure)))

    return _replace_all(tree, exp.FromJson, rewrite)


def _fix_day_of_week(tree: exp.Expr) -> exp.Expr:
    """Databricks ``dayofweek`` counts 1 = Sunday .. 7 = Saturday; DuckDB's DAYOFWEEK 0 = Sunday."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        return exp.Paren(this=exp.Add(this=_call("DAYOFWEEK", node.this), expression=exp.Literal.number(1)))

    return _replace_all(tree, exp.DayOfWeek, rewrite)


def _fix_anonymous(tree: exp.Expr) -> exp.Expr:
    """Databricks functions sqlglot passes through by name but DuckDB lacks or defines differently."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        name = node.name.lower()
        args = node.expressions
        if name == "weekday" and len(args) == 1:  # Databricks: 0 = Monday .. 6 = Sunday
            return exp.Paren(this=exp.Sub(this=_call("ISODOW", args[0]), expression=exp.Literal.number(1)))
        if name == "timestamp_seconds" and len(args) == 1:
            return _call("TO_TIMESTAMP", args[0])
        return node

    return _replace_all(tree, exp.Anonymous, rewrite)


def _fix_timestampdiff(tree: exp.Expr) -> exp.Expr:
    """Databricks counts whole units elapsed; DuckDB's DATE_DIFF counts unit boundaries crossed, DATE_SUB does not.

    Two-argument ``datediff(end, start)`` parses to the same node with unit DAY, where the two agree on dates;
    it is left alone.
    """

    def rewrite(node: exp.Expr) -> exp.Expr:
        unit = node.args.get("unit")
        name = unit.name.upper() if unit is not None else "DAY"
        if isinstance(node, exp.DateDiff) and name == "DAY":
            return node
        return _call("DATE_SUB", exp.Literal.string(name), node.expression, node.this)

    tree = _replace_all(tree, exp.TimestampDiff, rewrite)
    return _replace_all(tree, exp.DateDiff, rewrite)


def _fix_map_contains_key(tree: exp.Expr) -> exp.Expr:
    """sqlglot writes ``map_contains_key(m, k)`` as ``ARRAY_CONTAINS(MAP_KEYS(k), m)``, arguments swapped."""

    def rewrite(node: exp.Expr) -> exp.Expr:
        return _call("MAP_CONTAINS", node.this, node.args["key"])

    return _replace_all(tree, exp.MapContainsKey, rewrite)


# Delta-only table properties: meaningless for a DuckDB table, and sqlglot logs a warning for each.
_DELTA_PROPERTIES: tuple[type[exp.Expr], ...] = (
    exp.FileFormatProperty,
    exp.PartitionedByProperty,
    exp.ClusterProperty,
    exp.LocationProperty,
    exp.SchemaCommentProperty,
    exp.Property,
)


def _drop_delta_properties(tree: exp.Expr) -> exp.Expr:
    """Drop ``USING DELTA``, ``PARTITIONED BY``, ``CLUSTER BY``, ``TBLPROPERTIES``, ``LOCATION`` and comments.

    DuckDB has no inline ``COMMENT`` for tables or columns (only ``COMMENT ON``); comments are documentation.
    """
    for properties in list(tree.find_all(exp.Properties)):
        kept = [p for p in properties.expressions if type(p) not in _DELTA_PROPERTIES]
        if kept:
            properties.set("expressions", kept)
        else:
            properties.pop()
    for constraint in list(tree.find_all(exp.ColumnConstraint)):
        if isinstance(constraint.args.get("kind"), exp.CommentColumnConstraint):
            constraint.pop()
    return tree


_FIXES: tuple[Callable[[exp.Expr], exp.Expr], ...] = (
    _fix_percentile,
    _fix_date_add,
    _fix_trunc,
    _fix_unix_timestamp,
    _fix_from_json,
    _fix_day_of_week,
    _fix_anonymous,
    _fix_timestampdiff,
    _fix_map_contains_key,
    _drop_delta_properties,
)
