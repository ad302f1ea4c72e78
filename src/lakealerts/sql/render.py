"""Rendering rule SQL templates: ``${catalog}`` and ``${gold_schema}`` as validated, quoted identifiers, and the
namespace's template variables (``--var NAME=VALUE``, env ``LAKEALERTS_VAR_<NAME>``) as validated identifiers or
literals (:func:`lakealerts.sql.identifiers.variable_sql`). The same rendering serves validation, local
evaluation and the query text synced to Databricks.

Anything else that looks like a variable is a finding naming it, never left in the SQL for Databricks to guess at.
"""

from __future__ import annotations

import re

from lakealerts.findings import Finding
from lakealerts.sql.identifiers import BUILT_IN_VARIABLES, Namespace, quote, variable_sql

TEMPLATE_VARIABLES = BUILT_IN_VARIABLES
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def render(template: str, namespace: Namespace) -> str:
    """The SQL with the known variables replaced; unknown ones are left as written (see ``template_findings``)."""
    values = {"catalog": quote(namespace.catalog), "gold_schema": quote(namespace.schema)}
    values |= {name: variable_sql(value) for name, value in namespace.variables}
    return _VARIABLE.sub(lambda match: values.get(match.group(1).strip(), match.group(0)), template)


def template_findings(
    template: str, field: str = "alert_query_template", namespace: Namespace | None = None
) -> list[Finding]:
    """One finding per ``${…}`` variable neither built in nor given to ``namespace``, with its line and column."""
    known = set(TEMPLATE_VARIABLES) | {name for name, _ in (namespace.variables if namespace else ())}
    findings = []
    for match in _VARIABLE.finditer(template):
        name = match.group(1).strip()
        if name in known:
            continue
        line, col = position(template, match.start())
        findings.append(
            Finding(
                "TEMPLATE_UNKNOWN_VARIABLE",
                field,
                f"unknown template variable ${{{name}}}",
                _unknown_hint(name, known),
                line,
                col,
            )
        )
    return findings


def _unknown_hint(name: str, known: set[str]) -> str:
    given = ", ".join(f"${{{n}}}" for n in sorted(known))
    same = [n for n in known if n.lower() == name.lower()]
    if same:
        return f"names are case-sensitive: did you mean ${{{same[0]}}}? (rendered: {given})"
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return (
            f"give it a value: `lakealerts --var {name}=VALUE …` or env LAKEALERTS_VAR_{name}=VALUE "
            f"(rendered now: {given}); or write the name literally"
        )
    return f"a variable is ${{name}} with a name of letters, digits and '_' (rendered now: {given})"


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
