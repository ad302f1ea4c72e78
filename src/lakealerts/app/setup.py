"""The setup use cases: create the tables (``init``), store the pre-built rules (``seed``), write demo data."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from lakealerts import catalog, systables
from lakealerts.app.context import AppContext
from lakealerts.catalog.seeding import SeedReport, seed_catalog
from lakealerts.demo.generator import DemoReport, generate
from lakealerts.demo.history import HistoryReport, generate_history, incident_days
from lakealerts.demo.model import DemoPlan
from lakealerts.errors import SetupError
from lakealerts.options import DEFAULT_DEMO_ROWS
from lakealerts.store.store import InitReport
from lakealerts.systables import SystemPlan, SystemReport


@dataclass(frozen=True)
class InitResult:
    """What ``init`` changed, and where."""

    report: InitReport
    store: str
    namespace: str

    def to_dict(self) -> dict[str, Any]:
        """``init --json``."""
        return {
            "created_tables": self.report.created_tables,
            "added_columns": self.report.added_columns,
            "store": self.store,
            "namespace": self.namespace,
        }


@dataclass(frozen=True)
class SeedResult:
    """What ``seed`` did and how long it took."""

    report: SeedReport
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """``seed --json``."""
        return {**self.report.to_dict(), "seconds": self.seconds}


@dataclass(frozen=True)
class DemoResult:
    """The demo tables written, how long it took, and which pre-built rules fire on them; with ``--days`` also
    the earlier days the incidents were replayed on."""

    report: DemoReport
    seconds: float
    history: HistoryReport | None = None

    @property
    def expected_triggered(self) -> list[str]:
        """The pre-built rules the demo data makes fire on its as-of day (plain ``demo-data``; with ``--days`` the
        repeated incidents change it — a backtest tells: lakealerts.demo.history)."""
        return sorted(catalog.expected_triggered())

    def to_dict(self) -> dict[str, Any]:
        """``demo-data --json``."""
        if self.history is not None:  # --days: the incident days instead of a fire set they would make untrue
            return {**self.history.to_dict(), "seconds": self.seconds}
        return {**self.report.to_dict(), "seconds": self.seconds, "expected_triggered": self.expected_triggered}


def init_tables(ctx: AppContext) -> InitResult:
    """Create the schema and every table; add columns missing from older versions. Idempotent."""
    with ctx.store(require_tables=False) as store:
        report = store.init()
    settings = ctx.settings
    return InitResult(report, str(settings.store_path), f"{settings.catalog}.{settings.schema}")


def seed(
    ctx: AppContext, *, force: bool = False, email: str | None = None, pack: str = catalog.DEFAULT_PACK
) -> SeedResult:
    """The rules of ``pack`` (the 29 of ``gold`` by default; ``system``, ``all``) — missing ones, or all with
    ``force`` — and the ``default_email`` destination."""
    catalog.packs(pack)  # an unknown pack is a usage error before the store is opened
    started = time.perf_counter()
    with ctx.store(require_tables=False) as store:
        store.init()
        report = seed_catalog(store, ctx.now(), force=force, email=email, pack=pack)
    return SeedResult(report, round(time.perf_counter() - started, 2))


def demo_data(
    ctx: AppContext, rows: int = DEFAULT_DEMO_ROWS, as_of: date | None = None, days: int | None = None
) -> DemoResult:
    """Synthetic gold tables for ``as_of`` (default today), deterministic in (rows, as_of, days); with ``days``
    the as-of day's incidents also happen every 7th day before it within the last ``days`` days (backtests)."""
    plan = DemoPlan(rows, as_of or ctx.now().date())
    if days is not None:
        incident_days(plan.as_of, days)  # out of range: a usage error before the store is opened
    started = time.perf_counter()
    with ctx.store(require_tables=False) as store:
        if days is None:
            report, history = generate(store.engine, ctx.namespace, plan, progress=ctx.progress), None
        else:
            history = generate_history(store.engine, ctx.namespace, plan, days, progress=ctx.progress)
            report = history.report
    return DemoResult(report, round(time.perf_counter() - started, 2), history)


@dataclass(frozen=True)
class SystemDemoResult:
    """The system tables written (with their incidents), how long it took, and which rules of the system pack
    fire on them when evaluated at ``evaluate_at``."""

    report: SystemReport
    seconds: float

    @property
    def evaluate_at(self) -> str:
        """The instant the system pack's documented fire set holds: the as-of day at the pack's ``fires_at``."""
        return f"{self.report.as_of.isoformat()}T{catalog.PACKS['system'].fires_at}"

    @property
    def expected_triggered(self) -> list[str]:
        """The system-pack rules that fire at ``evaluate_at``; the others stay OK."""
        return sorted(catalog.expected_triggered("system"))

    def to_dict(self) -> dict[str, Any]:
        """``demo-data --system --json``."""
        return {
            **self.report.to_dict(),
            "seconds": self.seconds,
            "evaluate_at": self.evaluate_at,
            "expected_triggered": self.expected_triggered,
        }


def demo_system_tables(
    ctx: AppContext, days: int = systables.DEFAULT_DAYS, as_of: date | None = None
) -> SystemDemoResult:
    """Databricks system tables under the catalog ``system`` of the local store, deterministic in
    (as_of, days); as_of defaults to today. Replaces them whole; the gold layer is left alone."""
    if ctx.engine is not None:
        raise SetupError(
            "demo-data --system fills the system catalog of the local DuckDB store only",
            hint="on a workspace the system tables are Databricks' own: read them, never write them",
        )
    plan = SystemPlan(as_of or ctx.now().date(), days)
    started = time.perf_counter()
    with ctx.store(require_tables=False, write_catalogs=(systables.SYSTEM_CATALOG,)) as store:
        report = systables.generate(store.engine, plan, progress=ctx.progress)
    return SystemDemoResult(report, round(time.perf_counter() - started, 2))
