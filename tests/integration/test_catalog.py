"""The 29 pre-built rules on the demo gold layer, on a real DuckDB: they load, run after translation, and
exactly the documented subset fires on the as-of day; the demo data is deterministic; seeding is safe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from lakealerts import catalog
from lakealerts.catalog.seeding import DEFAULT_EMAIL, seed_catalog
from lakealerts.demo.generator import DEMO_TABLES, generate
from lakealerts.demo.model import DemoPlan, DemoTable
from lakealerts.documents import parse_rules
from lakealerts.engines.base import QueryResult
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import UsageError
from lakealerts.model import Aggregation, AlertRule
from lakealerts.runtime.evaluator import evaluate
from lakealerts.sql.identifiers import Namespace
from lakealerts.sql.render import render
from lakealerts.store.store import Store
from lakealerts.store.tables import ALERT_CONFIGURATIONS

pytestmark = pytest.mark.integration

NAMESPACE = Namespace("monitoring", "gold")
TEST_ROWS = 20_000
RULES = {rule.alert_id: rule for rule in catalog.load_rules()}
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


# --- helpers ----------------------------------------------------------------------------------------------


def as_of_sql(rule: AlertRule, as_of: date) -> str:
    """The rule's SQL rendered for NAMESPACE, with CURRENT_DATE() pinned to ``as_of``."""
    tree = sqlglot.parse_one(render(rule.alert_query_template, NAMESPACE), read="databricks")
    day = exp.cast(exp.Literal.string(as_of.isoformat()), exp.DataType.build("DATE"))
    pinned = tree.transform(lambda node: day.copy() if isinstance(node, exp.CurrentDate) else node)
    return pinned.sql(dialect="databricks")


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def alert_value(rule: AlertRule, result: QueryResult) -> Any:
    """DESIGN §4: the first row's value, or the SQL aggregate over the column (NULLs skipped)."""
    values = [row[rule.threshold_column] for row in result.as_dicts()]
    present = [value for value in values if value is not None]
    aggregation = rule.aggregation_type
    if aggregation in (None, Aggregation.FIRST):
        return values[0]
    if aggregation is Aggregation.COUNT:
        return len(present)
    reducers: dict[Aggregation, Callable[[list[Any]], Any]] = {Aggregation.SUM: sum, Aggregation.MAX: max}
    return reducers[aggregation](present) if present else None


def alert_state(rule: AlertRule, result: QueryResult) -> str:
    """TRIGGERED or OK for the DOUBLE thresholds the catalogue uses; empty result -> empty_result_state."""
    if not result.rows:
        return rule.empty_result_state.value
    value = alert_value(rule, result)
    if value is None:  # a NULL operand never satisfies a comparison
        return "OK"
    threshold = rule.threshold_value
    assert isinstance(threshold, float)
    return "TRIGGERED" if _COMPARE[rule.threshold_operator](float(value), threshold) else "OK"


def table_digest(engine: DuckDBEngine, table: DemoTable) -> str:
    """A digest of every value in stored order: equal digests mean equal contents in equal order."""
    values = ", ".join(f"coalesce(CAST({name} AS STRING), '<null>')" for name in table.column_names)
    rows = engine.execute(f"SELECT md5(concat_ws('|', {values})) AS h FROM {NAMESPACE.table(table.name)}").rows
    return hashlib.sha256("".join(row[0] for row in rows).encode()).hexdigest()


def demo_engine(rows: int, as_of: date) -> DuckDBEngine:
    engine = DuckDBEngine.memory(NAMESPACE.catalog)
    generate(engine, NAMESPACE, DemoPlan(rows, as_of))
    return engine


# An ordinary day, and a first of January (month and year boundaries inside every look-back window).
@pytest.fixture(scope="module", params=[date(2026, 3, 10), date(2027, 1, 1)], ids=str)
def demo(request: pytest.FixtureRequest) -> Iterator[tuple[DuckDBEngine, date]]:
    as_of: date = request.param
    with demo_engine(TEST_ROWS, as_of) as engine:
        yield engine, as_of


# --- the catalogue as data --------------------------------------------------------------------------------


def test_29_rules_in_five_domains_with_unique_ids() -> None:
    rules = catalog.load_rules()
    assert len(rules) == len(RULES) == 29
    domains = [rule.agent_domain for rule in rules]
    assert {domain: domains.count(domain) for domain in catalog.DOMAINS} == {
        "COST": 6,
        "SECURITY": 8,
        "PERFORMANCE": 5,
        "RELIABILITY": 5,
        "QUALITY": 5,
    }
    # Each id is the domain's prefix and a number, and its file is the domain's file.
    for rule in rules:
        prefix = {"SECURITY": "SEC", "PERFORMANCE": "PERF", "RELIABILITY": "REL", "QUALITY": "QUAL"}
        assert rule.alert_id.split("-")[0] == prefix.get(rule.agent_domain, rule.agent_domain)
        assert rule.source_artifact_name == f"lakealerts/catalog/rules/{rule.agent_domain.lower()}.yaml"


@pytest.mark.parametrize("alert_id", sorted(RULES))
def test_rule_is_written_as_the_design_asks(alert_id: str) -> None:
    rule = RULES[alert_id]
    template = rule.alert_query_template
    assert "${catalog}.${gold_schema}." in template and "CURRENT_DATE()" in template
    assert rule.notification_channels == [catalog.DEFAULT_DESTINATION_ID]
    assert rule.owner.endswith("@example.com") and rule.alert_description
    tree = sqlglot.parse_one(render(template, NAMESPACE), read="databricks")
    assert isinstance(tree, exp.Select)
    # Every output column is named: aliased expressions or plain columns, never `*` or a bare expression.
    outputs = tree.expressions
    assert all(isinstance(e, exp.Alias | exp.Column) for e in outputs), [e.sql() for e in outputs]
    assert rule.threshold_column in [e.alias_or_name for e in outputs]
    # The threshold lives in the alert condition: no HAVING anywhere that would hide the value.
    assert not list(tree.find_all(exp.Having))


def test_expected_triggered_names_pre_built_rules_with_reasons() -> None:
    expected = catalog.expected_triggered()
    assert set(expected) < set(RULES)
    assert all(len(reason) > 20 for reason in expected.values())
    # Every domain has rules that fire and rules that stay OK, so the demo shows both.
    for domain in catalog.DOMAINS:
        in_domain = {i for i, rule in RULES.items() if rule.agent_domain == domain}
        assert in_domain & set(expected) and in_domain - set(expected), domain


def test_an_invalid_shipped_rule_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = [{**RULES["COST-001"].model_dump(mode="json"), "schedule_cron": "0 0 8 * * 1"}]
    monkeypatch.setattr(catalog, "_read", lambda name: broken)
    catalog.load_rules.cache_clear()
    try:
        with pytest.raises(catalog.CatalogError, match="COST-001"):
            catalog.load_rules()
    finally:
        monkeypatch.undo()
        catalog.load_rules.cache_clear()
    assert len(catalog.load_rules()) == 29


# --- the rules on the demo data ---------------------------------------------------------------------------


@pytest.mark.parametrize("alert_id", sorted(RULES))
def test_rule_fires_on_the_as_of_day_exactly_when_documented(alert_id: str, demo: tuple[DuckDBEngine, date]) -> None:
    engine, as_of = demo
    rule = RULES[alert_id]
    result = engine.execute(as_of_sql(rule, as_of))
    assert rule.threshold_column in result.column_names
    expected = "TRIGGERED" if alert_id in catalog.expected_triggered() else "OK"
    state = alert_state(rule, result)
    value = alert_value(rule, result) if result.rows else None
    assert state == expected, (
        f"{alert_id}: {rule.threshold_column}={value!r} {rule.threshold_operator} {rule.threshold_value}"
    )
    # The runtime's evaluator (DESIGN §4) agrees with this test's reading of the semantics.
    assert evaluate(rule, result.column_names, result.rows).state == expected


def test_rules_are_ok_on_a_day_without_anomalies(demo: tuple[DuckDBEngine, date]) -> None:
    # Two days before the as-of day nothing was injected: no rule may fire from the background alone.
    engine, as_of = demo
    quiet = as_of - timedelta(days=2)
    fired = [i for i, rule in RULES.items() if alert_state(rule, engine.execute(as_of_sql(rule, quiet))) != "OK"]
    assert fired == []


def test_the_rules_fire_alike_at_a_much_larger_size() -> None:
    # The background is built so that the rules' values do not depend on --rows.
    as_of = date(2026, 3, 10)
    with demo_engine(300_000, as_of) as engine:
        fired = {i for i, rule in RULES.items() if alert_state(rule, engine.execute(as_of_sql(rule, as_of))) != "OK"}
    assert fired == set(catalog.expected_triggered())


def test_functions_the_catalogue_relies_on_mean_on_duckdb_what_they_mean_on_databricks() -> None:
    with DuckDBEngine.memory("monitoring") as engine:
        row = engine.execute(
            "SELECT timestampdiff(HOUR, TIMESTAMP'2026-01-01 10:59:00', TIMESTAMP'2026-01-01 12:58:00') AS h, "
            "timestampdiff(MINUTE, TIMESTAMP'2026-01-01 10:00:30', TIMESTAMP'2026-01-01 10:02:00') AS m, "
            "map_contains_key(map('team', 'a'), 'team') AS has_team, map_contains_key(map(), 'team') AS empty"
        ).rows[0]
    assert row == (1, 1, True, False)


# --- the demo data ----------------------------------------------------------------------------------------


def test_same_rows_and_as_of_give_identical_tables_and_another_day_does_not() -> None:
    as_of = date(2026, 3, 10)
    with demo_engine(3_000, as_of) as first, demo_engine(3_000, as_of) as second:
        digests = {table.name: table_digest(first, table) for table in DEMO_TABLES}
        assert digests == {table.name: table_digest(second, table) for table in DEMO_TABLES}
    with demo_engine(3_000, as_of + timedelta(days=1)) as other:
        assert table_digest(other, DEMO_TABLES[0]) != digests[DEMO_TABLES[0].name]


def test_tables_have_the_declared_columns_and_scale_with_rows() -> None:
    as_of = date(2026, 3, 10)
    small, large = DemoPlan(3_000, as_of), DemoPlan(30_000, as_of)
    with DuckDBEngine.memory("monitoring") as engine:
        counts = [generate(engine, NAMESPACE, plan).table_rows for plan in (small, large)]
        for table in DEMO_TABLES:
            columns = engine.table_columns(NAMESPACE.catalog, NAMESPACE.schema, table.name)
            assert columns is not None
            assert [c.name for c in columns] == list(table.column_names)
        dates = engine.execute(f"SELECT MIN(usage_date), MAX(usage_date) FROM {NAMESPACE.table('billing_usage')}")
    assert dates.rows[0] == (as_of - timedelta(days=34), as_of)
    for name in ("billing_usage", "audit_log", "query_history"):
        assert counts[1][name] - counts[0][name] == (large.rows - small.rows) // 3
    assert counts[0]["job_run_timeline"] == counts[1]["job_run_timeline"] == 35 * 410


# --- seeding ----------------------------------------------------------------------------------------------


class RecordingEngine:
    """The DuckDB engine, recording every statement it is given (a spy on our own port)."""

    def __init__(self, engine: DuckDBEngine) -> None:
        self._engine = engine
        self.name = engine.name
        self.statements: list[str] = []

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._engine, attribute)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> QueryResult:
        self.statements.append(sql)
        return self._engine.execute(sql, params)

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.statements.append(sql)
        self._engine.execute_many(sql, rows)


@pytest.fixture
def store() -> Iterator[Store]:
    with DuckDBEngine.memory(NAMESPACE.catalog) as engine:
        store = Store(RecordingEngine(engine), NAMESPACE, "tester")  # type: ignore[arg-type]
        store.init()
        yield store


def user_rule() -> AlertRule:
    document = {**RULES["COST-001"].model_dump(mode="json"), "alert_id": "MY-COST", "alert_name": "Mine"}
    return parse_rules([document]).valid[0]


def snapshot(store: Store) -> list[dict[str, Any]]:
    return [s.model_dump() for s in store.load_rules()]


def test_seed_inserts_every_rule_and_the_destination_then_changes_nothing(store: Store) -> None:
    first = seed_catalog(store, T0)
    assert sorted(first.inserted) == sorted(RULES) and first.destination == "created"
    (destination,) = store.load_destinations()
    assert destination.destination.config_json == {"addresses": [DEFAULT_EMAIL]}
    before = snapshot(store)
    second = seed_catalog(store, T0 + timedelta(hours=1))
    assert (second.inserted, second.restored, second.destination) == ([], [], "unchanged")
    assert sorted(second.unchanged) == sorted(RULES)
    assert snapshot(store) == before


def test_seed_never_overwrites_an_edited_rule_and_force_restores_it_keeping_identity(store: Store) -> None:
    seed_catalog(store, T0)
    store.upsert_rules([user_rule()], T0)
    table = store.table(ALERT_CONFIGURATIONS)
    store.engine.execute(
        f"UPDATE {table} SET threshold_value_double = 1, databricks_alert_id = 'db-42', "
        "last_sync_status = 'UPDATED' WHERE alert_id = 'COST-001'"
    )
    later = T0 + timedelta(days=1)
    assert seed_catalog(store, later).inserted == []
    assert store.get_rule("COST-001").rule.threshold_value_double == 1  # plain seed keeps the user's edit

    report = seed_catalog(store, later, force=True)
    assert report.restored == ["COST-001"] and report.inserted == []
    restored = store.get_rule("COST-001")
    assert restored.rule == RULES["COST-001"]
    assert (restored.sync.databricks_alert_id, restored.sync.last_sync_status) == ("db-42", "UPDATED")
    assert (restored.audit.created_at, restored.audit.updated_at) == (T0, later)
    mine = store.get_rule("MY-COST")
    assert (mine.rule, mine.audit.updated_at) == (user_rule(), T0)


def test_seed_writes_rules_with_merges_only(store: Store) -> None:
    # No DELETE-then-insert (DESIGN §9): at no moment is the table without the pre-built rules.
    spy: RecordingEngine = store.engine  # type: ignore[assignment]
    seed_catalog(store, T0)
    seed_catalog(store, T0 + timedelta(days=1), force=True)
    writes = [s.split()[0].upper() for s in spy.statements if ALERT_CONFIGURATIONS.name in s]
    assert "DELETE" not in writes and "TRUNCATE" not in writes
    assert {w for w in writes if w not in ("SELECT", "CREATE")} == {"MERGE"}


def test_insert_missing_rules_reports_only_what_it_inserted(store: Store) -> None:
    rules = list(catalog.load_rules())
    store.upsert_rules(rules[:3], T0)
    assert store.insert_missing_rules(rules, T0) == [rule.alert_id for rule in rules[3:]]
    assert store.insert_missing_rules(rules, T0) == []


def test_default_destination_changes_only_with_an_explicit_email(store: Store) -> None:
    assert seed_catalog(store, T0, email="ops@example.com").destination == "created"
    assert seed_catalog(store, T0).destination == "unchanged"
    assert seed_catalog(store, T0, email="oncall@example.com").destination == "updated"
    (destination,) = store.load_destinations()
    assert destination.destination.config_json == {"addresses": ["oncall@example.com"]}
    with pytest.raises(UsageError, match="not-an-address"):
        seed_catalog(store, T0, email="not-an-address")


# --- the documentation ------------------------------------------------------------------------------------


def test_docs_list_every_rule_table_column_and_the_triggering_subset() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "catalog.md").read_text(encoding="utf-8")
    rules_part, fires_part = docs.split("## What fires on the as-of day", 1)
    fires, stays_ok = fires_part.split("And why the others stay OK", 1)
    for alert_id, rule in RULES.items():
        assert f"| {alert_id} | {rule.alert_name} |" in rules_part, alert_id
        listed_in = fires if alert_id in catalog.expected_triggered() else stays_ok
        assert f"| {alert_id} {rule.alert_name} |" in listed_in, alert_id
    for table in DEMO_TABLES:
        assert f"### `{table.name}`" in rules_part
        assert all(f"| `{column}` |" in rules_part for column in table.column_names), table.name
