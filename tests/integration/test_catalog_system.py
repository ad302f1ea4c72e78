"""The system pack (``seed --pack system``): 22 rules on the Databricks system tables, shipped as data beside the
29. They are written as the design asks, validate clean (engine checks included) on the local system tables of
``demo-data --system``, fire exactly as documented at 08:00 UTC of the as-of day, and run on one home with the 29.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from lakealerts import catalog
from lakealerts.app import setup
from lakealerts.app.context import AppContext
from lakealerts.app.evaluate import evaluate
from lakealerts.app.settings import Settings
from lakealerts.app.validate import validate_store
from lakealerts.errors import UsageError
from lakealerts.systables import SYSTEM_TABLES

pytestmark = pytest.mark.integration

PACK = "system"
RULES = {rule.alert_id: rule for rule in catalog.load_rules(PACK)}
FIRES_AT = time.fromisoformat(catalog.PACKS[PACK].fires_at or "")
SYSTEM_TABLE_NAMES = {table.full_name for table in SYSTEM_TABLES}
DOCS = Path(__file__).parents[2] / "docs" / "systables.md"


def at(day: date, hour: time = FIRES_AT) -> datetime:
    return datetime.combine(day, hour).replace(tzinfo=UTC)


def states(ctx: AppContext, when: datetime, alert_ids: list[str] | None = None) -> dict[str, tuple[str, object]]:
    """Rule id -> (state, value) of one preview round as of ``when``, through the eval use case."""
    result = evaluate(ctx, alert_ids, at=when)
    return {run.alert_id: (str(run.state), run.value) for run in result.runs}


# --- the pack as data -------------------------------------------------------------------------------------


def test_22_rules_in_four_domains_with_sys_ids_beside_the_29() -> None:
    domains = [rule.agent_domain for rule in RULES.values()]
    assert {domain: domains.count(domain) for domain in catalog.PACKS[PACK].domains} == {
        "COST": 7,
        "SECURITY": 6,
        "PERFORMANCE": 5,
        "RELIABILITY": 4,
    }
    prefix = {"SECURITY": "SEC", "PERFORMANCE": "PERF", "RELIABILITY": "REL"}
    for alert_id, rule in RULES.items():
        assert re.fullmatch(rf"SYS-{prefix.get(rule.agent_domain, rule.agent_domain)}-\d{{3}}", alert_id)
        assert rule.source_artifact_name == f"lakealerts/catalog/system/{rule.agent_domain.lower()}.yaml"
    # The default pack is unchanged; `all` is both, with no id twice.
    assert len(catalog.load_rules()) == 29 and not set(RULES) & catalog.rule_ids()
    assert [r.alert_id for r in catalog.load_rules("all")] == [r.alert_id for r in catalog.load_rules()] + [*RULES]
    with pytest.raises(UsageError, match="bogus"):
        catalog.load_rules("bogus")


@pytest.mark.parametrize("alert_id", sorted(RULES))
def test_rule_reads_system_tables_as_the_design_asks(alert_id: str) -> None:
    rule = RULES[alert_id]
    template = rule.alert_query_template
    # No gold layer and no template variable: the SQL is what a workspace runs.
    assert "${" not in template
    assert "CURRENT_DATE()" in template or "CURRENT_TIMESTAMP()" in template
    tree = sqlglot.parse_one(template, read="databricks")
    assert isinstance(tree, exp.Select)
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    tables = {f"{t.catalog}.{t.db}.{t.name}" if t.catalog else t.name for t in tree.find_all(exp.Table)}
    assert tables - ctes and tables - ctes <= SYSTEM_TABLE_NAMES, tables
    outputs = tree.expressions
    assert all(isinstance(e, exp.Alias | exp.Column) for e in outputs), [e.sql() for e in outputs]
    assert rule.threshold_column in [e.alias_or_name for e in outputs]
    assert not list(tree.find_all(exp.Having))
    assert rule.notification_channels == [catalog.DEFAULT_DESTINATION_ID]
    assert rule.owner.endswith("@example.com") and len(rule.alert_description or "") > 40
    assert rule.schedule_timezone == "UTC" and rule.tags["pack"] == PACK


def test_expected_triggered_names_rules_of_the_pack_with_reasons() -> None:
    expected = catalog.expected_triggered(PACK)
    assert set(expected) < set(RULES) and all(len(reason) > 20 for reason in expected.values())
    for domain in catalog.PACKS[PACK].domains:
        in_domain = {i for i, rule in RULES.items() if rule.agent_domain == domain}
        assert in_domain & set(expected) and in_domain - set(expected), domain
    assert catalog.expected_triggered("all") == {**catalog.expected_triggered(), **expected}


# --- on the local system tables ---------------------------------------------------------------------------


@pytest.fixture(scope="module", params=[date(2026, 3, 10), date(2027, 1, 1)], ids=str)
def system_home(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[AppContext, date]:
    """A home with the system tables of 30 days to the as-of day and the system pack seeded."""
    as_of: date = request.param
    ctx = AppContext(settings=Settings(home=tmp_path_factory.mktemp("system-pack") / "home"))
    setup.demo_system_tables(ctx, as_of=as_of)
    seeded = setup.seed(ctx, pack=PACK)
    assert sorted(seeded.report.inserted) == sorted(RULES)
    return ctx, as_of


def test_every_rule_of_the_pack_validates_clean_on_the_system_tables(system_home: tuple[AppContext, date]) -> None:
    ctx, _ = system_home
    run = validate_store(ctx)  # static checks, then EXPLAIN, output columns and decimal types on the engine
    findings = {r.alert_id: [f.code for f in r.findings] for r in run.report.results if r.findings}
    assert findings == {}
    assert {r.alert_id for r in run.report.results} == set(RULES)


def test_exactly_the_documented_rules_fire_at_08_00_of_the_as_of_day(system_home: tuple[AppContext, date]) -> None:
    ctx, as_of = system_home
    evaluated = states(ctx, at(as_of))
    assert set(evaluated) == set(RULES)
    assert {i: s for i, (s, _) in evaluated.items() if s not in ("TRIGGERED", "OK")} == {}
    fired = {i for i, (s, _) in evaluated.items() if s == "TRIGGERED"}
    expected = set(catalog.expected_triggered(PACK))
    assert fired == expected, {i: evaluated[i] for i in fired ^ expected}


def test_the_last_hour_rule_sees_a_failure_only_within_the_hour(system_home: tuple[AppContext, date]) -> None:
    # orders_etl_hourly fails at 02:00, 03:00 and 04:00 (each run ~6 minutes): at 04:30 one failed run ended
    # within the hour; at 08:00 (the documented instant) none did.
    ctx, as_of = system_home
    assert states(ctx, at(as_of, time(4, 30)), ["SYS-REL-001"])["SYS-REL-001"] == ("TRIGGERED", 1)
    assert states(ctx, at(as_of), ["SYS-REL-001"])["SYS-REL-001"][0] == "OK"


def test_the_pack_and_the_29_run_on_one_home(tmp_path: Path) -> None:
    as_of = date(2026, 3, 10)
    ctx = AppContext(settings=Settings(home=tmp_path / "home"))
    setup.demo_data(ctx, rows=5_000, as_of=as_of)
    setup.demo_system_tables(ctx, as_of=as_of)
    assert len(setup.seed(ctx, pack="all").report.inserted) == 29 + len(RULES)
    assert all(r.is_valid for r in validate_store(ctx).report.results)
    evaluated = states(ctx, at(as_of))
    assert len(evaluated) == 29 + len(RULES)
    assert {i for i, (s, _) in evaluated.items() if s == "ERROR"} == set()
    fired = {i for i, (s, _) in evaluated.items() if s == "TRIGGERED"}
    assert fired == set(catalog.expected_triggered("all"))


# --- the documentation ------------------------------------------------------------------------------------


def test_docs_list_every_rule_and_the_fire_set() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    _, pack_part = docs.split("## The system pack", 1)
    rules_part, fires_part = pack_part.split("### What fires at 08:00 of the as-of day", 1)
    fires, stays_ok = fires_part.split("And why the others stay OK", 1)
    for alert_id, rule in RULES.items():
        assert f"| {alert_id} | {rule.alert_name} |" in rules_part, alert_id
        listed_in = fires if alert_id in catalog.expected_triggered(PACK) else stays_ok
        assert f"| {alert_id} {rule.alert_name} |" in listed_in, alert_id
