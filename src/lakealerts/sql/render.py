"""Rendering rule SQL templates: ``${catalog}`` and ``${gold_schema}`` only, as validated, quoted identifiers.

Anything else that looks like a variable is a finding, never left in the SQL for Databricks to guess at.
"""

from __future__ import annotations

import re

from lakealerts.findings import Finding
from lakealerts.sql.identifiers import Namespace, quote

TEMPLATE_VARIABLES = ("catalog", "gold_schema")
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def render(template: str, namespace: Namespace) -> str:
    """The SQL with the known variables replaced; unknown ones are left as written (see ``template_findings``)."""
    values = {"catalog": quote(namespace.catalog), "gold_schema": quote(namespace.schema)}
    return _VARIABLE.sub(lambda match: values.get(match.group(1).strip(), match.group(0)), template)


def template_findings(template: str, field: str = "alert_query_template") -> list[Finding]:
    """One finding per unknown ``${…}`` variable, with its line and column in the template."""
    findings = []
    for match in _VARIABLE.finditer(template):
        name = match.group(1).strip()
        if name in TEMPLATE_VARIABLES:
            continue
        line, col = position(template, match.start())
        findings.append(
            Finding(
                "TEMPLATE_UNKNOWN_VARIABLE",
                field,
                f"unknown template variable ${{{name}}}",
                "only ${catalog} and ${gold_schema} are rendered; write other names literally",
                line,
                col,
            )
        )
    return findings


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
