"""The store's plain reads, translated to DuckDB without sqlglot.

Why: importing sqlglot and parsing costs ~100 ms at start-up, and a command like ``rules list`` only runs the
store's own reads (``SELECT `a`, `b` FROM `cat`.`gold`.`t` [WHERE `k` IN (?, ?)] [ORDER BY `k`]``, built by
:mod:`lakealerts.store.store` with :func:`lakealerts.sql.identifiers.quote`). For exactly that grammar the
translation is mechanical, so :func:`plain_select_to_duckdb` writes it here; anything else (other whitespace,
lower-case keywords, bare names, comments, expressions…) gives None and goes through sqlglot
(:mod:`lakealerts.sql.translate`). ``tests/unit/test_plain_sql.py`` proves the output equals sqlglot's,
byte for byte, on generated statements of the grammar.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_IDENT = rf"`{_NAME}`"
_PLAIN_SELECT = re.compile(
    rf"SELECT (?P<columns>{_IDENT}(?:, {_IDENT})*)"
    rf" FROM (?P<table>{_IDENT}(?:\.{_IDENT}){{0,2}})"
    rf"(?: WHERE (?P<key>{_IDENT}) IN \((?P<params>\?(?:, \?)*)\))?"
    rf"(?: ORDER BY (?P<order>{_IDENT}))?"
)
_ALIAS = re.compile(_NAME)


def plain_select_to_duckdb(sql: str, catalog_aliases: Mapping[str, str]) -> str | None:
    """The DuckDB text of a plain store read (the grammar above), exactly as sqlglot writes it; else None.

    Backticks become double quotes, the catalog of a three-part name found in ``catalog_aliases`` (matched
    case-insensitively, as :func:`lakealerts.sql.translate.translate` does) becomes its alias, and
    ``ORDER BY`` sorts NULLs first, as Databricks does for an ascending sort.
    """
    found = _PLAIN_SELECT.fullmatch(sql)
    if found is None:
        return None
    parts = found["table"].split(".")
    if len(parts) == 3:
        aliases = dict(sorted((name.lower(), alias) for name, alias in catalog_aliases.items()))
        alias = aliases.get(parts[0][1:-1].lower())
        if alias is not None:
            if not _ALIAS.fullmatch(alias):
                return None  # sqlglot would have to escape it
            parts[0] = f"`{alias}`"
    text = f"SELECT {found['columns']} FROM {'.'.join(parts)}"
    if found["key"] is not None:
        text += f" WHERE {found['key']} IN ({found['params']})"
    if found["order"] is not None:
        text += f" ORDER BY {found['order']} NULLS FIRST"
    return text.replace("`", '"')  # no identifier holds a backtick or a double quote: each one is a quote
