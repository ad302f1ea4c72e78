"""Catalog, schema and table names, and template variables: validated, never pasted raw into SQL.

Unity Catalog allows more than this, but a name of letters, digits, ``_`` and ``-`` covers real catalogs and
schemas and can always be quoted safely; anything else is refused with a hint instead of being escaped.

A template variable (``--var NAME=VALUE``, env ``LAKEALERTS_VAR_<NAME>``; DESIGN §10.3) is a name
``[A-Za-z_][A-Za-z0-9_]*`` and a value that is an identifier (checked like ``--catalog``, rendered quoted like
``${catalog}``) or a literal rendered as written: a number, a single-quoted string without backslashes or
control characters (``''`` for a quote), TRUE, FALSE or NULL. Never SQL: ``x; DROP TABLE y`` is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lakealerts.errors import InvalidIdentifierError

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,254}")
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
_LITERAL = re.compile(
    r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"  # a number
    r"|'([^'\\\x00-\x1f\x7f]|''){0,1000}'"  # a string: no backslash escapes, no control characters
    r"|(?i:true|false|null)"
)
#: The variables every namespace renders: ``--catalog`` and ``--schema``.
BUILT_IN_VARIABLES = ("catalog", "gold_schema")


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


def validate_variable(name: str, value: str, source: str = "--var") -> tuple[str, str]:
    """``(name, value)`` if both are fit to render, else raise naming the ``source`` (``--var``, an env var)."""
    if not isinstance(name, str) or not _VARIABLE_NAME.fullmatch(name):
        raise InvalidIdentifierError(
            f"{source}: invalid template variable name {name!r}",
            hint="use a name of letters, digits and '_' that starts with a letter or '_', e.g. --var feature_schema=ml",
        )
    if name in BUILT_IN_VARIABLES:
        raise InvalidIdentifierError(
            f"{source}: ${{{name}}} is set by --{'schema' if name == 'gold_schema' else name}",
            hint=f"pass --{'schema' if name == 'gold_schema' else name} (before the command) instead",
        )
    if not isinstance(value, str) or not (_IDENTIFIER.fullmatch(value) or _LITERAL.fullmatch(value)):
        raise InvalidIdentifierError(
            f"{source}: invalid value {value!r} for template variable ${{{name}}}",
            hint="give an identifier (letters, digits, '_', '-'), a number, a quoted string ('text', '' for a "
            "quote) or TRUE / FALSE / NULL; a value is never SQL",
        )
    return name, value


def variable_sql(value: str) -> str:
    """How a validated value renders: an identifier quoted like ``${catalog}``, a literal as written."""
    return value if _LITERAL.fullmatch(value) else quote(value)


@dataclass(frozen=True)
class Namespace:
    """A validated ``catalog.schema`` pair where lakealerts keeps its tables, and the template variables rule SQL
    renders beside ``${catalog}`` and ``${gold_schema}`` (name -> value, validated)."""

    catalog: str
    schema: str
    variables: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        validate_identifier(self.catalog, "catalog")
        validate_identifier(self.schema, "schema")
        for name, value in self.variables:
            validate_variable(name, value)

    @classmethod
    def of(cls, catalog: str, schema: str, variables: Iterable[tuple[str, str]] = ()) -> Namespace:
        """A namespace whose variables are given in any order (kept sorted by name, one value per name)."""
        return cls(catalog, schema, tuple(sorted(dict(variables).items())))

    def table(self, name: str) -> str:
        """The quoted three-part name of ``name`` in this namespace."""
        return f"{quote(self.catalog)}.{quote(self.schema)}.{quote(name)}"

    @property
    def qualified(self) -> str:
        """The quoted two-part name of the schema."""
        return f"{quote(self.catalog)}.{quote(self.schema)}"
