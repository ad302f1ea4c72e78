"""``system.billing``: ``usage`` (billable usage records) and ``list_prices`` (SKU list prices over time).

Usage comes from the fleet: the all-purpose clusters during their working hours, one record per job run on
its job cluster, the SQL warehouses while they run, a model-serving endpoint. Quantities are DBUs as
DECIMAL(38,18); most records carry ``team`` / ``cost_center`` tags. Incident: the day before as-of the
untagged ad-hoc GPU cluster runs a runaway job for 24 hours (the spend spike, and most of that day's spend
untagged). ``list_prices`` holds each SKU's current price (effective long before the plan) and, for two SKUs,
the older price it replaced: join on the time range, as on a workspace.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from lakealerts.systables.fleet import (
    ACCOUNT_ID,
    ADHOC,
    ADHOC_RUNAWAY_DBU_PER_HOUR,
    ALL_PURPOSE,
    CLOUD,
    PROD_WORKSPACE,
    SERVICE_PRINCIPAL,
    WAREHOUSES,
    WH_BI,
    Cluster,
    Warehouse,
    job_cluster,
    job_runs,
    team_tags,
)
from lakealerts.systables.model import Incident, Row, SystemPlan, SystemTable, at, columns, dbu, uid

# Columns and types as `DESCRIBE TABLE system.billing.usage` reports them; the page documents each one.
# usage_metadata: a workspace reports about 50 fields (DESCRIBE abbreviates the list); these are the 35 the
# documentation's usage metadata reference names.
USAGE_DOC = "https://docs.databricks.com/aws/en/admin/system-tables/billing"
USAGE_METADATA = (
    "struct<cluster_id:string,job_id:string,warehouse_id:string,instance_pool_id:string,node_type:string,"
    "job_run_id:string,notebook_id:string,dlt_pipeline_id:string,endpoint_name:string,endpoint_id:string,"
    "dlt_update_id:string,dlt_maintenance_id:string,run_name:string,job_name:string,notebook_path:string,"
    "central_clean_room_id:string,source_region:string,destination_region:string,app_id:string,app_name:string,"
    "metastore_id:string,private_endpoint_name:string,storage_api_type:string,budget_policy_id:string,"
    "ai_runtime_pool_id:string,ai_runtime_workload_id:string,uc_table_catalog:string,uc_table_schema:string,"
    "uc_table_name:string,database_instance_id:string,sharing_materialization_id:string,schema_id:string,"
    "usage_policy_id:string,agent_bricks_id:string,base_environment_id:string>"
)
PRODUCT_FEATURES = (
    "struct<jobs_tier:string,sql_tier:string,dlt_tier:string,is_serverless:boolean,is_photon:boolean,"
    "serving_type:string,networking:struct<connectivity_type:string>,ai_runtime:struct<compute_type:string>,"
    "model_serving:struct<offering_type:string>,ai_gateway:struct<feature_type:string>,"
    "performance_target:string,serverless_gpu:struct<workload_type:string>,"
    "agent_bricks:struct<problem_type:string,workload_type:string>,ai_functions:struct<ai_function:string>,"
    "apps:struct<compute_size:string>,lakeflow_connect:struct<task_type:string,zerobus_request_type:string>,"
    "lakebase:struct<storage_type:string,compute_type:string>,"
    "ai_bi_genie:struct<capability_type:string,offering_type:string>,genie:struct<offering_type:string>>"
)
USAGE_COLUMNS = columns(f"""
    account_id : string
    workspace_id : string
    record_id : string
    sku_name : string
    cloud : string
    usage_start_time : timestamp
    usage_end_time : timestamp
    usage_date : date
    custom_tags : map<string,string>
    usage_unit : string
    usage_quantity : decimal(38,18)
    usage_metadata : {USAGE_METADATA}
    identity_metadata : struct<run_as:string,created_by:string,owned_by:string,run_by:string>
    record_type : string
    ingestion_date : date
    billing_origin_product : string
    product_features : {PRODUCT_FEATURES}
    usage_type : string
""")

LIST_PRICES_DOC = "https://docs.databricks.com/aws/en/admin/system-tables/pricing"
LIST_PRICES_COLUMNS = columns("""
    account_id : string
    price_start_time : timestamp
    price_end_time : timestamp
    sku_name : string
    cloud : string
    currency_code : string
    usage_unit : string
    pricing : struct<default:decimal(38,18),promotional:struct<default:decimal(38,18)>,effective_list:struct<default:decimal(38,18)>>
""")  # noqa: E501 - one column per line, as DESCRIBE prints it

# sku -> (USD per DBU now, USD per DBU before the last change or None, effective list price if promoted)
PRICES: dict[str, tuple[str, str | None, str | None]] = {
    "PREMIUM_ALL_PURPOSE_COMPUTE": ("0.55", "0.40", None),
    "PREMIUM_JOBS_COMPUTE": ("0.15", "0.10", None),
    "PREMIUM_SQL_COMPUTE": ("0.22", None, None),
    "PREMIUM_SQL_PRO_COMPUTE": ("0.55", None, None),
    "PREMIUM_SERVERLESS_SQL_COMPUTE": ("0.70", None, None),
    "PREMIUM_SERVERLESS_REAL_TIME_INFERENCE": ("0.07", None, "0.05"),
}
#: The current prices became effective this many days before the plan's first day; the older ones before.
PRICE_CHANGE_DAYS_BEFORE, OLD_PRICE_DAYS_BEFORE = 400, 1200
SERVING_ENDPOINT = ("churn-model", "3f9a1b2c4d5e6f708192a3b4c5d6e7f8")

INCIDENTS = (
    Incident(
        "system.billing.usage",
        1,
        "00:00-24:00",
        f"spend spike: the untagged all-purpose cluster {ADHOC.name} ({ADHOC.cluster_id}) bills "
        f"{ADHOC_RUNAWAY_DBU_PER_HOUR:g} DBU an hour for 24 hours; the day's spend is several times the "
        "7-day average before it, and most of it is untagged",
    ),
)


def _record(
    rng: random.Random,
    start: datetime,
    end: datetime,
    sku: str,
    product: str,
    quantity: float,
    tags: dict[str, str],
    metadata: dict[str, Any],
    features: dict[str, Any],
    identity: dict[str, Any] | None = None,
) -> Row:
    return {
        "account_id": ACCOUNT_ID,
        "workspace_id": PROD_WORKSPACE,
        "record_id": uid(rng),
        "sku_name": sku,
        "cloud": CLOUD,
        "usage_start_time": start,
        "usage_end_time": end,
        "usage_date": start.date(),
        "custom_tags": tags,
        "usage_unit": "DBU",
        "usage_quantity": dbu(quantity),
        "usage_metadata": metadata,
        "identity_metadata": identity or {},
        "record_type": "ORIGINAL",
        "ingestion_date": start.date() + timedelta(days=1),
        "billing_origin_product": product,
        "product_features": features,
        "usage_type": "COMPUTE_TIME",
    }


def _tags(rng: random.Random, team: str | None) -> dict[str, str]:
    """The resource's tags, except on about 5 % of records (a tag lost on the way, as happens)."""
    return {} if rng.random() < 0.05 else team_tags(team)


def _cluster_hours(cluster: Cluster, plan: SystemPlan, back: int) -> tuple[range, float]:
    """The UTC hours ``cluster`` bills on the day ``back`` days before as-of, and its DBUs per hour."""
    day = plan.day(back)
    nodes = 1 + cluster.workers
    if cluster is ADHOC:
        if back > (cluster.created_back or 0):
            return range(0), 0.0
        hours = range(10, 24) if back == cluster.created_back else range(24)
        return hours, ADHOC_RUNAWAY_DBU_PER_HOUR if back == 1 else cluster.dbu_per_hour * nodes
    if day.weekday() >= 5:
        return range(0), 0.0
    return range(*cluster.hours), cluster.dbu_per_hour * nodes


def _warehouse_hours(warehouse: Warehouse, plan: SystemPlan, back: int) -> tuple[list[int], list[int]]:
    """The UTC hours ``warehouse`` runs on that day, and how many clusters it runs in each."""
    day = plan.day(back)
    if warehouse is WH_BI:
        hours = list(range(6, 18)) if back == 0 else (list(range(8, 18)) if day.weekday() < 5 else [])
        return hours, [5 if back == 0 and hour < 8 else (2 if hour in (10, 14) else 1) for hour in hours]
    if warehouse.created_back is not None:  # the always-on warehouse
        if back > warehouse.created_back:
            return [], []
        hours = list(range(10, 24)) if back == warehouse.created_back else list(range(24))
        return hours, [1] * len(hours)
    hours = [0, 4, 8, 12, 16, 20]  # wh-etl: the data quality checks
    return hours, [1] * len(hours)


def _usage(plan: SystemPlan) -> list[Row]:
    rng = plan.rng("billing.usage")
    rows: list[Row] = []
    for back in range(plan.days - 1, -1, -1):
        day = plan.day(back)
        for cluster in ALL_PURPOSE:
            hours, per_hour = _cluster_hours(cluster, plan, back)
            for hour in hours:
                rows.append(
                    _record(
                        rng, at(day, hour), at(day, hour + 1), "PREMIUM_ALL_PURPOSE_COMPUTE", "ALL_PURPOSE",
                        per_hour * rng.uniform(0.9, 1.1), _tags(rng, cluster.team),
                        {"cluster_id": cluster.cluster_id, "node_type": cluster.node_type},
                        {"is_serverless": False, "is_photon": cluster is not ADHOC},
                    )
                )  # fmt: skip
        rows.extend(_warehouse_usage(rng, plan, back, day))
        rows.append(
            _record(
                rng, at(day), at(day, 24), "PREMIUM_SERVERLESS_REAL_TIME_INFERENCE", "MODEL_SERVING",
                300 * rng.uniform(0.8, 1.2), _tags(rng, "ml"),
                {"endpoint_name": SERVING_ENDPOINT[0], "endpoint_id": SERVING_ENDPOINT[1]},
                {"is_serverless": True, "serving_type": "MODEL"}, {"run_as": SERVICE_PRINCIPAL},
            )
        )  # fmt: skip
    rows.extend(_job_usage(rng, plan))
    return rows


def _warehouse_usage(rng: random.Random, plan: SystemPlan, back: int, day: date) -> list[Row]:
    rows = []
    for warehouse in WAREHOUSES:
        hours, clusters = _warehouse_hours(warehouse, plan, back)
        serverless = warehouse.warehouse_type == "SERVERLESS"
        for hour, count in zip(hours, clusters, strict=True):
            fraction = 0.2 if serverless else 1.0  # serverless bills the minutes it runs
            rows.append(
                _record(
                    rng, at(day, hour), at(day, hour + 1), warehouse.sku, "SQL",
                    warehouse.dbu_per_hour * count * fraction * rng.uniform(0.95, 1.0), _tags(rng, warehouse.team),
                    {"warehouse_id": warehouse.warehouse_id},
                    {"sql_tier": "CLASSIC" if warehouse.warehouse_type == "CLASSIC" else "PRO",
                     "is_serverless": serverless, "is_photon": True},
                    {"owned_by": warehouse.owner},
                )
            )  # fmt: skip
    return rows


def _job_usage(rng: random.Random, plan: SystemPlan) -> list[Row]:
    rows = []
    for run in job_runs(plan):
        cluster = job_cluster(run.job)
        if cluster is None:  # a SQL task: billed by its warehouse
            continue
        quantity = cluster.dbu_per_hour * (1 + cluster.workers) * run.minutes / 60
        metadata = {
            "cluster_id": cluster.cluster_id,
            "job_id": run.job.job_id,
            "job_run_id": run.run_id,
            "job_name": run.job.name,
            "node_type": cluster.node_type,
        }
        rows.append(
            _record(
                rng, run.start, run.end, "PREMIUM_JOBS_COMPUTE", "JOBS", quantity, _tags(rng, run.job.team),
                metadata, {"jobs_tier": "CLASSIC", "is_serverless": False, "is_photon": False},
                {"run_as": SERVICE_PRINCIPAL},
            )
        )  # fmt: skip
    return rows


def _pricing(price: str, effective: str | None) -> dict[str, Any]:
    return {
        "default": price,
        "promotional": {"default": effective or price},
        "effective_list": {"default": effective or price},
    }


def _list_prices(plan: SystemPlan) -> list[Row]:
    changed = at(plan.first_day - timedelta(days=PRICE_CHANGE_DAYS_BEFORE))
    first = at(plan.first_day - timedelta(days=OLD_PRICE_DAYS_BEFORE))
    rows = []
    for sku, (price, old_price, effective) in PRICES.items():
        common = {
            "account_id": ACCOUNT_ID,
            "sku_name": sku,
            "cloud": CLOUD,
            "currency_code": "USD",
            "usage_unit": "DBU",
        }
        if old_price is not None:
            old = {"price_start_time": first, "price_end_time": changed, "pricing": _pricing(old_price, None)}
            rows.append({**common, **old})
        start = changed if old_price is not None else first
        rows.append(
            {**common, "price_start_time": start, "price_end_time": None, "pricing": _pricing(price, effective)}
        )
    return rows


USAGE = SystemTable("billing", "usage", USAGE_DOC, USAGE_COLUMNS, _usage)
LIST_PRICES = SystemTable("billing", "list_prices", LIST_PRICES_DOC, LIST_PRICES_COLUMNS, _list_prices)
TABLES = (USAGE, LIST_PRICES)
