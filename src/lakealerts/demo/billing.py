"""``billing_usage``: DBU usage priced at list price, like ``system.billing.usage`` joined with
``system.billing.list_prices``.

The bulk rows split a fixed daily budget (about 3,000 USD, ±5 % from day to day) over six SKUs, so the daily
totals do not depend on ``--rows``: each row gets an integer weight and its (day, SKU) group shares the
group's cost by weight. 92 % of rows carry ``team`` / ``cost_center`` tags. The incident: the day before the
as-of day an untagged all-purpose cluster ran for 24 hours at 125 USD an hour.
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

DAILY_COST_USD = 3000.0
TAGGED_SHARE = 0.92
RUNAWAY_CLUSTER = "0312-071500-runaway-gpu"
RUNAWAY_HOURLY_USD = 125.0

# (key, sku_name, billing_origin_product, list_price USD/DBU, share of the daily cost)
SKUS = (
    (0, "PREMIUM_JOBS_COMPUTE", "JOBS", 0.15, 0.30),
    (1, "PREMIUM_ALL_PURPOSE_COMPUTE", "ALL_PURPOSE", 0.55, 0.20),
    (2, "PREMIUM_SQL_PRO_COMPUTE", "SQL", 0.55, 0.12),
    (3, "PREMIUM_SERVERLESS_SQL_COMPUTE", "SQL", 0.70, 0.18),
    (4, "PREMIUM_DLT_ADVANCED_COMPUTE", "DLT", 0.36, 0.12),
    (5, "PREMIUM_SERVERLESS_REAL_TIME_INFERENCE", "MODEL_SERVING", 0.07, 0.08),
)
# (key, workspace_id, team, cost_center); the first is where the runaway cluster ran.
WORKSPACES = (
    (0, "ws-analytics", "analytics", "CC-1001"),
    (1, "ws-data-eng", "data-eng", "CC-1002"),
    (2, "ws-ml", "ml", "CC-1003"),
    (3, "ws-finance", "finance", "CC-1004"),
)

COLUMNS = columns(
    ("record_id", "STRING", "Unique id of the usage record."),
    ("workspace_id", "STRING", "Workspace that used the DBUs."),
    ("cloud", "STRING", "AWS, AZURE or GCP."),
    ("sku_name", "STRING", "The SKU billed, e.g. PREMIUM_JOBS_COMPUTE."),
    ("billing_origin_product", "STRING", "JOBS, SQL, ALL_PURPOSE, DLT, MODEL_SERVING."),
    ("usage_date", "DATE", "Day of the usage (UTC)."),
    ("usage_start_time", "TIMESTAMP", "Start of the usage hour."),
    ("usage_end_time", "TIMESTAMP", "End of the usage hour."),
    ("usage_quantity", "DOUBLE", "DBUs used."),
    ("usage_unit", "STRING", "Always DBU here."),
    ("list_price", "DOUBLE", "List price in USD per DBU."),
    ("list_cost", "DOUBLE", "usage_quantity x list_price, in USD."),
    ("custom_tags", "MAP<STRING, STRING>", "Cluster/warehouse tags; an empty map when untagged."),
    ("cluster_id", "STRING", "Cluster of JOBS / ALL_PURPOSE usage, else NULL."),
    ("warehouse_id", "STRING", "SQL warehouse of SQL usage, else NULL."),
    ("job_id", "STRING", "Job of JOBS usage, else NULL."),
)
_NAMES = tuple(column.name for column in COLUMNS)


def _bulk(plan: DemoPlan) -> str:
    """Everyday usage: rows balanced over (SKU, day) groups, each group sharing its cost by weight."""
    draws = f"""draws AS (
  SELECT r.id,
    r.id % {len(SKUS)} AS sku_key,
    (r.id div {len(SKUS)}) % {HISTORY_DAYS} AS day_back,
    {choice("r.id", 1, len(WORKSPACES))} AS workspace_key,
    {uniform("r.id", 2)} < {TAGGED_SHARE} AS tagged,
    50 + {choice("r.id", 3, 101)} AS weight,
    {choice("r.id", 4, 24)} AS hour,
    {choice("r.id", 5, 3)} AS resource_key
  FROM range(?) AS r(id)
), costed AS (
  SELECT d.*,
    {DAILY_COST_USD} * (0.95 + 0.10 * {uniform("d.day_back", 6)}) * s.cost_share * d.weight
      / SUM(d.weight) OVER (PARTITION BY d.sku_key, d.day_back) AS cost,
    s.sku_name, s.billing_origin_product, s.list_price
  FROM draws AS d JOIN skus AS s ON s.sku_key = d.sku_key
)"""
    product = "c.billing_origin_product"
    values = {
        "record_id": "concat('usage-', lpad(CAST(c.id AS STRING), 10, '0'))",
        "workspace_id": "w.workspace_id",
        "cloud": "'AWS'",
        "sku_name": "c.sku_name",
        "billing_origin_product": product,
        "usage_date": date_at("c.day_back"),
        "usage_start_time": timestamp_at("c.day_back", "c.hour * 3600"),
        "usage_end_time": timestamp_at("c.day_back", "(c.hour + 1) * 3600"),
        "usage_quantity": "ROUND(c.cost / c.list_price, 6)",
        "usage_unit": "'DBU'",
        "list_price": "c.list_price",
        "list_cost": "ROUND(c.cost, 6)",
        "custom_tags": "CASE WHEN c.tagged THEN map('team', w.team, 'cost_center', w.cost_center) ELSE map() END",
        "cluster_id": f"CASE WHEN {product} IN ('JOBS', 'ALL_PURPOSE') "
        "THEN concat('cluster-', w.team, '-', CAST(c.resource_key AS STRING)) END",
        "warehouse_id": f"CASE WHEN {product} = 'SQL' THEN concat('wh-', w.team) END",
        "job_id": f"CASE WHEN {product} = 'JOBS' THEN CAST(1000 + c.resource_key AS STRING) END",
    }
    source = "costed AS c JOIN workspaces AS w ON w.workspace_key = c.workspace_key CROSS JOIN params AS p"
    return draws + ",\nbulk AS (" + select(_NAMES, values, source) + ")"


def _runaway() -> str:
    """The incident: 24 untagged hours of an all-purpose cluster, the day before the as-of day."""
    price = SKUS[1][3]
    values = {
        "record_id": "concat('usage-runaway-', lpad(CAST(h.id AS STRING), 2, '0'))",
        "workspace_id": f"'{WORKSPACES[0][1]}'",
        "cloud": "'AWS'",
        "sku_name": f"'{SKUS[1][1]}'",
        "billing_origin_product": f"'{SKUS[1][2]}'",
        "usage_date": date_at("1"),
        "usage_start_time": timestamp_at("1", "h.id * 3600"),
        "usage_end_time": timestamp_at("1", "(h.id + 1) * 3600"),
        "usage_quantity": f"ROUND({RUNAWAY_HOURLY_USD} / {price}, 6)",
        "usage_unit": "'DBU'",
        "list_price": f"{price}",
        "list_cost": f"{RUNAWAY_HOURLY_USD}",
        "custom_tags": "map()",
        "cluster_id": f"'{RUNAWAY_CLUSTER}'",
        "warehouse_id": "CAST(NULL AS STRING)",
        "job_id": "CAST(NULL AS STRING)",
    }
    return "runaway AS (" + select(_NAMES, values, "range(24) AS h(id) CROSS JOIN params AS p") + ")"


def body(plan: DemoPlan) -> Fragment:
    """The rows of ``billing_usage`` for ``plan``."""
    skus = values_cte("skus", ("sku_key", "sku_name", "billing_origin_product", "list_price", "cost_share"), SKUS)
    workspaces = values_cte("workspaces", ("workspace_key", "workspace_id", "team", "cost_center"), WORKSPACES)
    sql = (
        f"WITH {PARAMS_CTE},\n{skus},\n{workspaces},\n{_bulk(plan)},\n{_runaway()}\n"
        "SELECT * FROM bulk UNION ALL SELECT * FROM runaway"
    )
    return Fragment(sql, (*plan.base_params, plan.rows_per_event_table))


TABLE = DemoTable(
    name="billing_usage",
    modelled_on="system.billing.usage joined with system.billing.list_prices",
    description="Hourly DBU usage per workspace and SKU, priced at list price (USD).",
    columns=COLUMNS,
    order_by=("record_id",),
    body=body,
)
