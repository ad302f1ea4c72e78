"""Engine checks on a real DuckDB: missing tables and columns, output columns and types, classified."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.sql.identifiers import Namespace
from lakealerts.validate import validate_rules
from tests.builders import make_rule

pytestmark = pytest.mark.integration
CASES = yaml.safe_load((Path(__file__).parent.parent / "fixtures" / "validation" / "engine_cases.yaml").read_text())


@pytest.fixture(scope="module", params=["monitoring", "main"])
def engine(request: pytest.FixtureRequest) -> Iterator[tuple[DuckDBEngine, Namespace]]:
    catalog = request.param
    with DuckDBEngine.memory(catalog) as engine:
        engine.execute(f"CREATE SCHEMA IF NOT EXISTS `{catalog}`.gold")
        engine.execute(
            f"CREATE TABLE `{catalog}`.gold.t (value DOUBLE, name STRING, flag BOOLEAN, n INT, d DATE, "
            "s STRUCT<a: INT>, q DECIMAL(38,18), p DECIMAL(38,18))"
        )
        # n = 1: a usage row any cost formula handles; n = 2: a product beyond DECIMAL(38,6) (10^38), on Databricks too.
        engine.execute(f"INSERT INTO `{catalog}`.gold.t (n, q, p) VALUES (1, 12.5, 0.55), (2, 1e19, 1e19)")
        yield engine, Namespace(catalog, "gold")


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["name"])
def test_engine_case(engine: tuple[DuckDBEngine, Namespace], case: dict[str, Any]) -> None:
    duck, namespace = engine
    rule = make_rule(**case["rule"])
    (result,) = validate_rules([rule], [], namespace, duck).results
    assert [f.code for f in result.findings] == ([] if case["expect"] is None else [case["expect"]])
    for finding in result.findings:
        assert finding.message and finding.hint
        assert case.get("hint", "") in finding.hint
        assert case.get("message", "") in finding.message


def test_engine_message_is_kept(engine: tuple[DuckDBEngine, Namespace]) -> None:
    duck, namespace = engine
    rule = make_rule(alert_query_template="SELECT value AS value FROM ${catalog}.${gold_schema}.nope")
    (finding,) = validate_rules([rule], [], namespace, duck).results[0].findings
    assert "nope" in finding.message and "does not exist" in finding.message


def test_static_findings_skip_the_engine(engine: tuple[DuckDBEngine, Namespace]) -> None:
    duck, namespace = engine
    rule = make_rule(alert_query_template="SELECT value AS v FROM ${catalog}.${gold_schema}.nope")
    (finding,) = validate_rules([rule], [], namespace, duck).results[0].findings
    assert finding.code == "THRESHOLD_COLUMN_NOT_IN_OUTPUT"  # not ENGINE_TABLE_NOT_FOUND: engine never asked
