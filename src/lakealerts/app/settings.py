"""Where lakealerts keeps its files and tables: resolved once per process from flags, env and defaults."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from lakealerts.sql.identifiers import Namespace

DEFAULT_HOME = Path(".lakealerts")
DEFAULT_CATALOG = "monitoring"
DEFAULT_SCHEMA = "gold"
STORE_FILE = "lakealerts.duckdb"


@dataclass(frozen=True)
class Settings:
    """Home directory and namespace (flag > env > default, resolved by the CLI)."""

    home: Path = DEFAULT_HOME
    catalog: str = DEFAULT_CATALOG
    schema: str = DEFAULT_SCHEMA

    @property
    def namespace(self) -> Namespace:
        """The validated ``catalog.schema`` of the tables (raises InvalidIdentifierError)."""
        return Namespace(self.catalog, self.schema)

    @property
    def store_path(self) -> Path:
        """The embedded DuckDB file."""
        return self.home / STORE_FILE

    @property
    def outbox_dir(self) -> Path:
        """Where every notification is also written as a file."""
        return self.home / "outbox"


def current_user() -> str:
    """Who is recorded in ``created_by`` / ``updated_by``: env LAKEALERTS_USER, else the OS user."""
    explicit = os.environ.get("LAKEALERTS_USER")
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "lakealerts"
