"""Databricks' decimal arithmetic: the result type of ``+ - * /``, SUM and AVG, as Spark computes it (pure).

Databricks SQL runs with ``spark.sql.decimalOperations.allowPrecisionLoss=true`` (DESIGN §10.3). With
operands DECIMAL(p1,s1) and DECIMAL(p2,s2) Spark's result types are

=========  =======================================  ======================
operation  precision                                scale
=========  =======================================  ======================
``+ -``    max(s1,s2) + max(p1-s1, p2-s2) + 1       max(s1,s2)
``*``      p1 + p2 + 1                              s1 + s2
``/``      p1 - s1 + s2 + max(6, s1 + p2 + 1)       max(6, s1 + p2 + 1)
SUM        min(38, p + 10)                          s
AVG        min(38, p + 4)                           min(38, s + 4)
=========  =======================================  ======================

and a precision over 38 is brought back by :func:`adjust_precision_scale`: precision 38, the integer digits
kept, the scale reduced but not below min(6, scale). An integer operand beside a decimal one counts as
DECIMAL(3,0) / (5,0) / (10,0) / (20,0) (TINYINT … BIGINT), an integer *literal* with the digits it needs
(``2`` is DECIMAL(1,0)); a FLOAT or DOUBLE operand makes the whole operation DOUBLE (nothing to do here).

Checked against Spark's source (apache/spark on GitHub):

* ``sql/api/src/main/scala/org/apache/spark/sql/types/DecimalType.scala`` — ``MAX_PRECISION = 38``,
  ``MINIMUM_ADJUSTED_SCALE = 6``, ``bounded``, ``adjustPrecisionScale`` and ``forType`` (INT -> (10,0));
* ``sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/analysis/DecimalPrecision.scala`` — the table
  above (``decimalAndDecimal``) and integer literals cast with ``DecimalType.forLiteral``;
* ``sql/catalyst/src/main/scala/org/apache/spark/sql/catalyst/expressions/aggregate/Sum.scala`` and
  ``Average.scala`` — ``bounded(p + 10, s)`` and ``bounded(p + 4, s + 4)``; AVG evaluates
  ``sum / CAST(count AS DECIMAL(20,0))`` with the division rule, then casts to its own type;
* ``sql/core/src/test/resources/sql-tests/results/decimalArithmeticOperations.sql.out`` — Spark's expected
  types and values, several of which are cases in ``tests/fixtures/decimals/cases.yaml``.

Values are rounded HALF_UP (away from zero on a tie) to the result scale; a value that does not fit is an
overflow error (Databricks SQL runs in ANSI mode: ``NUMERIC_VALUE_OUT_OF_RANGE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlglot import exp
from sqlglot.errors import SqlglotError

MAX_PRECISION = 38
MINIMUM_ADJUSTED_SCALE = 6

# Spark's DecimalType.forType for integral operands beside a decimal.
INTEGRAL_AS_DECIMAL: dict[str, tuple[int, int]] = {
    "TINYINT": (3, 0),
    "SMALLINT": (5, 0),
    "INT": (10, 0),
    "BIGINT": (20, 0),
}


@dataclass(frozen=True)
class DecimalType:
    """DECIMAL(precision, scale)."""

    precision: int
    scale: int

    @property
    def integer_digits(self) -> int:
        """Digits left of the point."""
        return self.precision - self.scale

    @property
    def sql(self) -> str:
        """The type as SQL, e.g. ``DECIMAL(38,6)``."""
        return f"DECIMAL({self.precision},{self.scale})"

    def __str__(self) -> str:
        return self.sql


#: Spark's default for a bare ``DECIMAL`` (DuckDB's would be DECIMAL(18,3)).
USER_DEFAULT = DecimalType(10, 0)
#: What COUNT is cast to when AVG divides by it.
LONG_DECIMAL = DecimalType(20, 0)


def bounded(precision: int, scale: int) -> DecimalType:
    """Spark's ``DecimalType.bounded``: each capped at 38 (SUM and AVG use it, no scale adjustment)."""
    return DecimalType(min(precision, MAX_PRECISION), min(scale, MAX_PRECISION))


def adjust_precision_scale(precision: int, scale: int) -> DecimalType:
    """Spark's ``DecimalType.adjustPrecisionScale``: keep the integer digits, give up scale down to min(6, s)."""
    if precision <= MAX_PRECISION:
        return DecimalType(precision, scale)
    integer_digits = precision - scale
    minimum_scale = min(scale, MINIMUM_ADJUSTED_SCALE)
    return DecimalType(MAX_PRECISION, max(MAX_PRECISION - integer_digits, minimum_scale))


def result_type(operator: str, left: DecimalType, right: DecimalType) -> DecimalType:
    """The type of ``left <operator> right`` for ``+``, ``-``, ``*`` or ``/`` (precision loss allowed)."""
    p1, s1, p2, s2 = left.precision, left.scale, right.precision, right.scale
    if operator in ("+", "-"):
        scale = max(s1, s2)
        return adjust_precision_scale(max(p1 - s1, p2 - s2) + scale + 1, scale)
    if operator == "*":
        return adjust_precision_scale(p1 + p2 + 1, s1 + s2)
    if operator == "/":
        scale = max(MINIMUM_ADJUSTED_SCALE, s1 + p2 + 1)
        return adjust_precision_scale(p1 - s1 + s2 + scale, scale)
    raise ValueError(f"no decimal rule for operator {operator!r}")


def sum_type(operand: DecimalType) -> DecimalType:
    """SUM over DECIMAL(p,s): DECIMAL(min(38, p+10), s)."""
    return bounded(operand.precision + 10, operand.scale)


def avg_type(operand: DecimalType) -> DecimalType:
    """AVG over DECIMAL(p,s): DECIMAL(min(38, p+4), min(38, s+4))."""
    return bounded(operand.precision + 4, operand.scale + 4)


def avg_division_type(operand: DecimalType) -> DecimalType:
    """The type AVG's ``sum / count`` is rounded to before the cast to :func:`avg_type` (Spark rounds twice)."""
    return result_type("/", sum_type(operand), LONG_DECIMAL)


def literal_type(text: str) -> DecimalType | None:
    """The type Spark gives a numeric literal beside a decimal: ``2`` -> (1,0), ``0.001`` -> (3,3), ``1.50`` ->
    (3,2). None for what is no exact numeric literal (``1e3`` is a DOUBLE on Databricks)."""
    if not text or any(c in text for c in "eE") or text.strip(".").strip() == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    digits = value.as_tuple()
    scale = max(-int(digits.exponent), 0)
    precision = len(digits.digits)
    if precision > MAX_PRECISION or scale > MAX_PRECISION:
        return None
    return DecimalType(max(precision, scale, 1), scale)


def integral_type(type_name: str) -> DecimalType | None:
    """An integer column's decimal counterpart (INT -> DECIMAL(10,0)), or None for other types."""
    shape = INTEGRAL_AS_DECIMAL.get(type_name.upper())
    return DecimalType(*shape) if shape else None


# --- typing a statement -----------------------------------------------------------------------------------

#: One table's columns as the engine names them: ``((catalog, schema, table), ((column, type), …))``.
TableColumns = tuple[tuple[str, str, str], tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class ColumnTypes:
    """The column types of the tables a statement reads, given to the (pure) translator by the engine.

    ``catalog`` and ``schema`` are where unqualified names resolve (the engine's current database); names are
    the engine's own (an aliased catalog under its alias). Hashable, so translations stay cached.
    """

    catalog: str
    schema: str
    tables: tuple[TableColumns, ...] = ()

    def mapping(self) -> dict[str, object]:
        """``{catalog: {schema: {table: {column: type}}}}`` for sqlglot's schema."""
        nested: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
        for (catalog, schema, table), columns in self.tables:
            typed = {name: _known_type(type_name) for name, type_name in columns}
            nested.setdefault(catalog, {}).setdefault(schema, {})[table] = typed
        return dict(nested)


def _known_type(type_name: str) -> str:
    """The engine's type when sqlglot reads it (DuckDB dialect), else UNKNOWN: one odd column must not stop
    the typing of the others."""
    try:
        exp.DataType.build(type_name, dialect="duckdb")
    except SqlglotError:
        return "UNKNOWN"
    return type_name


@dataclass(frozen=True)
class DecimalOp:
    """One decimal operation of a statement: what it is (``+ - * /``, ``sum``, ``avg``), its operands' types and
    the type Databricks gives its result."""

    kind: str
    operands: tuple[DecimalType, ...]
    result: DecimalType
