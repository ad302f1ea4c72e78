"""Fixture injection: a rendered rule's tables replaced by typed inline relations (pure; DESIGN §11).

Every table a fixture names becomes ``(SELECT CAST(c AS T) AS name, … FROM VALUES (…), (…) AS fixture(c, …))``
in the sqlglot tree of the rule — three-part names as written, short names resolved against the namespace
(``${catalog}.${gold_schema}``), ``system.*`` as is. Column types are Databricks types (``DECIMAL(p,s)``,
``STRUCT<a: T>``, ``MAP<K,V>``, ``ARRAY<T>``, DATE, TIMESTAMP, …) and values YAML scalars, mappings and lists;
an empty fixture is a typed empty relation (``SELECT CAST(NULL AS T) AS c WHERE FALSE``). Nothing is written:
the rewritten SQL is one read-only query that runs on a fresh in-memory DuckDB (or could run on a warehouse).

The clock is pinned per step in the session time zone (:func:`wall_clock`, then :mod:`sql.clock`).
:func:`inject_with_parameters` is the same rewrite with the rows of each fixture of scalar columns bound as one
parameter instead of inline VALUES (DuckDB only): what ``lakealerts test`` runs, so a rule's text is translated
once however many tests and ticks it has.
A rule whose result a fixture cannot decide — one reading a table no fixture defines (a view, say), a
nondeterministic function or time travel — gets a finding (:func:`injection_findings`) instead of a guess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import sqlglot
from sqlglot import exp

from lakealerts.findings import Finding
from lakealerts.sql.readonly import DIALECT

TableName = tuple[str, str, str]  # catalog, schema, table; lower case
FIXTURE_TABLE_MISSING = "FIXTURE_TABLE_MISSING"
FIXTURE_NONDETERMINISTIC = "FIXTURE_NONDETERMINISTIC"
FIXTURE_TIME_TRAVEL = "FIXTURE_TIME_TRAVEL"
_NONDETERMINISTIC: tuple[type[exp.Expr], ...] = (exp.Rand, exp.Randn, exp.Uuid, exp.Shuffle)
_NONDETERMINISTIC_NAMES = frozenset({"rand", "randn", "random", "uuid", "shuffle", "random_uuid", "randstr"})
_FIELD = "alert_query_template"
_CACHE_SIZE = 4096
_TIME_TRAVEL_HINT = "a fixture is one version of a table: test the rule without VERSION/TIMESTAMP AS OF"
_RANDOM_HINT = "a test needs one answer: remove random and uuid functions from the rule"
_RELATIONS: dict[tuple[str, str], str] = {}
_INJECTED: dict[tuple[str, str, str, str, str], str] = {}  # rewritten SQL: steps repeat their query
_PREPARED: dict[tuple[str, str, str, str, str, int], tuple[str, tuple[int, ...]]] = {}  # by fixture shapes


class FixtureValueError(ValueError):
    """A fixture value that does not fit its column's declared type; the message names the column."""


@dataclass(frozen=True)
class Fixture:
    """One table's stand-in: its resolved name, columns (name, Databricks type) and rows (values by column)."""

    table: TableName
    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[Any, ...], ...] = ()


def resolve_table(name: str, catalog: str, schema: str) -> TableName:
    """A fixture or table name as written (1, 2 or 3 dotted parts) resolved against ``catalog.schema``."""
    parts = [part.strip("`").lower() for part in name.split(".")]
    if len(parts) == 1:
        return catalog.lower(), schema.lower(), parts[0]
    if len(parts) == 2:
        return catalog.lower(), parts[0], parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    raise ValueError(f"{name!r} is not a table name: write table, schema.table or catalog.schema.table")


def table_name(node: exp.Table, catalog: str, schema: str) -> TableName:
    """A table node's name resolved against ``catalog.schema``."""
    return (node.catalog or catalog).lower(), (node.db or schema).lower(), node.name.lower()


def table_nodes(tree: exp.Expr) -> list[exp.Table]:
    """The table nodes a query reads: CTE names and table functions left out."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return [
        t
        for t in tree.find_all(exp.Table)
        if isinstance(t.this, exp.Identifier) and not (not t.db and t.name.lower() in ctes)
    ]


def injection_findings(sql: str, tables: Sequence[TableName], catalog: str, schema: str) -> list[Finding]:
    """Why fixtures cannot decide this query's result: a table without a fixture (a view, or a table the
    test forgot), time travel, a nondeterministic function. Empty when the rewrite is faithful."""
    tree = sqlglot.parse_one(sql, read=DIALECT)
    found: list[Finding] = []
    known = set(tables)
    for node in table_nodes(tree):
        name = ".".join(table_name(node, catalog, schema))
        if node.args.get("version") is not None:
            found.append(Finding(FIXTURE_TIME_TRAVEL, _FIELD, f"{name} is read with time travel", _TIME_TRAVEL_HINT))
        elif table_name(node, catalog, schema) not in known:
            found.append(
                Finding(
                    FIXTURE_TABLE_MISSING,
                    _FIELD,
                    f"no fixture for {name} (a view or a table)",
                    f"add a fixture named {name}: the test reads nothing but its fixtures",
                )
            )
    for call in tree.find_all(exp.Func):
        name = call.name.lower() if isinstance(call, exp.Anonymous) else ""
        if isinstance(call, _NONDETERMINISTIC) or name in _NONDETERMINISTIC_NAMES:
            found.append(
                Finding(
                    FIXTURE_NONDETERMINISTIC, _FIELD, f"{call.sql(dialect=DIALECT)} is nondeterministic", _RANDOM_HINT
                )
            )
    return list(dict.fromkeys(found))


def inject_fixtures(sql: str, fixtures: Sequence[Fixture], catalog: str, schema: str, zone: str = "UTC") -> str:
    """``sql`` (Databricks SQL) with every table a fixture names replaced by the fixture's typed relation.

    Timestamps with an offset are shown in ``zone`` (the session zone the clock is pinned in).
    Raises FixtureValueError for a value that does not fit its column.
    """
    key = (sql, repr(tuple(fixtures)), catalog, schema, zone)  # rows hold dicts: the repr is the hashable form
    if key not in _INJECTED:
        if len(_INJECTED) >= _CACHE_SIZE:
            _INJECTED.clear()
        _INJECTED[key] = _inject(sql, fixtures, catalog, schema, zone, None)[0]
    return _INJECTED[key]


def inject_with_parameters(
    sql: str, fixtures: Sequence[Fixture], catalog: str, schema: str, zone: str, first_parameter: int
) -> tuple[str, tuple[Fixture, ...]]:
    """Like :func:`inject_fixtures`, but the rows of a fixture of scalar columns go in as one parameter (a list of
    rows of text, ``$first_parameter`` onwards, cast by the relation like the inline VALUES are): the text is then
    the same for every test of a rule whatever its rows, so the engine translates it once. Returns the text and
    the fixtures whose :func:`parameter_rows` to bind, in parameter order. Runs on DuckDB only (Databricks binds
    no arrays); :func:`inject_fixtures` is the portable form."""
    shapes = tuple((f.table, f.columns, None if _parameterisable(f) else repr(f.rows)) for f in fixtures)
    key = (sql, repr(shapes), catalog, schema, zone, first_parameter)
    if key not in _PREPARED:  # the text depends on the fixtures' shapes only: shared by every test of a rule
        if len(_PREPARED) >= _CACHE_SIZE:
            _PREPARED.clear()
        text, bound = _inject(sql, fixtures, catalog, schema, zone, first_parameter)
        _PREPARED[key] = text, tuple(fixtures.index(f) for f in bound)
    text, positions = _PREPARED[key]
    return text, tuple(fixtures[i] for i in positions)


def parameter_rows(fixture: Fixture, zone: str = "UTC") -> list[list[str | None]]:
    """A fixture's rows as the text the relation casts (values checked against their column types)."""
    kinds = _kinds(fixture.columns)
    return [
        [
            None if value is None else _scalar_text(value, kind, name, zone)
            for value, kind, (name, _) in zip(row, kinds, fixture.columns, strict=True)
        ]
        for row in fixture.rows
    ]


@lru_cache(maxsize=_CACHE_SIZE)
def _kinds(columns: tuple[tuple[str, str], ...]) -> tuple[exp.DType, ...]:
    return tuple(exp.DataType.build(type_name, dialect=DIALECT).this for _, type_name in columns)


def _parameterisable(fixture: Fixture) -> bool:
    nested = (exp.DType.STRUCT, exp.DType.MAP, exp.DType.ARRAY)
    return bool(fixture.rows) and all(kind not in nested for kind in _kinds(fixture.columns))


def _inject(
    sql: str, fixtures: Sequence[Fixture], catalog: str, schema: str, zone: str, first_parameter: int | None
) -> tuple[str, tuple[Fixture, ...]]:
    """Each fixture table becomes a placeholder subquery in the tree; the placeholders are then replaced by the
    fixture's relation text, generated once per fixture (a test's ticks differ only in their pinned clock)."""
    by_name = {fixture.table: fixture for fixture in fixtures}
    tree = sqlglot.parse_one(sql, read=DIALECT)
    relations: dict[str, str] = {}
    bound: list[Fixture] = []
    for node in table_nodes(tree):
        fixture = by_name.get(table_name(node, catalog, schema))
        if fixture is None or node.args.get("version") is not None:
            continue
        placeholder = f"lakealerts_fixture_{len(relations):04d}"  # fixed width: no name is a prefix of another
        if first_parameter is not None and _parameterisable(fixture):
            if fixture not in bound:
                bound.append(fixture)
            relations[placeholder] = _parameter_relation(fixture, first_parameter + bound.index(fixture))
        else:
            relations[placeholder] = _relation_text(fixture, zone)
        alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name))
        node.replace(exp.Subquery(this=exp.select("*").from_(placeholder), alias=alias.copy()))
    text = tree.sql(dialect=DIALECT)
    for placeholder, relation in relations.items():
        text = text.replace(f"SELECT * FROM {placeholder}", relation, 1)
    return text, tuple(bound)


def _parameter_relation(fixture: Fixture, number: int) -> str:
    """The fixture's relation over its rows bound as parameter ``$number``: each row a list of text."""
    columns = ", ".join(
        f"CAST(fixture.r[{index}] AS {exp.DataType.build(type_name, dialect=DIALECT).sql(dialect=DIALECT)}) "
        f"AS {_quote(name)}"
        for index, (name, type_name) in enumerate(fixture.columns)
    )
    return f"SELECT {columns} FROM (SELECT explode(${number}) AS r) AS fixture"


def _relation_text(fixture: Fixture, zone: str) -> str:
    """The fixture's relation as Databricks SQL, built once per fixture."""
    key = (repr(fixture), zone)
    if key not in _RELATIONS:
        if len(_RELATIONS) >= _CACHE_SIZE:
            _RELATIONS.clear()
        _RELATIONS[key] = relation_sql(fixture, zone)
    return _RELATIONS[key]


def relation_sql(fixture: Fixture, zone: str = "UTC") -> str:
    """The fixture as one typed relation (Databricks SQL): VALUES cast to the declared types, or an empty one."""
    types = [exp.DataType.build(type_name, dialect=DIALECT) for _, type_name in fixture.columns]
    names = [_quote(name) for name, _ in fixture.columns]
    if not fixture.rows:
        columns = ", ".join(f"CAST(NULL AS {t.sql(dialect=DIALECT)}) AS {n}" for t, n in zip(types, names, strict=True))
        return f"SELECT {columns} WHERE FALSE"
    slots = [f"c{index}" for index in range(len(names))]
    rows = ", ".join(_row_sql(row, types, fixture.columns, zone) for row in fixture.rows)
    casts = zip(slots, types, names, strict=True)
    columns = ", ".join(f"CAST({s} AS {t.sql(dialect=DIALECT)}) AS {n}" for s, t, n in casts)
    return f"SELECT {columns} FROM VALUES {rows} AS fixture({', '.join(slots)})"


def _row_sql(row: Sequence[Any], types: Sequence[exp.DataType], columns: Sequence[tuple[str, str]], zone: str) -> str:
    values = (_top_level(value, t, name, zone) for value, t, (name, _) in zip(row, types, columns, strict=True))
    return "(" + ", ".join(values) + ")"


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _top_level(value: Any, data_type: exp.DataType, column: str, zone: str) -> str:
    """A column's value in VALUES: a scalar as its text (the relation's outer CAST types it), else typed."""
    if data_type.this in (exp.DType.STRUCT, exp.DType.MAP, exp.DType.ARRAY):
        return _typed(value, data_type, column, zone)
    if value is None:  # untyped, like the text beside it: a typed NULL would not combine with it in VALUES
        return "NULL"
    return _scalar(value, data_type.this, column, zone)


def _typed(value: Any, data_type: exp.DataType, column: str, zone: str) -> str:
    """One value as a Databricks SQL expression of ``data_type``."""
    type_sql = data_type.sql(dialect=DIALECT)
    if value is None:
        return f"CAST(NULL AS {type_sql})"
    kind = data_type.this
    if kind == exp.DType.STRUCT:
        return _struct(value, data_type, column, zone)
    if kind == exp.DType.MAP:
        if not isinstance(value, Mapping):
            raise FixtureValueError(f"column {column}: {value!r} is not a mapping for {type_sql}")
        key_type, value_type = data_type.expressions
        keys = ", ".join(_typed(k, key_type, column, zone) for k in value)
        values = ", ".join(_typed(v, value_type, column, zone) for v in value.values())
        return f"CAST(map_from_arrays(array({keys}), array({values})) AS {type_sql})"
    if kind == exp.DType.ARRAY:
        if not isinstance(value, list):
            raise FixtureValueError(f"column {column}: {value!r} is not a list for {type_sql}")
        items = ", ".join(_typed(item, data_type.expressions[0], column, zone) for item in value)
        return f"CAST(array({items}) AS {type_sql})"
    return f"CAST({_scalar(value, kind, column, zone)} AS {type_sql})"


def _struct(value: Any, data_type: exp.DataType, column: str, zone: str) -> str:
    if not isinstance(value, Mapping):
        raise FixtureValueError(f"column {column}: {value!r} is not a mapping for {data_type.sql(dialect=DIALECT)}")
    fields = {f.name: f.args["kind"] for f in data_type.expressions}
    unknown = sorted(set(map(str, value)) - set(fields))
    if unknown:
        raise FixtureValueError(f"column {column}: field {unknown[0]!r} is not in {data_type.sql(dialect=DIALECT)}")
    parts = ", ".join(f"'{name}', {_typed(value.get(name), kind, column, zone)}" for name, kind in fields.items())
    return f"CAST(named_struct({parts}) AS {data_type.sql(dialect=DIALECT)})"


def _scalar(value: Any, kind: exp.DType, column: str, zone: str) -> str:
    """A string literal the engine casts to the column type (booleans and numbers checked here)."""
    return exp.Literal.string(_scalar_text(value, kind, column, zone)).sql(dialect=DIALECT)


def _scalar_text(value: Any, kind: exp.DType, column: str, zone: str) -> str:
    """The text a scalar value is cast from (booleans and numbers checked here)."""
    if isinstance(value, Mapping | list):
        raise FixtureValueError(f"column {column}: {value!r} is not a single value for {kind.value}")
    if kind == exp.DType.BOOLEAN and not isinstance(value, bool):
        raise FixtureValueError(f"column {column}: {value!r} is not true or false")
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, datetime):
        text = _wall_time(value, zone) if kind != exp.DType.DATE else value.date().isoformat()
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
    else:
        text = str(value)
    if kind in exp.DataType.NUMERIC_TYPES:
        try:
            Decimal(text)
        except ArithmeticError:
            raise FixtureValueError(f"column {column}: {value!r} is not a number") from None
    return text


def _wall_time(moment: datetime, zone: str) -> str:
    """An instant as the session zone's wall time (a naive timestamp is taken as written)."""
    local = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None) if moment.tzinfo else moment
    return local.isoformat(sep=" ")


def wall_clock(at: datetime, zone: str) -> datetime:
    """``at``'s wall time in ``zone`` labelled UTC: what :func:`pin_clock` writes as the local date and time."""
    return at.astimezone(ZoneInfo(zone)).replace(tzinfo=UTC)
