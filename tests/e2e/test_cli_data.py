"""``data load`` / ``data list`` as a user runs them: a Parquet snapshot becomes prod.sales.orders and a rule on
it evaluates; bad paths, formats and names exit 2 naming them; --replace is the only way to overwrite."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml

from tests.conftest import Cli

pytestmark = pytest.mark.e2e

ORDERS = (
    "SELECT range AS order_id, 'c' || CAST(range % 7 AS VARCHAR) AS customer_id, "
    "CAST(range AS DECIMAL(10,2)) * 1.5 AS amount, TIMESTAMP '2026-03-10 00:00:00' + INTERVAL (range) MINUTE "
    "AS ordered_at FROM range({rows})"
)
RULE = {
    "alert_id": "ORDERS-BIG",
    "alert_name": "Big order volume",
    "agent_domain": "SALES",
    "severity": "WARNING",
    "alert_query_template": "SELECT SUM(amount) AS revenue, COUNT(*) AS orders, MAX(ordered_at) AS latest\n"
    "FROM prod.sales.orders WHERE ordered_at >= TIMESTAMP'2026-03-10 00:00:00'",
    "threshold_column": "revenue",
    "threshold_operator": ">",
    "threshold_value_type": "DOUBLE",
    "threshold_value_double": 1000,
    "schedule_cron": "0 0 * * * ?",
    "owner": "sales@example.com",
}


def write(path: Path, rows: int, file_format: str = "parquet") -> Path:
    """A snapshot written the way a workspace export would be (here by DuckDB itself)."""
    with duckdb.connect() as connection:
        connection.execute(f"COPY ({ORDERS.format(rows=rows)}) TO '{path}' (FORMAT {file_format})")
    return path


def test_a_rule_on_a_loaded_parquet_file_evaluates(cli: Cli, tmp_path: Path) -> None:
    snapshot = write(tmp_path / "orders.parquet", 100)
    loaded = cli("data", "load", str(snapshot), "--table", "prod.sales.orders", "--json")
    assert loaded.code == 0, loaded.stderr
    assert loaded.json()["rows"] == 100 and loaded.json()["replaced"] is False
    assert loaded.json()["catalog_file"] == str(cli.home / "catalogs" / "prod.duckdb")
    columns = {c["name"]: c["type"] for c in loaded.json()["columns"]}
    assert columns["ordered_at"] == "TIMESTAMP WITH TIME ZONE"  # naive timestamps are read in UTC

    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump([RULE]))
    assert cli("init").code == 0
    assert cli("rules", "import", str(rules)).code == 0
    assert cli("validate", "--rule", "ORDERS-BIG").code == 0
    evaluated = cli("eval", "ORDERS-BIG", "--json")
    assert evaluated.code == 0, evaluated.stderr
    (result,) = evaluated.json()
    assert (result["state"], result["error"]) == ("TRIGGERED", None)
    assert float(result["value"]) == pytest.approx(1.5 * sum(range(100)))

    listed = cli("data", "list", "--json")
    assert listed.code == 0, listed.stderr
    by_catalog = {c["catalog"]: c for c in listed.json()["catalogs"]}
    assert by_catalog["prod"]["tables"] == [{"schema": "sales", "table": "orders", "rows": 100}]
    assert {"schema": "gold", "table": "alert_configurations", "rows": 1} in by_catalog["monitoring"]["tables"]


def test_replace_is_the_only_way_to_overwrite(cli: Cli, tmp_path: Path) -> None:
    first = write(tmp_path / "orders.parquet", 10)
    second = write(tmp_path / "more.parquet", 25)
    assert cli("data", "load", str(first), "--table", "prod.sales.orders").code == 0

    refused = cli("data", "load", str(second), "--table", "prod.sales.orders")
    assert refused.code == 2
    assert "prod.sales.orders already exists" in refused.stderr and "--replace" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert count(cli, "prod") == 10

    replaced = cli("data", "load", str(second), "--table", "prod.sales.orders", "--replace", "--json")
    assert replaced.code == 0, replaced.stderr
    assert replaced.json()["replaced"] is True
    assert count(cli, "prod") == 25


def count(cli: Cli, catalog: str) -> int:
    listed = {c["catalog"]: c for c in cli("data", "list", "--json").json()["catalogs"]}
    return int(listed[catalog]["tables"][0]["rows"])


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_csv_and_json_load_too(cli: Cli, tmp_path: Path, file_format: str) -> None:
    snapshot = write(tmp_path / f"orders.{file_format}", 5, file_format)
    loaded = cli("data", "load", str(snapshot), "--table", "raw.landing.orders", "--json")
    assert loaded.code == 0, loaded.stderr
    assert loaded.json()["format"] == file_format and loaded.json()["rows"] == 5


def test_a_missing_file_exits_2_naming_it(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "orders.parquet"
    result = cli("data", "load", str(missing), "--table", "prod.sales.orders")
    assert result.code == 2
    assert str(missing) in result.stderr and "fix:" in result.stderr and "Traceback" not in result.stderr
    assert not (cli.home / "catalogs" / "prod.duckdb").exists()


@pytest.mark.parametrize(("name", "content"), [("orders.csv", b""), ("orders.parquet", b""), ("orders.json", b""),
                                              ("orders.csv", b"\n"), ("orders.json", b"  \r\n\t"),
                                              ("orders.csv", b"\xef\xbb\xbf\n")])  # fmt: skip
def test_an_empty_file_exits_2_naming_it_and_leaves_nothing(
    cli: Cli, tmp_path: Path, name: str, content: bytes
) -> None:
    empty = tmp_path / name
    empty.write_bytes(content)
    result = cli("data", "load", str(empty), "--table", "prod.sales.orders")
    assert result.code == 2 and f"{empty} is empty" in result.stderr and "Traceback" not in result.stderr
    assert not (cli.home / "catalogs" / "prod.duckdb").exists()


def test_a_file_in_another_format_exits_2_naming_it_and_leaves_nothing(cli: Cli, tmp_path: Path) -> None:
    csv = write(tmp_path / "orders.csv", 5, "csv")
    wrong = cli("data", "load", str(csv), "--table", "prod.sales.orders", "--format", "parquet")
    assert wrong.code == 2
    assert f"cannot read {csv} as parquet" in wrong.stderr and "--format" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    assert not (cli.home / "catalogs" / "prod.duckdb").exists()

    notes = tmp_path / "notes.txt"
    notes.write_text("not a table")
    unknown = cli("data", "load", str(notes), "--table", "prod.sales.orders")
    assert unknown.code == 2 and "notes.txt" in unknown.stderr and "--format" in unknown.stderr


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("prod.orders", "'prod.orders': it has 2 part(s), not 3"),
        ("prod.sa;les.orders", "invalid schema name 'sa;les'"),
        ("monitoring.gold.alert_configurations", "one of lakealerts' own tables"),
    ],
)
def test_a_bad_table_name_exits_2_naming_it(cli: Cli, tmp_path: Path, table: str, message: str) -> None:
    snapshot = write(tmp_path / "orders.parquet", 3)
    result = cli("data", "load", str(snapshot), "--table", table)
    assert result.code == 2
    assert message in result.stderr and "fix:" in result.stderr and "Traceback" not in result.stderr


def test_a_store_catalog_that_shadows_a_loaded_catalog_is_an_error(cli: Cli, tmp_path: Path) -> None:
    """``--catalog prod`` when ``prod`` is also a loaded catalog's file: rules reading prod.sales.orders would
    silently read the store instead; every command says so (exit 2) and nothing is opened."""
    snapshot = write(tmp_path / "orders.parquet", 5)
    assert cli("data", "load", str(snapshot), "--table", "prod.sales.orders").code == 0
    for command in (["data", "list"], ["--catalog", "PROD", "init"]):
        result = cli("--catalog", "prod", *command) if command[0] != "--catalog" else cli(*command)
        assert result.code == 2 and "Traceback" not in result.stderr, result.stderr
        assert "prod.duckdb" in result.stderr and "another catalog name" in result.stderr
    listed = cli("data", "list", "--json")  # the default store catalog still sees prod's table
    catalogs = {entry["catalog"]: entry for entry in listed.json()["catalogs"]}
    assert listed.code == 0 and [(t["schema"], t["table"]) for t in catalogs["prod"]["tables"]] == [("sales", "orders")]
