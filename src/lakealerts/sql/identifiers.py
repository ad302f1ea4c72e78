"""Catalog, schema and table names: validated, never pasted raw into SQL.

Unity Catalog allows more than this, but a name of letters, digits, ``_`` and ``-`` covers real catalogs and
schemas and can always be quoted safely; anything else is refused with a hint instead of being escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lakealerts.errors import InvalidIdentifierError

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,254}")


def validate_identifier(value: str, what: str) -> str:
    """Return ``value`` if it is a plain identifier, else raise naming ``what`` (e.g. "catalog")."""
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise InvalidIdentifierError(
            f"invalid {what} name {value!r}",
            hint=f"use a {what} name of letters, digits, '_' or '-' that starts with a letter or '_'",
        )
    return value


def quote(identifier: str) -> str:
    """Backtick-quote a validated identifier (Databricks SQL; the engines translate the quoting)."""
    return f"`{validate_identifier(identifier, 'identifier')}`"


@dataclass(frozen=True)
class Namespace:
    """A validated ``catalog.schema`` pair where lakealerts keeps its tables."""

    catalog: str
    schema: str

    def __post_init__(self) -> None:
        validate_identifier(self.catalog, "catalog")
        validate_identifier(self.schema, "schema")

    def table(self, name: str) -> str:
        """The quoted three-part name of ``name`` in this namespace."""
        return f"{quote(self.catalog)}.{quote(self.schema)}.{quote(name)}"

    @property
    def qualified(self) -> str:
        """The quoted two-part name of the schema."""
        return f"{quote(self.catalog)}.{quote(self.schema)}"
