"""The layers hold: the pure core imports no adapter (not even through another module), and the entry points
(cli/, bundle/, web/) reach the store and the engines only through the application layer (app/).

Imports are read from the source (every ``import`` statement, lazy ones inside functions included), so a
new module is checked the day it is written.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
PACKAGE = Path(__file__).parents[2] / "src" / "lakealerts"

# The pure core: rules, schedules, SQL text, checks, planning, alert semantics. No I/O, no adapter.
CORE = (
    "lakealerts.model", "lakealerts.values", "lakealerts.errors", "lakealerts.findings", "lakealerts.quartz",
    "lakealerts.quartz_description", "lakealerts.secrets", "lakealerts.documents", "lakealerts.sql",
    "lakealerts.validate", "lakealerts.sync.planner", "lakealerts.sync.mapping", "lakealerts.sync.alert_fields",
    "lakealerts.sync.policy",
    "lakealerts.sync.status", "lakealerts.sync.diff", "lakealerts.sync.plan_text", "lakealerts.runtime.evaluator",
    "lakealerts.runtime.state", "lakealerts.web.charts", "lakealerts.web.yaml_text", "lakealerts.yaml_keys",
    "lakealerts.runtime.schedule", "lakealerts.runtime.messages", "lakealerts.runtime.ports",
    "lakealerts.runtime.replay", "lakealerts.runtime.delivery", "lakealerts.alerttest.spec",
    "lakealerts.alerttest.starter", "lakealerts.backtest.instants", "lakealerts.backtest.stats",
    "lakealerts.backtest.sweep", "lakealerts.backtest.result", "lakealerts.backtest.report",
    "lakealerts.backtest.lateral",
)  # fmt: skip
# What the core must never reach: our adapters and the libraries that do I/O. (The engine port,
# ``lakealerts.engines.base``, is an interface; the SDK's dataclasses are the sync contract's data.)
ADAPTERS = (
    "lakealerts.app", "lakealerts.cli", "lakealerts.bundle", "lakealerts.web", "lakealerts.serve",
    "lakealerts.standin", "lakealerts.store", "lakealerts.engines.duckdb", "lakealerts.engines.warehouse",
    "lakealerts.engines.spark", "lakealerts.engines.databricks_sql", "lakealerts.runtime.channels",
    "lakealerts.runtime.dispatch", "lakealerts.runtime.outbox", "lakealerts.sync.client", "lakealerts.sync.remote",
    "lakealerts.sync.applier", "duckdb", "requests", "smtplib", "uvicorn", "starlette", "databricks.sdk.core",
    "databricks.sdk.config", "pyspark", "socket", "subprocess",
)  # fmt: skip
# Entry points parse input, call a use case and render: never the store or a concrete engine.
ENTRY_POINTS = ("lakealerts.cli", "lakealerts.bundle", "lakealerts.web")
BEHIND_THE_APP = (
    "lakealerts.store", "lakealerts.engines.duckdb", "lakealerts.engines.warehouse", "lakealerts.engines.spark",
    "lakealerts.runtime.round", "lakealerts.runtime.query", "lakealerts.sync.run", "lakealerts.sync.remote",
    "lakealerts.sync.client", "duckdb",
)  # fmt: skip


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


@cache
def _imports(module: str) -> frozenset[str]:
    """Every module ``module`` imports, as written (``from a import b`` counts ``a`` and ``a.b``)."""
    path = _modules()[module]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(found)


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _reachable(module: str) -> dict[str, str]:
    """Every module ``module`` reaches through lakealerts modules, with the lakealerts module that imports it."""
    seen: dict[str, str] = {}
    todo = [module]
    while todo:
        current = todo.pop()
        for name in _imports(current):
            if name in seen:
                continue
            seen[name] = current
            if name in _modules() and not _within(name, ADAPTERS):
                todo.append(name)
    return seen


def _in(prefixes: tuple[str, ...]) -> list[str]:
    return sorted(name for name in _modules() if _within(name, prefixes))


@pytest.mark.parametrize("module", _in(CORE))
def test_the_core_reaches_no_adapter(module: str) -> None:
    offenders = {name: via for name, via in _reachable(module).items() if _within(name, ADAPTERS)}
    assert not offenders, f"{module} reaches adapters (adapter <- imported by): {offenders}"


@pytest.mark.parametrize("module", _in(ENTRY_POINTS))
def test_entry_points_go_through_the_application_layer(module: str) -> None:
    offenders = sorted(name for name in _imports(module) if _within(name, BEHIND_THE_APP))
    assert not offenders, f"{module} imports {offenders} directly: call a use case in lakealerts.app instead"


def test_the_checks_see_the_layers() -> None:
    """The checks would fail on a violation: a core module is found, and its imports are read."""
    assert "lakealerts.runtime.evaluator" in _in(CORE)
    assert "lakealerts.model" in _imports("lakealerts.runtime.evaluator")
    assert _within("lakealerts.store.store", ADAPTERS) and not _within("lakealerts.storey", ADAPTERS)
    assert "lakealerts.store.store" in _reachable("lakealerts.app.context")
