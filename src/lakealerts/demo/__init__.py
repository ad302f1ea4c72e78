"""The demo gold layer: synthetic tables modelled on Databricks system tables, deterministic in
``(rows, as_of)``, with anomalies on the as-of day that make a documented subset of the pre-built rules fire.

``model`` says what a demo table is and builds its ``CREATE OR REPLACE TABLE … AS SELECT``; one module per
source (``billing``, ``audit``, ``queries``, ``compute``, ``jobs``, ``streaming``, ``quality``) writes its
table's body in Databricks SQL; ``generator`` lists the tables and runs them through the engine port. All
SQL building is pure; only :func:`~lakealerts.demo.generator.generate` touches an engine.
"""

from __future__ import annotations

from lakealerts.demo.generator import DEMO_TABLES, DemoReport, generate
from lakealerts.demo.model import DemoPlan

__all__ = ["DEMO_TABLES", "DemoPlan", "DemoReport", "generate"]
