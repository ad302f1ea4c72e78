"""Databricks' decimal arithmetic on the DuckDB engine (DESIGN §10.3): Spark's expected types and values as
data (tests/fixtures/decimals/cases.yaml), every kernel against Python's exact decimal arithmetic rounded
HALF_UP, and the billing cost formula over 1,000,000 usage rows."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import EngineError
from lakealerts.sql.decimals import DecimalType, result_type

pytestmark = pytest.mark.integration
CASES = yaml.safe_load((Path(__file__).parent.parent / "fixtures" / "decimals" / "cases.yaml").read_text())
_AGGREGATE = re.compile(r"^\s*(SUM|AVG)\(", re.I)
_OVERFLOW = r"(?i)overflow|out of range|could not cast"


@pytest.fixture(scope="module")
def engine() -> Iterator[DuckDBEngine]:
    with DuckDBEngine.memory("monitoring") as engine:
        yield engine


def _table(engine: DuckDBEngine, columns: dict[str, str], rows: list[list[Any]]) -> None:
    engine.execute("DROP TABLE IF EXISTS t")
    engine.execute(f"CREATE TABLE t (row_no INT, {', '.join(f'{n} {t}' for n, t in columns.items())})")
    names = list(columns)[: len(rows[0])]
    values = ", ".join(f"CAST(? AS {columns[name]})" for name in names)
    engine.execute_many(
        f"INSERT INTO t (row_no, {', '.join(names)}) VALUES (?, {values})", [[n, *row] for n, row in enumerate(rows)]
    )


def _expected(value: str | None, type_name: str) -> Any:
    if value is None:
        return None
    return float(value) if type_name == "DOUBLE" else Decimal(value)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["name"])
def test_case(engine: DuckDBEngine, case: dict[str, Any]) -> None:
    _table(engine, case["columns"], case["rows"])
    order = "" if _AGGREGATE.match(case["expression"]) else " ORDER BY row_no"
    sql = f"SELECT {case['expression']} AS v FROM t{order}"
    assert [column.type for column in engine.describe(sql)] == [case["type"]]
    if case.get("error") == "overflow":
        with pytest.raises(EngineError, match=_OVERFLOW):
            engine.execute(sql)
        return
    values = [row[0] for row in engine.execute(sql).rows]
    assert values == [_expected(value, case["type"]) for value in case["values"]]


# Operand types the kernels compute exactly; ops on a row that fail on Databricks (overflow, division by zero)
# are NULL through TRY here and None in the oracle.
_COMBINATIONS = [
    ((38, 18), (38, 18)),
    ((38, 6), (38, 6)),
    ((10, 2), (38, 18)),
    ((20, 0), (38, 18)),
    ((38, 0), (10, 0)),
    ((18, 4), (18, 4)),
    ((28, 10), (19, 18)),
    ((38, 6), (38, 18)),  # a cost times a rate: the integer part multiplies in two chunks
]
# Documented DOUBLE fallbacks (cast to the same type): a product whose integer part would need three chunks, a
# divisor of 30 digits or more unscaled (a DECIMAL(38,18) from 10^11).
_FALLBACKS = [(((38, 22), (38, 6)), "*", None), (((38, 6), (38, 18)), "/", 38)]


def _random_value(rng: random.Random, t: tuple[int, int], digits: int | None = None) -> Decimal:
    """A value of type ``t`` (``digits``: at most that many unscaled digits)."""
    precision, scale = t
    integer_digits = min(rng.choice([0, 1, 3, precision - scale]), min(digits or precision, precision) - scale)
    whole = rng.randrange(10**integer_digits) if integer_digits else 0
    fraction = rng.randrange(10**scale) if scale and rng.random() < 0.9 else 0
    value = Decimal(whole) + Decimal(fraction).scaleb(-scale)
    return -value if rng.random() < 0.3 else value


def _spark(operator: str, a: Decimal, b: Decimal, result: DecimalType) -> Decimal | None:
    with localcontext() as context:
        context.prec, context.rounding = 200, ROUND_HALF_UP
        if operator == "/" and b == 0:
            return None
        exact = a + b if operator == "+" else a - b if operator == "-" else a * b if operator == "*" else a / b
        value = exact.quantize(Decimal(1).scaleb(-result.scale))
    return None if abs(value) >= Decimal(10) ** result.integer_digits else value


@pytest.mark.parametrize("operator", ["+", "-", "*", "/"])
@pytest.mark.parametrize("types", _COMBINATIONS, ids=lambda t: f"{t[0]}x{t[1]}")
def test_kernels_are_exact(engine: DuckDBEngine, types: tuple[tuple[int, int], ...], operator: str) -> None:
    divisor_digits = 29 if operator == "/" else None  # exact below 10^29 unscaled
    for a, b, value, expected in _run(engine, types, operator, divisor_digits):
        assert value == expected, f"{a} {operator} {b}"


@pytest.mark.parametrize(("types", "operator", "digits"), _FALLBACKS, ids=lambda v: str(v))
def test_fallbacks_are_close_and_in_the_same_type(
    engine: DuckDBEngine, types: tuple[tuple[int, int], ...], operator: str, digits: int | None
) -> None:
    for a, b, value, expected in _run(engine, types, operator, digits):
        if expected is not None and value is not None and expected:
            assert abs(value - expected) <= abs(expected) * Decimal("1e-14") + Decimal("1e-6"), f"{a} {operator} {b}"


def _run(
    engine: DuckDBEngine, types: tuple[tuple[int, int], ...], operator: str, divisor_digits: int | None
) -> list[tuple[Decimal, Decimal, Decimal | None, Decimal | None]]:
    """300 random rows of ``a <operator> b`` on DuckDB (type checked), with Spark's exact answer beside each."""
    rng = random.Random(f"{types}{operator}")
    first, second = (DecimalType(*t) for t in types)
    rows = [[str(_random_value(rng, types[0])), str(_random_value(rng, types[1], divisor_digits))] for _ in range(300)]
    _table(engine, {"a": first.sql, "b": second.sql}, rows)
    result = result_type(operator, first, second)
    sql = f"SELECT a, b, TRY(a {operator} b) AS v FROM t ORDER BY row_no"
    assert [c.type for c in engine.describe(sql)][-1] == result.sql
    return [(a, b, value, _spark(operator, a, b, result)) for a, b, value in engine.execute(sql).rows]


def test_billing_cost_formula_over_a_million_rows_is_exact(engine: DuckDBEngine) -> None:
    """SUM(u.usage_quantity * p.pricing.default), both DECIMAL(38,18), as Databricks computes it (each product
    rounded to DECIMAL(38,6), then summed); it overflowed on DuckDB ("Overflow in SUM of DECIMAL")."""
    engine.execute("DROP TABLE IF EXISTS usage")
    engine.execute("DROP TABLE IF EXISTS list_prices")
    # 2,003 distinct quantities up to 999.999… with 18 decimals, over three SKUs: products far beyond 100.
    engine.execute(
        "CREATE TABLE usage AS SELECT CAST(concat(CAST(k % 1000 AS STRING), '.', "
        "lpad(CAST(k * 7919 * 104729 % 1000000000000000000 AS STRING), 18, '0')) AS DECIMAL(38,18)) "
        "AS usage_quantity, concat('SKU_', CAST(i % 3 AS STRING)) AS sku_name "
        "FROM (SELECT id AS i, id % 2003 AS k FROM range(1000000) AS r(id))"
    )
    engine.execute("CREATE TABLE list_prices (sku_name STRING, pricing STRUCT<default: DECIMAL(38,18)>)")
    prices = {"SKU_0": "0.550000000000000000", "SKU_1": "7.123456789012345678", "SKU_2": "0.070000000000000001"}
    for sku, price in prices.items():
        engine.execute("INSERT INTO list_prices VALUES (?, named_struct('default', CAST(? AS DECIMAL(38,18))))",
                       [sku, price])  # fmt: skip
    formula = (
        "SELECT SUM(u.usage_quantity * p.pricing.default) AS cost "
        "FROM usage AS u JOIN list_prices AS p ON u.sku_name = p.sku_name"
    )
    ((cost,),) = engine.execute(formula).rows
    assert [c.type for c in engine.describe(formula)] == ["DECIMAL(38,6)"]
    counts = engine.execute("SELECT usage_quantity, sku_name, COUNT(*) FROM usage GROUP BY ALL").rows
    with localcontext() as context:
        context.prec, context.rounding = 100, ROUND_HALF_UP
        unit = Decimal("0.000001")
        expected = sum(n * (q * Decimal(prices[sku])).quantize(unit) for q, sku, n in counts)
    assert len(counts) == 6009
    assert cost == expected
