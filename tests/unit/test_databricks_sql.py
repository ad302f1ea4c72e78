"""Pure helpers of the Databricks engines, and the warehouse engine's polling against a slow statement API.

A warehouse that keeps a statement RUNNING, splits a result into chunks, or never finishes cannot be had from
the stand-in (it always answers at once, in one chunk): those cases use a small fake of the SDK's
``statement_execution`` that answers with the SDK's own response classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlglot
from databricks.sdk.errors import BadRequest, PermissionDenied
from databricks.sdk.service.sql import ColumnInfo, ColumnInfoTypeName, ResultData, StatementResponse

from lakealerts.engines.databricks_sql import (
    CHANGE_DATA_FEED,
    batched,
    count_placeholders,
    delta_table_sql,
    is_missing_table,
    named_markers,
    plan_error,
    zero_row_probe,
)
from lakealerts.engines.warehouse import WarehouseEngine, parse_value, to_parameter
from lakealerts.errors import EngineError, SetupError

pytestmark = pytest.mark.unit


# --- markers -----------------------------------------------------------------------------------------------


def test_question_marks_become_named_markers_in_text_order_and_nothing_else_changes() -> None:
    sql = "SELECT ?, '?' AS q, `?` -- ? here\n, /* ? */ x FROM t WHERE a = ? AND b = \"?\" AND c = ?"
    text, names = named_markers(sql)
    assert names == ["p1", "p2", "p3"]
    assert text == sql.replace("SELECT ?", "SELECT :p1").replace("a = ?", "a = :p2").replace("c = ?", "c = :p3")
    assert count_placeholders(sql) == 3


def test_text_without_markers_is_sent_as_written() -> None:
    sql = "SELECT  1   AS x -- as typed"
    assert named_markers(sql) == (sql, [])


def test_a_named_marker_that_clashes_is_refused() -> None:
    with pytest.raises(EngineError, match=":p1"):
        named_markers("SELECT :p1, ?")


def test_zero_row_probe_wraps_the_query_without_its_semicolon() -> None:
    probe = zero_row_probe("SELECT 1 AS x -- trailing comment\n;")
    assert probe.endswith("LIMIT 0") and ";" not in probe
    sqlglot.parse_one(probe, read="databricks")


# --- Delta DDL ---------------------------------------------------------------------------------------------

CREATE = "CREATE TABLE IF NOT EXISTS `c`.`s`.`rules` (\n  `id` STRING NOT NULL,\n  `v` INT,\n  PRIMARY KEY (`id`)\n)"


def test_create_table_gets_a_named_primary_key_delta_and_change_data_feed() -> None:
    tree = sqlglot.parse_one(delta_table_sql(CREATE), read="databricks")
    constraint = tree.find(sqlglot.exp.Constraint)
    assert constraint is not None and constraint.name == "pk_rules"
    assert [i.name for i in constraint.find(sqlglot.exp.PrimaryKey).expressions] == ["id"]
    properties = tree.args["properties"].expressions
    assert [p.this.name for p in properties if isinstance(p, sqlglot.exp.FileFormatProperty)] == ["DELTA"]
    assert {p.name: p.args["value"].name for p in properties if type(p) is sqlglot.exp.Property} == {
        CHANGE_DATA_FEED: "true"
    }
    assert "`id` STRING NOT NULL" in delta_table_sql(CREATE)


def test_delta_properties_are_not_added_twice() -> None:
    once = delta_table_sql(CREATE)
    assert delta_table_sql(once) == once


@pytest.mark.parametrize(
    "sql",
    ["ALTER TABLE `c`.`s`.`t` ADD COLUMN `x` STRING", "CREATE SCHEMA IF NOT EXISTS `c`.`s`", "SELECT 'CREATE TABLE'"],
)
def test_other_statements_are_left_exactly_as_written(sql: str) -> None:
    assert delta_table_sql(sql) is sql


# --- batching ----------------------------------------------------------------------------------------------


def test_insert_rows_become_one_values_list() -> None:
    (statement,) = batched("INSERT INTO t (a, b) VALUES (?, CAST(? AS TIMESTAMP))", [[1, 2], [3, 4], [5, 6]]) or []
    assert statement == ("INSERT INTO t (a, b) VALUES (?, CAST(? AS TIMESTAMP)), (?, CAST(? AS TIMESTAMP)), "
                         "(?, CAST(? AS TIMESTAMP))", [1, 2, 3, 4, 5, 6])  # fmt: skip


def test_merge_rows_become_one_union_all_source() -> None:
    merge = ("MERGE INTO t AS t USING (SELECT CAST(? AS STRING) AS k, ? AS v) AS s ON t.k = s.k "
             "WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (k, v) VALUES (s.k, s.v)")  # fmt: skip
    (statement,) = batched(merge, [["a", 1], ["b", 2]]) or []
    assert "SELECT CAST(? AS STRING) AS k, ? AS v UNION ALL SELECT CAST(? AS STRING) AS k, ? AS v" in statement[0]
    assert statement[1] == ["a", 1, "b", 2]


def test_large_batches_are_split_by_parameters_and_rows() -> None:
    rows = [[i, i] for i in range(7)]
    by_parameters = batched("INSERT INTO t VALUES (?, ?)", rows, max_parameters=6) or []
    assert [len(params) for _sql, params in by_parameters] == [6, 6, 2]
    by_rows = batched("INSERT INTO t VALUES (?, ?)", rows, max_rows=4) or []
    assert [len(params) for _sql, params in by_rows] == [8, 6]


def test_other_shapes_are_not_batched_and_rows_must_fit_the_markers() -> None:
    assert batched("UPDATE t SET a = ? WHERE b = ?", [[1, 2], [3, 4]]) is None
    assert batched("INSERT INTO t SELECT ? FROM u", [[1]]) is None
    with pytest.raises(EngineError, match="2 values for 1 parameter markers"):
        batched("INSERT INTO t VALUES (?)", [[1, 2]])


# --- messages ----------------------------------------------------------------------------------------------


def test_plan_errors_and_missing_tables_are_recognised() -> None:
    assert plan_error("== Physical Plan ==\n*(1) Scan") is None
    assert plan_error("Error occurred during query planning: \n[TABLE_OR_VIEW_NOT_FOUND] x") is not None
    assert is_missing_table("[TABLE_OR_VIEW_NOT_FOUND] The table or view `a`.`b`.`c` cannot be found.")
    assert is_missing_table('Catalog Error: Table with name t does not exist!\nDid you mean "u"?')
    assert is_missing_table("[SCHEMA_NOT_FOUND] The schema `x` cannot be found.")
    assert not is_missing_table("[UNRESOLVED_COLUMN] A column `x` cannot be resolved.")


# --- warehouse values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text", "sql_type"),
    [
        (True, "true", "BOOLEAN"),
        (42, "42", "BIGINT"),
        (2.5, "2.5", "DOUBLE"),
        (Decimal("1.10"), "1.10", "DECIMAL(38, 18)"),
        ("x", "x", "STRING"),
        (date(2026, 3, 1), "2026-03-01", "DATE"),
        (datetime(2026, 3, 1, 12, tzinfo=UTC), "2026-03-01T12:00:00+00:00", "TIMESTAMP"),
        (datetime(2026, 3, 1, 12), "2026-03-01T12:00:00", "TIMESTAMP_NTZ"),
        (["a", "b"], '["a", "b"]', "STRING"),
        ({"k": "v"}, '{"k": "v"}', "STRING"),
    ],
)
def test_parameters_are_text_with_a_type(value: Any, text: str, sql_type: str) -> None:
    parameter = to_parameter("p1", value)
    assert (parameter.name, parameter.value, parameter.type) == ("p1", text, sql_type)


def test_null_parameter_has_no_value() -> None:
    assert to_parameter("p1", None).as_dict() == {"name": "p1"}


@pytest.mark.parametrize(
    ("cell", "type_text", "expected"),
    [
        ("true", "BOOLEAN", True),
        ("12", "BIGINT", 12),
        ("NaN", "DOUBLE", "nan"),
        ("Infinity", "DOUBLE", float("inf")),
        ("1.50", "DECIMAL(10,2)", Decimal("1.50")),
        ("2026-03-01T12:00:00.000Z", "TIMESTAMP", datetime(2026, 3, 1, 12, tzinfo=UTC)),
        ("2026-03-01T12:00:00.000", "TIMESTAMP_NTZ", datetime(2026, 3, 1, 12)),
        ('["a",null]', "ARRAY<STRING>", ["a", None]),
        ('{"k":"v"}', "MAP<STRING,STRING>", {"k": "v"}),
        ("x", "STRING", "x"),
        (None, "INT", None),
    ],
)
def test_cells_are_parsed_by_their_column_type(cell: str | None, type_text: str, expected: Any) -> None:
    value = parse_value(cell, ColumnInfo(name="c", type_text=type_text))
    assert str(value) == expected if expected == "nan" else value == expected


# --- polling, chunks and failures against a fake statement API ---------------------------------------------


def _response(state: str, rows: list[list[str]] | None = None, next_chunk: int | None = None) -> StatementResponse:
    body: dict[str, Any] = {"statement_id": "s-1", "status": {"state": state}}
    if state == "SUCCEEDED":
        body["manifest"] = {"schema": {"columns": [{"name": "n", "type_name": "INT", "type_text": "INT"}]}}
        body["result"] = {"data_array": rows or [], **({"next_chunk_index": next_chunk} if next_chunk else {})}
    if state == "FAILED":
        body["status"]["error"] = {"error_code": "BAD_REQUEST", "message": "[UNRESOLVED_COLUMN] x"}
    return StatementResponse.from_dict(body)


@dataclass
class FakeStatements:
    """Answers from a script of responses; records what the engine asked."""

    script: list[StatementResponse]
    chunks: dict[int, ResultData] = field(default_factory=dict)
    raise_on_execute: Exception | None = None
    calls: list[str] = field(default_factory=list)

    def execute_statement(self, statement: str, warehouse_id: str, **options: Any) -> StatementResponse:
        self.calls.append(f"execute {statement} {[p.as_dict() for p in options.get('parameters') or []]}")
        if self.raise_on_execute:
            raise self.raise_on_execute
        return self.script.pop(0)

    def get_statement(self, statement_id: str) -> StatementResponse:
        self.calls.append(f"get {statement_id}")
        return self.script.pop(0)

    def get_statement_result_chunk_n(self, statement_id: str, chunk_index: int) -> ResultData:
        self.calls.append(f"chunk {chunk_index}")
        return self.chunks[chunk_index]

    def cancel_execution(self, statement_id: str) -> None:
        self.calls.append(f"cancel {statement_id}")


@dataclass
class FakeClient:
    statement_execution: FakeStatements


class Clock:
    """A monotonic clock that advances only when the engine sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def engine(statements: FakeStatements, timeout: float = 10.0) -> WarehouseEngine:
    clock = Clock()
    return WarehouseEngine(FakeClient(statements), "wh", timeout=timeout, poll_seconds=1.0,  # type: ignore[arg-type]
                           sleep=clock.sleep, monotonic=lambda: clock.now)  # fmt: skip


def test_a_running_statement_is_polled_and_every_chunk_is_read() -> None:
    chunk = ResultData(data_array=[["3"]], next_chunk_index=None)
    statements = FakeStatements(
        [_response("PENDING"), _response("RUNNING"), _response("SUCCEEDED", [["1"], ["2"]], next_chunk=1)],
        chunks={1: chunk},
    )
    result = engine(statements).execute("SELECT n FROM t WHERE n > ?", [0])
    assert result.rows == ((1,), (2,), (3,))
    assert statements.calls == [
        "execute SELECT n FROM t WHERE n > :p1 [{'name': 'p1', 'type': 'BIGINT', 'value': '0'}]",
        "get s-1",
        "get s-1",
        "chunk 1",
    ]


def test_a_statement_that_outlives_the_timeout_is_cancelled() -> None:
    statements = FakeStatements([_response("RUNNING")] * 20)
    with pytest.raises(EngineError, match="did not finish within 3 s"):
        engine(statements, timeout=3).execute("SELECT 1")
    assert statements.calls[-1] == "cancel s-1"


def test_failed_statements_and_refused_requests_are_engine_errors_other_api_errors_setup_errors() -> None:
    with pytest.raises(EngineError, match="UNRESOLVED_COLUMN"):
        engine(FakeStatements([_response("FAILED")])).execute("SELECT x")
    with pytest.raises(EngineError, match="refused the statement"):
        engine(FakeStatements([], raise_on_execute=BadRequest("statement too long"))).execute("SELECT 1")
    with pytest.raises(SetupError, match="cannot run statements on SQL warehouse wh"):
        engine(FakeStatements([], raise_on_execute=PermissionDenied("no CAN_USE"))).execute("SELECT 1")


def test_explain_fails_on_planning_errors_in_the_answer() -> None:
    answer = StatementResponse.from_dict({
        "statement_id": "s-1", "status": {"state": "SUCCEEDED"},
        "manifest": {"schema": {"columns": [{"name": "plan", "type_name": ColumnInfoTypeName.STRING.value}]}},
        "result": {"data_array": [["Error occurred during query planning: "], ["[TABLE_OR_VIEW_NOT_FOUND] t"]]},
    })  # fmt: skip
    with pytest.raises(EngineError, match="TABLE_OR_VIEW_NOT_FOUND"):
        engine(FakeStatements([answer])).explain("SELECT * FROM t")
