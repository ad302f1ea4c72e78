"""Databricks' decimal arithmetic written out for DuckDB (pure): each decimal ``+ - * /``, SUM and AVG that
:mod:`lakealerts.sql.decimal_typing` found is replaced by SQL that computes Spark's value in Spark's result
type — the exact result rounded HALF_UP to the result scale, an error where it does not fit (as on Databricks).

DuckDB alone types DECIMAL(38,18) × DECIMAL(38,18) as DECIMAL(38,36) (overflowing from 100), divides decimals
as DOUBLE and averages them as DOUBLE. Here:

* ``+ -`` whose scale Spark keeps, and ``*`` whose operands' precisions add up to 38 at most, are DuckDB's own
  exact operations, cast to the result type (DuckDB's cast rounds half away from zero: Spark's HALF_UP);
* a ``+ -`` whose scale Spark reduces adds exactly at the wider scale when both operands are below
  10^(37 - scale); else the operands truncated to the result scale add up exactly and the rest (under two units
  of the last place) decides one rounding step;
* a wider ``*`` multiplies magnitudes piece by piece — integer part (in two chunks when it times the other's
  decimals would pass 38 digits) and fraction: every partial product is an exact DuckDB decimal, none is
  negative, so their parts on the result's grid add up exactly and the rest is rounded once;
* ``/`` divides the unscaled integers (UHUGEINT): quotient, then the remainder's digits 18 (or 8) at a time,
  then one rounding step;
* SUM is DuckDB's exact sum cast to Spark's type; AVG is Spark's own ``SUM / CAST(COUNT AS DECIMAL(20,0))``
  with the division rule, then cast to AVG's type (Spark rounds twice, and so does this).

What stays DOUBLE (cast to the same type; 15-16 significant digits): a product whose integer part would need
three chunks (DECIMAL(38,22) × DECIMAL(38,6)), a quotient whose divisor has 30 digits or more unscaled (a
DECIMAL(38,18) from 10^11). Each kernel is DuckDB SQL with ``__a__`` / ``__b__`` for the operands, parsed once.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache

import sqlglot
from sqlglot import exp

from lakealerts.sql.decimal_typing import DECIMAL_NODES, operation
from lakealerts.sql.decimals import (
    LONG_DECIMAL,
    MAX_PRECISION,
    USER_DEFAULT,
    DecimalOp,
    DecimalType,
    avg_division_type,
    sum_type,
)

_A, _B = "__a__", "__b__"
_WRAPPERS = (exp.Filter, exp.Window)


def rewrite(tree: exp.Expr, ops: dict[int, DecimalOp]) -> exp.Expr:
    """Replace every planned decimal operation of ``tree``, innermost first, by its DuckDB kernel."""
    for node in reversed(list(tree.find_all(*DECIMAL_NODES))):
        op = operation(node, ops)
        if op is None:
            continue
        target, new = _kernel(node, op)
        if target is tree:
            tree = new
        else:
            target.replace(new)
    return tree


def _kernel(node: exp.Expr, op: DecimalOp) -> tuple[exp.Expr, exp.Expr]:
    """The node to replace (an aggregate with its FILTER / OVER) and its replacement."""
    if op.kind in ("sum", "avg"):
        target = node
        while isinstance(target.parent, _WRAPPERS) and target.parent.this is target:
            target = target.parent
        if op.kind == "sum":
            return target, _fill(f"CAST({_A} AS {op.result.sql})", a=target)
        return target, _average(target, node, op)
    left, right = node.args["this"], node.args["expression"]
    return node, _BINARY[op.kind](op, left, right)


def fix_bare_decimal(tree: exp.Expr) -> exp.Expr:
    """A bare ``DECIMAL`` is DECIMAL(10,0) on Databricks and DECIMAL(18,3) on DuckDB: spell it out."""
    for data_type in tree.find_all(exp.DataType):
        if data_type.this == exp.DType.DECIMAL and not data_type.expressions:
            data_type.replace(exp.DataType.build(USER_DEFAULT.sql))
    return tree


def _over(target: exp.Expr, node: exp.Expr, aggregate: type[exp.Expr]) -> exp.Expr:
    """``target`` (``node`` inside its FILTER / OVER) with ``node`` swapped for ``aggregate`` of its argument."""
    replacement = aggregate(this=node.this.copy())
    if target is node:
        return replacement
    copy = target.copy()
    inner = copy
    while not isinstance(inner, (exp.Sum, exp.Avg)):
        inner = inner.this
    inner.replace(replacement)
    return copy


def _average(target: exp.Expr, node: exp.Expr, op: DecimalOp) -> exp.Expr:
    """Spark's AVG: ``CAST(SUM(x) / CAST(COUNT(x) AS DECIMAL(20,0)) AS avg type)``, the division exact."""
    (operand,) = op.operands
    total = _fill(f"CAST({_A} AS {sum_type(operand).sql})", a=_over(target, node, exp.Sum))
    count = _fill(f"CAST({_A} AS {LONG_DECIMAL.sql})", a=_over(target, node, exp.Count))
    division = DecimalOp("/", (sum_type(operand), LONG_DECIMAL), avg_division_type(operand))
    quotient = _fill(_divide_sql(division, divisor_digits=_COUNT_DIGITS), a=total, b=count)
    return _fill(f"CAST({_A} AS {op.result.sql})", a=quotient)


# --- the kernels ---------------------------------------------------------------------------------------------


def _add(op: DecimalOp, left: exp.Expr, right: exp.Expr) -> exp.Expr:
    """``+`` / ``-``: DuckDB's exact sum when Spark keeps the scale; when it reduces the scale, the exact sum of
    small operands, else the sum of their parts on the result's grid plus the rest, rounded."""
    (t1, t2), result = op.operands, op.result
    common = max(t1.scale, t2.scale)
    if result.scale >= common:
        text = f"CAST(CAST({_A} AS {result.sql}) {op.kind} CAST({_B} AS {result.sql}) AS {result.sql})"
        return _fill(text, a=left, b=right)
    # Below 10^(37 - scale) both add up exactly in DECIMAL(38, scale), and the cast rounds (the usual case).
    wide, limit = (
        f"DECIMAL({MAX_PRECISION},{common})",
        f"CAST('1{'0' * (MAX_PRECISION - 1 - common)}' AS DECIMAL(38,0))",
    )
    small = f"CAST(CAST({_A} AS {wide}) {op.kind} CAST({_B} AS {wide}) AS {result.sql})"
    text = f"CASE WHEN ABS({_A}) < {limit} AND ABS({_B}) < {limit} THEN {small} ELSE {_rounded_sum_sql(op)} END"
    return _fill(text if common < MAX_PRECISION else _rounded_sum_sql(op), a=left, b=right)


def _rounded_sum_sql(op: DecimalOp) -> str:
    """a ± b = H + L, H the sum of both truncated to the result scale (exact, on its grid), |L| < 2 units of the
    last place: with n = floor(L / unit) and d the fraction left, the result is H + n + (1 if d > ½, or d = ½
    and H + n ≥ 0) units — HALF_UP, away from zero on a tie, whatever the signs."""
    (t1, t2), result = op.operands, op.result
    scale, common = result.scale, max(t1.scale, t2.scale)
    parts = []
    for name, t in ((_A, t1), (_B, t2)):
        value = f"CAST({name} AS {t.sql})"
        truncated = f"TRUNC({value}, {scale})" if t.scale > scale else value
        rest = f"CAST({value} - {truncated} AS DECIMAL({MAX_PRECISION},{common}))" if t.scale > scale else "0"
        parts.append((_on_grid(truncated, result), rest))
    (grid_a, rest_a), (grid_b, rest_b) = parts
    units = f"(({rest_a} {op.kind} {rest_b}) * {10**scale})"
    whole = f"FLOOR({units})"
    base = f"({grid_a} {op.kind} {grid_b} + CAST({whole} AS DECIMAL({MAX_PRECISION},0)) * {_unit_sql(scale)})"
    up = f"CASE WHEN {units} - {whole} > 0.5 OR ({units} - {whole} = 0.5 AND {base} >= 0) THEN 1 ELSE 0 END"
    return f"CAST({base} + CAST({up} AS DECIMAL({MAX_PRECISION},0)) * {_unit_sql(scale)} AS {result.sql})"


def _multiply(op: DecimalOp, left: exp.Expr, right: exp.Expr) -> exp.Expr:
    """``*``: DuckDB's exact product when it fits 38 digits, else the sum of partial products."""
    (t1, t2), result = op.operands, op.result
    if t1.precision + t2.precision <= MAX_PRECISION:  # (DuckDB types DECIMAL(18,4) × (18,4) as (18,8): widen)
        text = f"CAST(CAST({_A} AS {_wide(t1)}) * CAST({_B} AS {_wide(t2)}) AS {result.sql})"
    else:
        first, second = _pieces(_A, t1, t2.scale), _pieces(_B, t2, t1.scale)
        fits = first is not None and second is not None and t1.scale + t2.scale < MAX_PRECISION
        text = _partial_products_sql(first, second, result) if fits and first and second else _double_sql("*", result)
    return _fill(text, a=left, b=right)


#: A piece of an operand's magnitude: (expression, its scale, the power of ten it stands for).
_Piece = tuple[str, int, int]


def _pieces(name: str, t: DecimalType, other_scale: int) -> list[_Piece] | None:
    """|x| as its fraction and its integer part, the integer part in two chunks when it times the other
    operand's fraction would not fit 38 digits (a DECIMAL(38,6) times 18 decimals); None when even that fails."""
    whole = f"ABS(CAST({name} AS {t.sql}))"
    pieces: list[_Piece] = []
    if t.scale:
        pieces.append((f"CAST({whole} - TRUNC({whole}) AS DECIMAL({MAX_PRECISION},{t.scale}))", t.scale, 0))
    if not t.integer_digits:
        return pieces
    integer = f"CAST(TRUNC({whole}) AS DECIMAL({MAX_PRECISION},0))"
    if not other_scale or t.integer_digits + other_scale <= MAX_PRECISION:
        return [*pieces, (integer, 0, 0)]
    low = MAX_PRECISION - 1 - other_scale  # digits of the low chunk: its fraction times 10^low stays below 10^37
    if low <= 0 or t.integer_digits - low + other_scale > MAX_PRECISION:
        return None
    high = f"CAST(TRUNC({integer} * {_unit_sql(low)}) AS DECIMAL({MAX_PRECISION},0))"
    return [*pieces, (high, 0, low), (f"({integer} - {high} * {10**low})", 0, 0)]


def _partial_products_sql(first: list[_Piece], second: list[_Piece], result: DecimalType) -> str:
    """|a|·|b| as the sum of the pieces' products: all ≥ 0, so their parts on the result's grid (truncated to its
    scale) add up exactly, and the rest — below one unit of the last place each, fraction × fraction below 1 —
    is rounded once, HALF_UP, like the exact product."""
    grid, rest = [], []
    for (x, x_scale, x_power), (y, y_scale, y_power) in ((p, q) for p in first for q in second):
        product, scale, power = f"({x} * {y})", x_scale + y_scale, x_power + y_power
        if x_scale and y_scale:
            rest.append(product)
            continue
        if power and scale:  # a high integer chunk (·10^power) times a fraction: its integer part is on the grid,
            whole = f"TRUNC({product})"  # its fraction times 10^power (< 10^37) keeps scale - power decimals
            grid.append(_on_grid(f"({whole} * {10**power})", result))
            product, scale = f"(({product} - {whole}) * {10**power})", max(scale - power, 0)
        elif power:
            product = f"({product} * {10**power})"
        if scale <= result.scale:
            grid.append(_on_grid(product, result))
        else:
            truncated = f"TRUNC({product}, {result.scale})"
            grid.append(_on_grid(truncated, result))
            rest.append(f"({product} - {truncated})")
    total = " + ".join(grid) or "0"
    if rest:
        total += f" + {_on_grid(' + '.join(rest), result)}"
    return _signed(f"(({_A} < 0) <> ({_B} < 0))", f"({total})", result)


def _on_grid(value: str, result: DecimalType) -> str:
    return f"CAST({value} AS DECIMAL({MAX_PRECISION},{result.scale}))"


def _divide(op: DecimalOp, left: exp.Expr, right: exp.Expr) -> exp.Expr:
    """``/``: quotient and remainder of the unscaled integers, rounded HALF_UP in one step."""
    return _fill(_divide_sql(op), a=left, b=right)


# Long division of the unscaled integers: the quotient's digits ``chunk`` at a time, the remainder times
# 10^chunk staying below 10^37 for a divisor below 10^digits. Wider divisors (30 digits and more) divide as DOUBLE.
_DIVISION_STEPS = ((19, 18), (29, 8))
_COUNT_DIGITS = 19  # a COUNT is a BIGINT: below 10^19
_MAX_STEPS = 4


def _divide_sql(op: DecimalOp, divisor_digits: int | None = None) -> str:
    """``divisor_digits``: at most this many digits in the divisor (a COUNT has 19), else its type's."""
    (t1, t2), result = op.operands, op.result
    digits_needed = divisor_digits or t2.precision
    shift = result.scale + t2.scale - t1.scale  # ≥ 0 for every type Spark's division rule gives
    a, b = _mantissa(_A, t1), _mantissa(_B, t2)
    negative = f"(({_A} < 0) <> ({_B} < 0))"
    usable = [(digits, _steps(shift, chunk)) for digits, chunk in _DIVISION_STEPS if shift >= 0]
    usable = [(digits, steps) for digits, steps in usable if len(steps) <= _MAX_STEPS]
    # A narrower divisor gets its own branch only when it takes fewer steps than every wider one.
    plans = [(d, steps) for i, (d, steps) in enumerate(usable) if all(len(steps) < len(w) for _, w in usable[i + 1 :])]
    branches: list[str] = []
    for digits, steps in plans:
        exact = _signed(negative, _from_unscaled(_long_division(a, b, steps), result.scale), result)
        if digits_needed <= digits:
            return f"CASE {' '.join(branches)} ELSE {exact} END" if branches else exact
        branches.append(f"WHEN {b} < {_uint(10**digits)} THEN {exact}")
    fallback = _double_sql("/", result)
    return f"CASE {' '.join(branches)} ELSE {fallback} END" if branches else fallback


def _steps(shift: int, chunk: int) -> list[int]:
    """``shift`` digits, ``chunk`` at a time."""
    return [chunk] * (shift // chunk) + ([shift % chunk] if shift % chunk else [])


def _long_division(a: str, b: str, steps: list[int]) -> str:
    """round_half_up(a · 10^sum(steps) / b) for unsigned ``a`` and ``b`` (a zero ``b`` fails, as on Databricks)."""
    quotient, remainder = f"({a} // {b})", f"({a} % {b})"
    for step in steps:
        shifted = f"({remainder} * {_uint(10**step)})"
        quotient = f"({quotient} * {_uint(10**step)} + {shifted} // {b})"
        remainder = f"({shifted} % {b})"
    return f"({quotient} + CASE WHEN {_uint(2)} * {remainder} >= {b} THEN {_uint(1)} ELSE {_uint(0)} END)"


def _double_sql(operator: str, result: DecimalType) -> str:
    return f"CAST(CAST({_A} AS DOUBLE) {operator} CAST({_B} AS DOUBLE) AS {result.sql})"


_BINARY: dict[str, Callable[[DecimalOp, exp.Expr, exp.Expr], exp.Expr]] = {
    "+": _add,
    "-": _add,
    "*": _multiply,
    "/": _divide,
}


# --- SQL pieces ------------------------------------------------------------------------------------------------


def _wide(t: DecimalType) -> str:
    """DECIMAL(38, scale): DuckDB multiplies two such in 128 bits, exactly up to 38 digits."""
    return f"DECIMAL({MAX_PRECISION},{t.scale})"


def _uint(value: int) -> str:
    """An unsigned 128-bit constant (a plain literal beside a UHUGEINT would turn the arithmetic into DOUBLE)."""
    return f"CAST('{value}' AS UHUGEINT)"


def _mantissa(name: str, t: DecimalType) -> str:
    """|x| as its unscaled integer: DuckDB prints a DECIMAL(p,s) with exactly s decimals."""
    return f"CAST(REPLACE(CAST(ABS(CAST({name} AS {t.sql})) AS VARCHAR), '.', '') AS UHUGEINT)"


def _from_unscaled(unscaled: str, scale: int) -> str:
    """The DECIMAL(38, scale) whose unscaled value is ``unscaled`` (a value of 10^38 or more is an error)."""
    return f"(CAST({unscaled} AS DECIMAL({MAX_PRECISION},0)) * {_unit_sql(scale)})"


def _unit_sql(scale: int) -> str:
    """10^-scale as DECIMAL(38, scale): multiplying an integer DECIMAL by it moves the point, exactly."""
    return f"CAST('{format(Decimal(1).scaleb(-scale), 'f')}' AS DECIMAL({MAX_PRECISION},{scale}))"


def _signed(negative: str, magnitude: str, result: DecimalType) -> str:
    """The magnitude with its sign, in the result type (the magnitude written once: it can be long)."""
    return f"CAST(CASE WHEN {negative} THEN -1 ELSE 1 END * {magnitude} AS {result.sql})"


@lru_cache(maxsize=512)
def _template(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, read="duckdb")


def _fill(text: str, **operands: exp.Expr) -> exp.Expr:
    """The kernel ``text`` with ``__a__`` / ``__b__`` replaced by (copies of) the operands."""
    tree = _template(text).copy()
    names = {_A: operands.get("a"), _B: operands.get("b")}
    for column in list(tree.find_all(exp.Column)):
        operand = names.get(column.name)
        if operand is not None and not column.table:
            column.replace(operand.copy())
    return tree
