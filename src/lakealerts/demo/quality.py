"""``table_quality_metrics``: one daily data-quality snapshot per table, like a Lakehouse Monitoring profile.

Twelve tables are measured every day at 06:00 UTC: rows inserted since the last snapshot (±15 % around
each table's usual volume), NULL keys (under 3 %) and duplicate keys (under 0.3 %) among them, the column
count and a hash of the schema, and when the table was last written (1-6 hours before). The incidents on the
as-of day: ``prod.sales.returns`` stopped loading yesterday at 00:30 (no new rows, 29.5 hours stale), and
``prod.sales.orders`` gained a column.
"""

from __future__ import annotations

from lakealerts.demo.hashing import choice, uniform
from lakealerts.demo.model import (
    HISTORY_DAYS,
    PARAMS_CTE,
    DemoPlan,
    DemoTable,
    Fragment,
    columns,
    date_at,
    select,
    timestamp_at,
    values_cte,
)

MEASURED_AT_SECONDS = 6 * 3600
STALE_TABLE = "prod.sales.returns"
DRIFTED_TABLE = "prod.sales.orders"
STALE_SINCE_SECONDS = 1800  # 00:30 on the day before the as-of day

# (key, catalog, schema, table, usual rows inserted a day, column count); keys 0 and 1 have the incidents.
MEASURED_TABLES = (
    (0, "prod", "sales", "orders", 250000, 42),
    (1, "prod", "sales", "returns", 12000, 18),
    (2, "prod", "sales", "customers", 8000, 35),
    (3, "prod", "sales", "order_items", 900000, 16),
    (4, "prod", "finance", "invoices", 40000, 28),
    (5, "prod", "finance", "payments", 60000, 22),
    (6, "prod", "marketing", "campaigns", 500, 30),
    (7, "prod", "marketing", "web_sessions", 2000000, 25),
    (8, "prod", "ml", "features_daily", 100000, 120),
    (9, "prod", "hr", "employees", 50, 40),
    (10, "prod", "iot", "telemetry", 5000000, 12),
    (11, "prod", "pii", "customers", 8000, 20),
)

COLUMNS = columns(
    ("metric_date", "DATE", "Day of the snapshot."),
    ("measured_at", "TIMESTAMP", "When the snapshot was taken (06:00 UTC)."),
    ("table_catalog", "STRING", "Catalog of the measured table."),
    ("table_schema", "STRING", "Schema of the measured table."),
    ("table_name", "STRING", "The measured table."),
    ("row_count", "BIGINT", "Rows in the table."),
    ("rows_inserted", "BIGINT", "Rows added since the previous snapshot."),
    ("null_key_count", "BIGINT", "Added rows with a NULL key column."),
    ("duplicate_key_count", "BIGINT", "Added rows whose key already existed."),
    ("column_count", "INT", "Columns in the table's schema."),
    ("schema_hash", "STRING", "Hash of the schema: changes when a column is added, dropped or retyped."),
    ("last_modified_at", "TIMESTAMP", "Last write to the table."),
)
_NAMES = tuple(column.name for column in COLUMNS)


def _daily() -> str:
    """Per table and day: the inserted volume and the incident flags (``row_count`` needs a running sum)."""
    day_back, table = "(s.id div 12)", "(s.id % 12)"
    stale_today = f"({table} = 1 AND {day_back} = 0)"
    return f"""daily AS (
  SELECT s.id, {day_back} AS day_back, t.*,
    CASE WHEN {stale_today} THEN 0
      ELSE CAST(FLOOR(t.usual_rows * (0.85 + 0.30 * {uniform("s.id", 121)})) AS BIGINT) END AS inserted,
    {uniform("s.id", 122)} AS null_share,
    {uniform("s.id", 123)} AS duplicate_share,
    CASE WHEN {table} = 0 AND {day_back} = 0 THEN t.base_columns + 1 ELSE t.base_columns END AS columns_now,
    CASE WHEN {table} = 1 AND {day_back} <= 1 THEN {STALE_SINCE_SECONDS} - (1 - {day_back}) * 86400
      ELSE {MEASURED_AT_SECONDS} - 3600 - {choice("s.id", 124, 18000)} END AS modified_seconds
  FROM range({HISTORY_DAYS * len(MEASURED_TABLES)}) AS s(id) JOIN tables AS t ON t.table_key = {table}
)"""


def body(plan: DemoPlan) -> Fragment:
    """The rows of ``table_quality_metrics`` for ``plan``."""
    names = ("table_key", "catalog_name", "schema_name", "table_name", "usual_rows", "base_columns")
    values = {
        "metric_date": date_at("d.day_back"),
        "measured_at": timestamp_at("d.day_back", str(MEASURED_AT_SECONDS)),
        "table_catalog": "d.catalog_name",
        "table_schema": "d.schema_name",
        "table_name": "d.table_name",
        # Integer running sum: exact, so the same on every run (no float summation order).
        "row_count": "d.usual_rows * 400 + SUM(d.inserted) OVER (PARTITION BY d.table_key ORDER BY d.day_back DESC "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)",
        "rows_inserted": "d.inserted",
        "null_key_count": "CAST(FLOOR(d.inserted * 0.03 * d.null_share) AS BIGINT)",
        "duplicate_key_count": "CAST(FLOOR(d.inserted * 0.003 * d.duplicate_share) AS BIGINT)",
        "column_count": "d.columns_now",
        "schema_hash": "md5(concat(d.catalog_name, '.', d.schema_name, '.', d.table_name, ':', "
        "CAST(d.columns_now AS STRING)))",
        "last_modified_at": timestamp_at("d.day_back", "d.modified_seconds"),
    }
    tables = values_cte("tables", names, MEASURED_TABLES)
    sql = f"WITH {PARAMS_CTE},\n{tables},\n{_daily()}\n" + select(_NAMES, values, "daily AS d CROSS JOIN params AS p")
    return Fragment(sql, plan.base_params)


TABLE = DemoTable(
    name="table_quality_metrics",
    modelled_on="Lakehouse Monitoring profile metrics / data quality monitoring results",
    description="One data-quality snapshot per table per day: volume, NULL and duplicate keys, schema, freshness.",
    columns=COLUMNS,
    order_by=("metric_date", "table_catalog", "table_schema", "table_name"),
    body=body,
)
