"""Where lakealerts keeps its files and tables: resolved once per process from flags, env and defaults."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lakealerts.errors import UsageError
from lakealerts.sql.identifiers import Namespace, validate_variable

DEFAULT_HOME = Path(".lakealerts")
DEFAULT_CATALOG = "monitoring"
DEFAULT_SCHEMA = "gold"
STORE_FILE = "lakealerts.duckdb"
CATALOGS_DIR = "catalogs"


@dataclass(frozen=True)
class Settings:
    """Home directory and namespace (flag > env > default, resolved by the CLI)."""

    home: Path = DEFAULT_HOME
    catalog: str = DEFAULT_CATALOG
    schema: str = DEFAULT_SCHEMA
    variables: tuple[tuple[str, str], ...] = ()  # template variables: --var NAME=VALUE, env LAKEALERTS_VAR_<NAME>

    @property
    def namespace(self) -> Namespace:
        """The validated ``catalog.schema`` of the tables and the template variables (raises InvalidIdentifierError)."""
        return Namespace.of(self.catalog, self.schema, self.variables)

    @property
    def store_path(self) -> Path:
        """The embedded DuckDB file."""
        return self.home / STORE_FILE

    @property
    def catalogs_dir(self) -> Path:
        """Every other catalog's DuckDB file (``<name>.duckdb``: ``system``, a team's ``prod``…)."""
        return self.home / CATALOGS_DIR

    @property
    def outbox_dir(self) -> Path:
        """Where every notification is also written as a file."""
        return self.home / "outbox"

    @property
    def cache_dir(self) -> Path:
        """What lakealerts may forget: deleting it only costs time (the memo of checked rule rows)."""
        return self.home / "cache"


VARIABLE_ENV_PREFIX = "LAKEALERTS_VAR_"


def template_variables(flags: Sequence[str], env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The template variables from env ``LAKEALERTS_VAR_<NAME>=VALUE`` and ``--var NAME=VALUE`` flags (a flag wins
    over env, a later flag over an earlier one), validated; a bad one raises naming its flag or variable."""
    found: dict[str, str] = {}
    for key, value in sorted(env.items()):
        if key.startswith(VARIABLE_ENV_PREFIX):
            name, value = validate_variable(key[len(VARIABLE_ENV_PREFIX) :], value, f"env {key}")
            found[name] = value
    for flag in flags:
        name, separator, value = flag.partition("=")
        if not separator:
            raise UsageError(f"--var {flag!r}: expected NAME=VALUE", hint="e.g. --var feature_schema=ml_features")
        found.update([validate_variable(name.strip(), value, f"--var {flag}")])
    return tuple(sorted(found.items()))


def current_user() -> str:
    """Who is recorded in ``created_by`` / ``updated_by``: env LAKEALERTS_USER, else the OS user."""
    explicit = os.environ.get("LAKEALERTS_USER")
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "lakealerts"
