"""The tables lakealerts keeps (DESIGN §3), as data, and the DDL that creates and migrates them.

Types are Databricks SQL types; an engine translates them. Migrations only add: a missing table is created, a
missing column is added (nullable, since existing rows have no value), nothing is ever dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from lakealerts.sql.identifiers import Namespace, quote


@dataclass(frozen=True)
class ColumnDef:
    """One column: name, Databricks type and whether it may be NULL."""

    name: str
    type: str
    nullable: bool = True

    def ddl(self) -> str:
        """The column's clause in CREATE TABLE."""
        return f"{quote(self.name)} {self.type}{'' if self.nullable else ' NOT NULL'}"


@dataclass(frozen=True)
class TableDef:
    """A table: its name, columns and primary key (informational on Databricks, enforced on DuckDB)."""

    name: str
    columns: tuple[ColumnDef, ...]
    primary_key: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in table order."""
        return tuple(column.name for column in self.columns)

    def create_sql(self, namespace: Namespace) -> str:
        """``CREATE TABLE IF NOT EXISTS`` for this table in ``namespace``."""
        clauses = [column.ddl() for column in self.columns]
        if self.primary_key:
            clauses.append(f"PRIMARY KEY ({', '.join(quote(c) for c in self.primary_key)})")
        body = ",\n  ".join(clauses)
        return f"CREATE TABLE IF NOT EXISTS {namespace.table(self.name)} (\n  {body}\n)"

    def add_column_sql(self, namespace: Namespace, column: ColumnDef) -> str:
        """``ALTER TABLE … ADD COLUMN`` for a column missing from an older table (always nullable)."""
        return f"ALTER TABLE {namespace.table(self.name)} ADD COLUMN {quote(column.name)} {column.type}"


def _c(name: str, type_: str, nullable: bool = True) -> ColumnDef:
    return ColumnDef(name, type_, nullable)


_AUDIT = (
    _c("created_by", "STRING", False),
    _c("created_at", "TIMESTAMP", False),
    _c("updated_by", "STRING"),
    _c("updated_at", "TIMESTAMP"),
)

ALERT_CONFIGURATIONS = TableDef(
    "alert_configurations",
    (
        _c("alert_id", "STRING", False),
        _c("alert_name", "STRING", False),
        _c("alert_description", "STRING"),
        _c("agent_domain", "STRING", False),
        _c("severity", "STRING", False),
        _c("alert_query_template", "STRING", False),
        _c("query_source", "STRING"),
        _c("source_artifact_name", "STRING"),
        _c("threshold_column", "STRING", False),
        _c("threshold_operator", "STRING", False),
        _c("threshold_value_type", "STRING", False),
        _c("threshold_value_double", "DOUBLE"),
        _c("threshold_value_string", "STRING"),
        _c("threshold_value_bool", "BOOLEAN"),
        _c("empty_result_state", "STRING", False),
        _c("aggregation_type", "STRING"),
        _c("schedule_cron", "STRING", False),
        _c("schedule_timezone", "STRING", False),
        _c("pause_status", "STRING", False),
        _c("is_enabled", "BOOLEAN", False),
        _c("notification_channels", "ARRAY<STRING>"),
        _c("notify_on_ok", "BOOLEAN", False),
        _c("retrigger_seconds", "INT"),
        _c("use_custom_template", "BOOLEAN", False),
        _c("custom_subject_template", "STRING"),
        _c("custom_body_template", "STRING"),
        _c("owner", "STRING", False),
        *_AUDIT,
        _c("tags", "MAP<STRING, STRING>"),
        _c("databricks_alert_id", "STRING"),
        _c("databricks_display_name", "STRING"),
        _c("last_synced_at", "TIMESTAMP"),
        _c("last_sync_status", "STRING"),
        _c("last_sync_error", "STRING"),
        _c("run_as", "STRING"),  # last, where `init` adds it to an older table too
    ),
    ("alert_id",),
)

NOTIFICATION_DESTINATIONS = TableDef(
    "notification_destinations",
    (
        _c("destination_id", "STRING", False),
        _c("destination_name", "STRING", False),
        _c("destination_type", "STRING", False),
        _c("databricks_destination_id", "STRING"),
        _c("config_json", "STRING"),
        _c("owner", "STRING", False),
        _c("is_enabled", "BOOLEAN", False),
        *_AUDIT,
        _c("tags", "MAP<STRING, STRING>"),
    ),
    ("destination_id",),
)

ALERT_VALIDATION_RESULTS = TableDef(
    "alert_validation_results",
    (
        _c("run_id", "STRING", False),
        _c("alert_id", "STRING", False),
        _c("is_valid", "BOOLEAN", False),
        _c("error_code", "STRING"),
        _c("error_message", "STRING"),
        _c("validation_timestamp", "TIMESTAMP", False),
    ),
)

ALERT_SYNC_METRICS = TableDef(
    "alert_sync_metrics",
    (
        _c("sync_run_id", "STRING", False),
        _c("sync_started_at", "TIMESTAMP", False),
        _c("sync_ended_at", "TIMESTAMP", False),
        _c("total_alerts", "INT", False),
        _c("success_count", "INT", False),
        _c("error_count", "INT", False),
        _c("created_count", "INT", False),
        _c("updated_count", "INT", False),
        _c("deleted_count", "INT", False),
        _c("skipped_count", "INT", False),
        _c("avg_api_latency_ms", "DOUBLE", False),
        _c("max_api_latency_ms", "DOUBLE", False),
        _c("min_api_latency_ms", "DOUBLE", False),
        _c("p95_api_latency_ms", "DOUBLE", False),
        _c("total_duration_seconds", "DOUBLE", False),
        _c("dry_run", "BOOLEAN", False),
        _c("catalog", "STRING", False),
        _c("gold_schema", "STRING", False),
        _c("error_summary", "STRING"),
    ),
    ("sync_run_id",),
)

ALERT_STATE = TableDef(
    "alert_state",
    (
        _c("alert_id", "STRING", False),
        _c("state", "STRING", False),
        _c("last_stable_state", "STRING"),
        _c("value", "STRING"),
        _c("last_evaluated_at", "TIMESTAMP"),
        _c("last_triggered_at", "TIMESTAMP"),
        _c("last_notified_at", "TIMESTAMP"),
    ),
    ("alert_id",),
)

ALERT_EVALUATIONS = TableDef(
    "alert_evaluations",
    (
        _c("alert_id", "STRING", False),
        _c("evaluated_at", "TIMESTAMP", False),
        _c("state", "STRING", False),
        _c("value", "STRING"),
        _c("error", "STRING"),
        _c("duration_ms", "DOUBLE"),
        _c("notified", "BOOLEAN", False),  # a message of this evaluation was sent (a delivery ended SENT)
        _c("evaluation_id", "STRING"),
        # a preview (`eval` without --notify, nothing advanced, nothing sent); NULL in rows older than it: not one
        _c("preview", "BOOLEAN"),
    ),
)

ALERT_NOTIFICATION_OUTBOX = TableDef(
    "alert_notification_outbox",
    (
        _c("id", "STRING", False),
        _c("alert_id", "STRING", False),
        _c("channel", "STRING", False),
        _c("type", "STRING", False),
        _c("status", "STRING", False),
        _c("attempts", "INT", False),
        _c("last_error", "STRING"),
        _c("created_at", "TIMESTAMP", False),
        _c("sent_at", "TIMESTAMP"),
        # DESIGN §10.1: the stable id receivers de-duplicate on, when the next attempt is due (also the lease
        # of a claimed message), why it is sent, and the rendered message itself, so a new process can send it.
        _c("message_id", "STRING"),
        _c("next_attempt_at", "TIMESTAMP"),
        _c("event", "STRING"),
        _c("payload", "STRING"),
        _c("expires_at", "TIMESTAMP"),  # wall clock, 24 h after the message was first claimed
        _c("evaluation_id", "STRING"),  # the alert_evaluations row a sent message marks notified
    ),
    ("id",),
)

# DESIGN §10.2: the alerts this store created or adopted, per workspace host. Only these are ever deleted;
# ``synced_alert`` is the alert as the last sync wrote it (normalised JSON), which tells drift from a change.
ALERT_SYNC_OWNERSHIP = TableDef(
    "alert_sync_ownership",
    (
        _c("host", "STRING", False),
        _c("databricks_alert_id", "STRING", False),
        _c("alert_id", "STRING", False),
        _c("parent_path", "STRING"),
        _c("created_by_us", "BOOLEAN", False),
        _c("recorded_at", "TIMESTAMP", False),
        _c("synced_alert", "STRING"),
    ),
    ("host", "databricks_alert_id"),
)

# DESIGN §12: a recorded backtest (`backtest --record`), one row per rule per run; ``result`` is the rule's entry of
# the --json document. Created by `init` like every table (and by `--record` in a store older than it).
ALERT_BACKTESTS = TableDef(
    "alert_backtests",
    (
        _c("run_id", "STRING", False),
        _c("alert_id", "STRING", False),
        _c("from_at", "TIMESTAMP", False),
        _c("to_at", "TIMESTAMP", False),
        _c("step", "STRING"),
        _c("mode", "STRING", False),
        _c("evaluations", "INT", False),
        _c("ok", "INT", False),
        _c("triggered", "INT", False),
        _c("error", "INT", False),
        _c("unknown", "INT", False),
        _c("fires", "INT", False),
        _c("notifications", "INT", False),
        _c("flaps", "INT", False),
        _c("triggered_ratio", "DOUBLE"),
        _c("result", "STRING"),
        _c("recorded_at", "TIMESTAMP", False),
        _c("recorded_by", "STRING"),
    ),
    ("run_id", "alert_id"),
)

ALL_TABLES: tuple[TableDef, ...] = (
    ALERT_CONFIGURATIONS,
    NOTIFICATION_DESTINATIONS,
    ALERT_VALIDATION_RESULTS,
    ALERT_SYNC_METRICS,
    ALERT_STATE,
    ALERT_EVALUATIONS,
    ALERT_NOTIFICATION_OUTBOX,
    ALERT_SYNC_OWNERSHIP,
    ALERT_BACKTESTS,
)
