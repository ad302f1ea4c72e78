"""The store: lakealerts' tables over any engine — init/migrate, upsert and load of rules and destinations.

Every value goes in as a parameter. ARRAY and MAP values travel as JSON strings through ``from_json`` because
the SQL warehouse API has no ARRAY/MAP parameters; the same SQL then runs on every engine.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from lakealerts.engines.base import Engine
from lakealerts.errors import NotFoundError, StoredRowError
from lakealerts.findings import Finding
from lakealerts.sql.identifiers import Namespace, quote
from lakealerts.store.tables import (
    ALERT_CONFIGURATIONS,
    ALL_TABLES,
    NOTIFICATION_DESTINATIONS,
    ColumnDef,
    TableDef,
)

if TYPE_CHECKING:  # the model (pydantic) loads when rows are converted, not with the store: `rules list` reads
    # rows it has validated before without it (lakealerts.app.rule_listing)
    from lakealerts.model import AlertRule, NotificationDestination, StoredDestination, StoredRule


@dataclass
class InitReport:
    """What ``init`` changed: tables created and columns added (``table.column``)."""

    created_tables: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class UpsertCounts:
    """How many rows an upsert inserted, updated, and left alone because nothing changed."""

    inserted: int
    updated: int
    unchanged: int = 0


AUDIT_COLUMNS = ("created_by", "created_at", "updated_by", "updated_at")
RULE_SYNC_COLUMNS = (
    "databricks_alert_id",
    "databricks_display_name",
    "last_synced_at",
    "last_sync_status",
    "last_sync_error",
)
# The user's columns: what the model's AlertRule / NotificationDestination validate (equal: test_store_columns.py).
RULE_USER_COLUMNS = tuple(c for c in ALERT_CONFIGURATIONS.column_names if c not in {*AUDIT_COLUMNS, *RULE_SYNC_COLUMNS})
DESTINATION_USER_COLUMNS = tuple(
    c for c in NOTIFICATION_DESTINATIONS.column_names if c not in {*AUDIT_COLUMNS, "databricks_destination_id"}
)


class Store:
    """lakealerts' tables in one ``catalog.schema`` over an engine."""

    def __init__(self, engine: Engine, namespace: Namespace, user: str) -> None:
        self.engine = engine
        self.namespace = namespace
        self.user = user

    def table(self, table: TableDef) -> str:
        """The quoted three-part name of ``table``."""
        return self.namespace.table(table.name)

    # --- tables -------------------------------------------------------------------------------------------
    def init(self) -> InitReport:
        """Create the schema and every table; add columns missing from older versions. Never drops."""
        report = InitReport()
        self.engine.execute(f"CREATE SCHEMA IF NOT EXISTS {self.namespace.qualified}")
        for table in ALL_TABLES:
            existing = self.engine.table_columns(self.namespace.catalog, self.namespace.schema, table.name)
            if existing is None:
                self.engine.execute(table.create_sql(self.namespace))
                report.created_tables.append(table.name)
                continue
            present = {column.name.lower() for column in existing}
            for column in table.columns:
                if column.name.lower() not in present:
                    self.engine.execute(table.add_column_sql(self.namespace, column))
                    report.added_columns.append(f"{table.name}.{column.name}")
        return report

    # --- rules --------------------------------------------------------------------------------------------
    def upsert_rules(self, rules: Sequence[AlertRule], now: datetime, *, dry_run: bool = False) -> UpsertCounts:
        """Full-document upsert keyed on ``alert_id``; keeps ``created_*`` and the sync columns.

        A rule equal to the stored one is not written, so its ``updated_at`` keeps meaning "last changed".
        ``dry_run`` counts what it would write and writes nothing.
        """
        existing = self._existing_ids(ALERT_CONFIGURATIONS, "alert_id", [r.alert_id for r in rules])
        # A row broken by hand does not load; it counts as changed, so an import repairs it.
        stored = {s.rule.alert_id: s.rule for s in self.load_rules(existing, problems=[])} if existing else {}
        changed = [rule for rule in rules if stored.get(rule.alert_id) != rule]
        if not dry_run:
            values = [self._row(rule.model_dump(mode="python"), RULE_USER_COLUMNS, now) for rule in changed]
            self._merge(ALERT_CONFIGURATIONS, "alert_id", RULE_USER_COLUMNS, values)
        updated = sum(1 for rule in changed if rule.alert_id in existing)
        return UpsertCounts(len(changed) - updated, updated, len(rules) - len(changed))

    def rule_ids(self) -> list[str]:
        """Every stored rule's id, readable or not, in order."""
        rows = self.engine.execute(f"SELECT alert_id FROM {self.table(ALERT_CONFIGURATIONS)} ORDER BY alert_id")
        return [str(row[0]) for row in rows.rows]

    def delete_rules(self, alert_ids: Sequence[str]) -> None:
        """Remove the rules' rows (the ownership records stay: the next sync retires their alerts)."""
        if alert_ids:
            marks = ", ".join("?" for _ in alert_ids)
            self.engine.execute(f"DELETE FROM {self.table(ALERT_CONFIGURATIONS)} WHERE alert_id IN ({marks})",
                                list(alert_ids))  # fmt: skip

    def insert_missing_rules(self, rules: Sequence[AlertRule], now: datetime) -> list[str]:
        """Insert the rules whose ``alert_id`` is not stored yet and return their ids; stored rules stay as they are.

        The statement itself only inserts (a MERGE without an update clause), so a rule stored by someone
        else between the check and the write is still never overwritten.
        """
        existing = self._existing_ids(ALERT_CONFIGURATIONS, "alert_id", [r.alert_id for r in rules])
        missing = [rule for rule in rules if rule.alert_id not in existing]
        values = [self._row(rule.model_dump(mode="python"), RULE_USER_COLUMNS, now) for rule in missing]
        self._merge(ALERT_CONFIGURATIONS, "alert_id", RULE_USER_COLUMNS, values, update=False)
        return [rule.alert_id for rule in missing]

    def load_rules(self, ids: Iterable[str] | None = None, problems: list[Finding] | None = None) -> list[StoredRule]:
        """Rules ordered by ``alert_id``; all of them, or the given ids (NotFoundError names a missing one).

        A row that no longer passes the model (edited in SQL by hand) is reported into ``problems`` and
        skipped, so one bad row never hides the others; without ``problems`` it raises StoredRowError.
        """
        return stored_rules(self.rule_rows(ids), problems)

    def rule_rows(self, ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """The rules' rows as stored (every column, ordered by ``alert_id``; NotFoundError names a missing id),
        not yet checked by the model: :func:`stored_rules` converts them."""
        return self._select(ALERT_CONFIGURATIONS, "alert_id", ids)

    def get_rule(self, alert_id: str) -> StoredRule:
        """One rule by id; NotFoundError if it is not stored."""
        return self.load_rules([alert_id])[0]

    # --- destinations -------------------------------------------------------------------------------------
    def upsert_destinations(self, destinations: Sequence[NotificationDestination], now: datetime) -> UpsertCounts:
        """Full-document upsert keyed on ``destination_id``; keeps ``created_*`` and the Databricks id."""
        ids = [d.destination_id for d in destinations]
        existing = self._existing_ids(NOTIFICATION_DESTINATIONS, "destination_id", ids)
        stored = {s.destination.destination_id: s.destination for s in self.load_destinations(existing, problems=[])}
        changed = [d for d in destinations if stored.get(d.destination_id) != d]
        values = []
        for destination in changed:
            document = destination.model_dump(mode="python")
            document["config_json"] = json.dumps(document["config_json"], sort_keys=True)
            values.append(self._row(document, DESTINATION_USER_COLUMNS, now))
        self._merge(NOTIFICATION_DESTINATIONS, "destination_id", DESTINATION_USER_COLUMNS, values)
        updated = sum(1 for d in changed if d.destination_id in existing)
        return UpsertCounts(len(changed) - updated, updated, len(destinations) - len(changed))

    def load_destinations(
        self, ids: Iterable[str] | None = None, problems: list[Finding] | None = None
    ) -> list[StoredDestination]:
        """Destinations ordered by ``destination_id``; all, or the given ids. A row broken by hand goes into
        ``problems`` and is skipped; without ``problems`` it raises StoredRowError."""
        rows = self._select(NOTIFICATION_DESTINATIONS, "destination_id", ids)
        return _readable(rows, _stored_destination, "destination_id", "destination", "destinations", problems)

    def destinations_by_id(self, problems: list[Finding] | None = None) -> dict[str, NotificationDestination]:
        """Every readable destination by its id (broken rows skipped into ``problems`` when given)."""
        return {d.destination.destination_id: d.destination for d in self.load_destinations(problems=problems)}

    # --- shared -------------------------------------------------------------------------------------------
    def _row(self, document: dict[str, Any], columns: tuple[str, ...], now: datetime) -> list[Any]:
        """Parameters in column order, then created_by/at and updated_by/at."""
        return [*(_param(document[c]) for c in columns), self.user, now, self.user, now]

    def _merge(
        self, table: TableDef, key: str, columns: tuple[str, ...], rows: list[list[Any]], *, update: bool = True
    ) -> None:
        """One MERGE statement run for every row, all in one transaction; ``update=False`` only inserts rows
        whose key is missing and leaves existing ones alone."""
        if not rows:
            return
        types = {c.name: c for c in table.columns}
        audit = ("created_by", "created_at", "updated_by", "updated_at")
        source = ", ".join(f"{_placeholder(types[c])} AS {quote(c)}" for c in (*columns, *audit))
        updates = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in (*columns, "updated_by", "updated_at"))
        names = ", ".join(quote(c) for c in (*columns, *audit))
        inserts = ", ".join(f"s.{quote(c)}" for c in (*columns, *audit))
        when_matched = f"WHEN MATCHED THEN UPDATE SET {updates} " if update else ""
        sql = (
            f"MERGE INTO {self.table(table)} AS t USING (SELECT {source}) AS s "
            f"ON t.{quote(key)} = s.{quote(key)} "
            f"{when_matched}"
            f"WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({inserts})"
        )
        self.engine.execute_many(sql, rows)

    def _existing_ids(self, table: TableDef, key: str, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        marks = ", ".join("?" for _ in ids)
        result = self.engine.execute(
            f"SELECT {quote(key)} FROM {self.table(table)} WHERE {quote(key)} IN ({marks})", ids
        )
        return {row[0] for row in result.rows}

    def _select(self, table: TableDef, key: str, ids: Iterable[str] | None) -> list[dict[str, Any]]:
        columns = ", ".join(quote(c) for c in table.column_names)
        sql = f"SELECT {columns} FROM {self.table(table)}"
        wanted = list(dict.fromkeys(ids)) if ids is not None else None
        params: list[Any] = []
        if wanted is not None:
            if not wanted:
                return []
            sql += f" WHERE {quote(key)} IN ({', '.join('?' for _ in wanted)})"
            params = wanted
        rows = self.engine.execute(f"{sql} ORDER BY {quote(key)}", params).as_dicts()
        if wanted is not None:
            missing = sorted(set(wanted) - {row[key] for row in rows})
            if missing:
                raise NotFoundError(
                    f"no {table.name} row with {key} {', '.join(missing)} in {self.namespace.qualified}",
                    hint=f"check the id, or list what is stored (lakealerts {_LIST_COMMAND[table.name]})",
                )
        return rows


_LIST_COMMAND = {"alert_configurations": "rules list", "notification_destinations": "destinations list"}


def _placeholder(column: ColumnDef) -> str:
    """ARRAY/MAP values are sent as JSON text and parsed in SQL; everything else binds directly."""
    if column.type.startswith(("ARRAY", "MAP")):
        return f"from_json(?, '{column.type}')"
    return f"CAST(? AS {column.type})"


def _param(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value)
    if hasattr(value, "value") and isinstance(value.value, str):  # enums bind as their text
        return value.value
    return value


StoredT = TypeVar("StoredT")


def _readable(
    rows: list[dict[str, Any]],
    convert: Callable[[dict[str, Any]], tuple[StoredT | None, list[Finding]]],
    key: str,
    what: str,
    command: str,
    problems: list[Finding] | None,
) -> list[StoredT]:
    """The rows that pass the model; the others go into ``problems`` or, without it, raise StoredRowError."""
    loaded = []
    for row in rows:
        stored, row_problems = convert(row)
        if stored is not None:
            loaded.append(stored)
        elif problems is not None:
            problems.extend(row_problems)
        else:
            raise StoredRowError(
                f"stored {what} {row[key]} is invalid: {row_problems[0]}",
                hint=f"fix the row with `lakealerts {command} import` of a corrected file",
            )
    return loaded


def stored_rules(rows: list[dict[str, Any]], problems: list[Finding] | None = None) -> list[StoredRule]:
    """The rows (:meth:`Store.rule_rows`) that pass the model, as rules; a row that no longer does (edited in
    SQL by hand) goes into ``problems``, or raises StoredRowError without it."""
    return _readable(rows, rule_of_row, "alert_id", "rule", "rules", problems)


def rule_of_row(row: dict[str, Any]) -> tuple[StoredRule | None, list[Finding]]:
    """One stored row through the model: the rule, or None and why not."""
    from lakealerts.documents import parse_rules
    from lakealerts.model import Audit, RuleSyncState, StoredRule

    document = {key: row[key] for key in RULE_USER_COLUMNS}
    document["notification_channels"] = list(row["notification_channels"] or [])
    document["tags"] = dict(row["tags"] or {})
    parsed = parse_rules([document])
    if parsed.problems:
        return None, parsed.problems
    stored = StoredRule(
        rule=parsed.valid[0],
        audit=Audit.model_validate({key: row[key] for key in Audit.model_fields}),
        sync=RuleSyncState.model_validate({key: row[key] for key in RuleSyncState.model_fields}),
    )
    return stored, []


def _stored_destination(row: dict[str, Any]) -> tuple[StoredDestination | None, list[Finding]]:
    from lakealerts.documents import parse_destinations
    from lakealerts.model import Audit, StoredDestination

    document = {key: row[key] for key in DESTINATION_USER_COLUMNS}
    document["tags"] = dict(row["tags"] or {})
    parsed = parse_destinations([document])
    if parsed.problems:
        return None, parsed.problems
    stored = StoredDestination(
        destination=parsed.valid[0],
        audit=Audit.model_validate({key: row[key] for key in Audit.model_fields}),
        databricks_destination_id=row["databricks_destination_id"],
    )
    return stored, []
