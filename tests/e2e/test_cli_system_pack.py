"""``seed --pack system`` as a user runs it: the system tables, the pack, its documented fire set at the instant
``demo-data --system`` names; plain ``seed`` still stores exactly the 29."""

from __future__ import annotations

import pytest

from lakealerts import catalog
from tests.conftest import Cli

pytestmark = pytest.mark.e2e


def test_seed_the_system_pack_and_see_the_documented_rules_fire(cli: Cli) -> None:
    demo = cli("demo-data", "--system", "--as-of", "2026-03-10", "--json")
    assert demo.code == 0, demo.stderr
    report = demo.json()
    assert report["evaluate_at"] == "2026-03-10T08:00:00Z"
    assert report["expected_triggered"] == sorted(catalog.expected_triggered("system"))

    seeded = cli("seed", "--pack", "system", "--json")
    assert seeded.code == 0, seeded.stderr
    assert sorted(seeded.json()["inserted"]) == sorted(catalog.rule_ids("system"))

    evaluated = cli("eval", "--at", report["evaluate_at"], "--json")
    assert evaluated.code == 0, evaluated.stderr  # no rule in ERROR
    fired = sorted(r["alert_id"] for r in evaluated.json() if r["state"] == "TRIGGERED")
    assert fired == report["expected_triggered"]

    again = cli("seed", "--pack", "system")
    assert again.code == 0 and "0 inserted" in again.stderr and "seed --pack system --force" in again.stderr
    default = cli("seed", "--json")  # the default pack is unchanged: the 29, beside the system pack
    assert sorted(default.json()["inserted"]) == sorted(catalog.rule_ids())


def test_an_unknown_pack_exits_2_naming_the_packs(cli: Cli) -> None:
    result = cli("seed", "--pack", "bogus")
    assert result.code == 2 and "bogus" in result.stderr and "gold, system, all" in result.stderr
