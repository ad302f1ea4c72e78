"""Which arithmetic of a statement is decimal, and the type Databricks gives it (pure).

sqlglot's type annotation (``sqlglot.optimizer.annotate_types``) does the scoping — tables, aliases, CTEs,
subqueries, struct fields — over the column types the engine describes (:class:`ColumnTypes`); Spark's rules
(:mod:`lakealerts.sql.decimals`) replace sqlglot's own for ``+ - * /``, SUM, AVG and numeric literals, so a
CTE's ``SUM(q * p)`` is DECIMAL(38,6) when the outer query uses it, as on Databricks.

The annotation runs on a qualified *copy* of the statement (qualifying renames and re-aliases; the user's SQL
must keep its own output names). Every candidate node of the original is tagged with an index in its
``meta`` first; copies keep their meta, so :func:`plan` answers by index, and :func:`operation` finds the
answer for a node of the original.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import TypeAnnotator, annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from lakealerts.sql.decimals import (
    ColumnTypes,
    DecimalOp,
    DecimalType,
    avg_type,
    bounded,
    integral_type,
    literal_type,
    result_type,
    sum_type,
)

#: The nodes whose type Spark's decimal rules decide.
DECIMAL_NODES: tuple[type[exp.Expr], ...] = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Sum, exp.Avg)
_OPERATORS: dict[type[exp.Expr], str] = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/"}
_INDEX = "lakealerts_decimal_index"
_OPERATION = "lakealerts_decimal_op"


def has_arithmetic(tree: exp.Expr) -> bool:
    """Whether the statement holds anything Spark's decimal rules could type (then the engine looks up types)."""
    return tree.find(*DECIMAL_NODES) is not None


def has_decimals(tree: exp.Expr, types: ColumnTypes) -> bool:
    """Whether anything decimal can meet the arithmetic: a DECIMAL column of a table read, a DECIMAL cast or an
    exact numeric literal like ``1.5`` (typing costs milliseconds; a statement over DOUBLEs skips it)."""
    if any("DECIMAL" in type_name.upper() for _, columns in types.tables for _, type_name in columns):
        return True
    if any(data_type.this in (exp.DType.DECIMAL, exp.DType.BIGDECIMAL) for data_type in tree.find_all(exp.DataType)):
        return True
    return any(not lit.is_string and "." in lit.name for lit in tree.find_all(exp.Literal))


def referenced_tables(tree: exp.Expr) -> tuple[tuple[str, str, str], ...]:
    """The tables a statement names, as written (``""`` for a missing catalog or schema); CTEs left out."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    found: dict[tuple[str, str, str], None] = {}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function (range(10), unnest(...))
        if not table.db and table.name.lower() in ctes:
            continue
        found[(table.catalog, table.db, table.name)] = None
    return tuple(found)


def plan(tree: exp.Expr, types: ColumnTypes) -> dict[int, DecimalOp]:
    """Tag ``tree``'s candidate nodes and type a copy: index -> the decimal operation, for decimal nodes only.

    A statement sqlglot cannot qualify or annotate gets no plan (it runs as written): typing is an
    improvement, never a reason for a query to fail.
    """
    for index, node in enumerate(tree.find_all(*DECIMAL_NODES)):
        node.meta[_INDEX] = index
    try:
        schema = MappingSchema(types.mapping(), dialect="duckdb")
        qualified = qualify(
            tree.copy(),
            dialect="databricks",
            catalog=types.catalog,
            db=types.schema,
            schema=schema,
            validate_qualify_columns=False,
        )
        annotate_types(qualified, schema=schema, expression_metadata=_METADATA, dialect="databricks")
    except SqlglotError:
        return {}
    return {} if _mixed_set_operation(qualified) else dict(_operations(qualified))


def _mixed_set_operation(tree: exp.Expr) -> bool:
    """A UNION / INTERSECT / EXCEPT whose branches give one column different types: sqlglot types it as the
    first branch, Spark as the wider; rather than guess, the statement keeps DuckDB's own arithmetic."""
    for operation_node in tree.find_all(exp.SetOperation):
        left, right = operation_node.left, operation_node.right
        if not isinstance(left, exp.Query) or not isinstance(right, exp.Query):
            continue
        for first, second in zip(left.selects, right.selects, strict=False):
            types = {decimal_of(first.type), decimal_of(second.type)}
            if len(types) > 1 and types != {None}:
                return True
    return False


def operation(node: exp.Expr, ops: dict[int, DecimalOp]) -> DecimalOp | None:
    """The decimal operation :func:`plan` found for ``node`` of the original tree, if any."""
    index = node.meta.get(_INDEX) if node.meta else None
    return ops.get(index) if isinstance(index, int) else None


def described(tree: exp.Expr, ops: dict[int, DecimalOp]) -> tuple[tuple[str, str], ...]:
    """``(expression as Databricks SQL, its Databricks type)`` for each planned operation, innermost first."""
    found = ((node, operation(node, ops)) for node in reversed(list(tree.find_all(*DECIMAL_NODES))))
    return tuple((node.sql(dialect="databricks"), op.result.sql) for node, op in found if op is not None)


def _operations(tree: exp.Expr) -> Iterator[tuple[int, DecimalOp]]:
    for node in tree.find_all(*DECIMAL_NODES):
        op, index = node.meta.get(_OPERATION), node.meta.get(_INDEX)
        if isinstance(op, DecimalOp) and isinstance(index, int):
            yield index, op


# --- Spark's rules inside sqlglot's annotator ---------------------------------------------------------------


def decimal_of(data_type: exp.DataType | None) -> DecimalType | None:
    """DECIMAL(p,s) of an annotated type; None for anything else (a bare DECIMAL is made (10,0) beforehand)."""
    if data_type is None or data_type.this not in (exp.DType.DECIMAL, exp.DType.BIGDECIMAL):
        return None
    params = [int(param.name) for param in data_type.expressions if param.name.isdigit()]
    if len(params) == 2:
        return DecimalType(params[0], params[1])
    return DecimalType(params[0], 0) if len(params) == 1 else None


def _operand(node: exp.Expr) -> DecimalType | None:
    """An operand's decimal type: its own, an integer literal's digits, or an integer column's counterpart."""
    inner = node.unnest()
    literal = inner.this if isinstance(inner, exp.Neg) else inner
    if isinstance(literal, exp.Literal) and literal.is_int:
        return literal_type(literal.name)
    declared = decimal_of(node.type)
    if declared is not None:
        return declared
    return integral_type(node.type.this.value) if node.type is not None else None


def _set_decimal(annotator: TypeAnnotator, node: exp.Expr, op: DecimalOp) -> None:
    annotator._set_type(node, exp.DataType.build(op.result.sql))
    node.meta[_OPERATION] = op


def _annotate_arithmetic(annotator: TypeAnnotator, node: exp.Expr) -> exp.Expr:
    """``+ - * /``: sqlglot's type, unless one side is a DECIMAL and the other a DECIMAL or an integer."""
    if isinstance(node, exp.Div):
        annotator._annotate_div(node)
    else:
        annotator._annotate_binary(node)  # type: ignore[type-var]
    left, right = node.args.get("this"), node.args.get("expression")
    if not isinstance(left, exp.Expr) or not isinstance(right, exp.Expr):
        return node
    if decimal_of(left.type) is None and decimal_of(right.type) is None:
        return node
    left_type, right_type = _operand(left), _operand(right)
    if left_type is None or right_type is None:
        return node  # a DOUBLE (sqlglot's DOUBLE stands) or an unknown type (made UNKNOWN by _trusted)
    operator = _OPERATORS[type(node)]
    _set_decimal(
        annotator, node, DecimalOp(operator, (left_type, right_type), result_type(operator, left_type, right_type))
    )
    return node


def _aggregate(kind: str, default: Any) -> Any:
    def annotate(annotator: TypeAnnotator, node: exp.Expr) -> exp.Expr:
        default(annotator, node)
        operand = decimal_of(node.this.type) if isinstance(node.this, exp.Expr) else None
        if operand is not None:
            result = sum_type(operand) if kind == "sum" else avg_type(operand)
            _set_decimal(annotator, node, DecimalOp(kind, (operand,), result))
        return node

    return annotate


def _annotate_literal(annotator: TypeAnnotator, node: exp.Literal) -> exp.Literal:
    """``1.50`` is DECIMAL(3,2) on Databricks (sqlglot says DOUBLE); ``1e3`` stays a DOUBLE."""
    annotator._annotate_literal(node)
    if not node.is_string and not node.is_int and (decimal := literal_type(node.name)) is not None:
        annotator._set_type(node, exp.DataType.build(decimal.sql))
    return node


# Nodes whose DECIMAL type is their operand's as is. Any other node that sqlglot types DECIMAL from its
# arguments (ROUND, percentile with a 0.95 literal, …) is of unknown type here: Spark types those otherwise, and
# arithmetic over them is left to DuckDB rather than cast to a guessed type.
_SAME_TYPE: tuple[type[exp.Expr], ...] = (
    exp.Cast, exp.TryCast, exp.Paren, exp.Neg, exp.Alias, exp.Subquery, exp.Window, exp.Filter, exp.Dot,
    exp.Min, exp.Max, exp.First, exp.Last, exp.AnyValue, exp.Abs,
)  # fmt: skip
# Nodes with several branches: DECIMAL only when every branch that has a type has the same DECIMAL type.
_BRANCHES: dict[type[exp.Expr], Callable[[exp.Expr], list[Any]]] = {
    exp.Coalesce: lambda e: [e.this, *e.expressions],
    exp.Greatest: lambda e: [e.this, *e.expressions],
    exp.Least: lambda e: [e.this, *e.expressions],
    exp.Case: lambda e: [i.args.get("true") for i in e.args.get("ifs") or []] + [e.args.get("default")],
    exp.If: lambda e: [e.args.get("true"), e.args.get("false")],
    exp.Nullif: lambda e: [e.this],
}


def _trusted(annotate: Any) -> Any:
    """Wrap a sqlglot annotator: a DECIMAL it derives from arguments becomes UNKNOWN unless the node keeps its
    operand's type (:data:`_SAME_TYPE`) or is a choice between branches (:data:`_BRANCHES`), which takes Spark's
    wider type of them."""

    def guarded(annotator: TypeAnnotator, node: exp.Expr) -> exp.Expr:
        annotate(annotator, node)
        if decimal_of(node.type) is None or isinstance(node, _SAME_TYPE) or _OPERATION in node.meta:
            return node
        branches = _BRANCHES.get(type(node))
        wider = _wider([b for b in branches(node) if isinstance(b, exp.Expr)]) if branches else None
        annotator._set_type(node, exp.DataType.build(wider.sql) if wider else exp.DType.UNKNOWN)
        return node

    return guarded


def _wider(branches: list[exp.Expr]) -> DecimalType | None:
    """Spark's ``findWiderCommonType`` of decimal and integer branches (an integer counts as its DECIMAL(10,0)
    etc., literals too; NULL does not count); None when a branch is anything else (a DOUBLE makes it DOUBLE)."""
    types = []
    for branch in branches:
        if _is_null(branch):
            continue
        decimal = decimal_of(branch.type) or (integral_type(branch.type.this.value) if branch.type else None)
        if decimal is None:
            return None
        types.append(decimal)
    if not types:
        return None
    scale = max(t.scale for t in types)
    return bounded(max(t.integer_digits for t in types) + scale, scale)


def _is_null(node: exp.Expr) -> bool:
    return isinstance(node.unnest(), exp.Null)


def _metadata() -> dict[type[exp.Expr], dict[str, Any]]:
    base = Dialect.get_or_raise("databricks").EXPRESSION_METADATA
    metadata: dict[type[exp.Expr], dict[str, Any]] = {
        kind: {"annotator": _trusted(spec["annotator"])} if "annotator" in spec else spec for kind, spec in base.items()
    }
    for kind in _OPERATORS:
        metadata[kind] = {"annotator": _trusted(_annotate_arithmetic)}
    for kind, name in ((exp.Sum, "sum"), (exp.Avg, "avg")):
        default = metadata.get(kind, {}).get("annotator") or _returns(metadata.get(kind, {}).get("returns"))
        metadata[kind] = {"annotator": _trusted(_aggregate(name, default))}
    metadata[exp.Literal] = {"annotator": _annotate_literal}
    return metadata


def _returns(data_type: Any) -> Any:
    return lambda annotator, node: annotator._set_type(node, data_type or exp.DType.DOUBLE)


_METADATA = _metadata()
