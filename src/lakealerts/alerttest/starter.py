"""``lakealerts test --init RULE_ID``: a starter test file for a rule (pure: the rule and its tables in, text out).

Each table the rule reads becomes an empty fixture with its columns; two tests, one that must stay OK and one
that must fire, each with one tick at the rule's next fire time, are left to fill in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import sqlglot
from sqlglot import exp

from lakealerts.model import AlertRule
from lakealerts.sql.readonly import DIALECT
from lakealerts.sql.rewrite import TableName, table_name, table_nodes

Columns = Sequence[tuple[str, str]]  # name, Databricks type


def referenced_columns(sql: str, catalog: str, schema: str) -> dict[TableName, list[str]]:
    """Columns the SQL names, by the table they most likely belong to (qualified ones by alias, the rest to the
    first table): the fallback when the tables do not exist where ``--init`` runs."""
    tree = sqlglot.parse_one(sql, read=DIALECT)
    nodes = table_nodes(tree)
    tables = list(dict.fromkeys(table_name(node, catalog, schema) for node in nodes))
    by_alias = {node.alias_or_name.lower(): table_name(node, catalog, schema) for node in nodes}
    outputs = {e.alias.lower() for e in tree.find_all(exp.Alias)}
    found: dict[TableName, list[str]] = {key: [] for key in tables}
    for column in tree.find_all(exp.Column):
        name = column.name
        key = by_alias.get(column.table.lower()) if column.table else (tables[0] if tables else None)
        if key is None or not name or name.lower() in outputs or name in found[key]:
            continue
        found[key].append(name)
    return found


def starter_text(
    rule: AlertRule, source: str, tables: Mapping[TableName, Columns], first_tick: datetime, catalog: str, schema: str
) -> str:
    """The starter file's YAML."""
    lines = [
        f"# Alert unit tests for {rule.alert_id} ({rule.alert_name}): fill in the rows and expectations.",
        "# Run: lakealerts test <this file> --diff",
        f"rules: [{source}]",
        "destinations:",
        "  - {destination_id: default_email, destination_type: EMAIL, config_json: {addresses: [alerts@example.com]}}",
        "fixtures:",
    ]
    for key, columns in tables.items():
        name = key[2] if key[:2] == (catalog.lower(), schema.lower()) else ".".join(key)
        shown = ", ".join(f"{column}: {_yaml_type(kind)}" for column, kind in columns)
        lines += [f"  {name}:", f"    columns: {{{shown}}}", "    rows: []   # add rows: - {column: value, ...}"]
    at = first_tick.isoformat()
    lines += [
        "tests:",
        f"  - name: {rule.alert_id} stays quiet on normal data",
        f"    rule: {rule.alert_id}",
        "    evaluations:",
        f"      - at: {at}",
        "        expect: {state: OK}",
        "        expect_notifications: []",
        f"  - name: {rule.alert_id} fires",
        f"    rule: {rule.alert_id}",
        "    fixtures: {}   # the rows that must make it fire, by table name",
        "    evaluations:",
        f"      - at: {at}",
        "        expect: {state: TRIGGERED}",
    ]
    return "\n".join(lines) + "\n"


def _yaml_type(kind: str) -> str:
    return f'"{kind}"' if any(ch in kind for ch in ",:<>") else kind
