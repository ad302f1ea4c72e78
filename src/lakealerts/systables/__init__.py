"""Databricks system tables on the laptop: the documented schemas of the ``system`` catalog, filled with
deterministic data over the last ``days`` days ending with ``as_of``, with documented incidents
(docs/systables.md) that system-table rules can fire on.

``model`` says what a system table is and builds its statements; ``fleet`` is the fictional account every
table describes (workspaces, people, clusters, warehouses, jobs and their runs); one module per schema
(``billing``, ``access``, ``lakeflow``, ``query``, ``compute``) holds its tables' documented columns and row
generators; ``generator`` creates and fills them through the engine port.
"""

from __future__ import annotations

from lakealerts.systables.generator import INCIDENTS, SYSTEM_TABLES, SystemReport, generate
from lakealerts.systables.model import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, SYSTEM_CATALOG, SystemPlan, SystemTable

__all__ = [
    "DEFAULT_DAYS",
    "INCIDENTS",
    "MAX_DAYS",
    "MIN_DAYS",
    "SYSTEM_CATALOG",
    "SYSTEM_TABLES",
    "SystemPlan",
    "SystemReport",
    "SystemTable",
    "generate",
]
