"""Defaults and choices that ``--help`` shows, free of imports.

``lakealerts --help`` and every command's help are built when the CLI starts; taking these values from the
modules that use them would load pydantic, sqlglot and DuckDB before anything runs (issue 19: start-up within
2× the floor). Each value's home module re-exports it from here, so there is one definition.
"""

from __future__ import annotations

from enum import StrEnum

#: ``seed`` without ``--pack``: the 29 rules over the demo gold layer.
DEFAULT_PACK = "gold"
#: ``seed --pack all``: every pack.
ALL_PACKS = "all"
#: The e-mail address of the ``default_email`` destination that ``seed`` creates.
DEFAULT_EMAIL = "alerts@example.com"
#: ``demo-data`` event rows, and the fewest it accepts.
DEFAULT_DEMO_ROWS = 100_000
MIN_DEMO_ROWS = 1_000
#: ``demo-data --system`` days of activity.
DEFAULT_SYSTEM_DAYS, MIN_SYSTEM_DAYS, MAX_SYSTEM_DAYS = 30, 9, 366


class ExportFormat(StrEnum):
    """File formats of ``rules export``."""

    yaml = "yaml"
    json = "json"
    bundle = "bundle"
