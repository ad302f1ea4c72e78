"""``job_run_timeline`` and ``pipeline_update_timeline``: job runs and pipeline updates, like
``system.lakeflow.job_run_timeline`` (with the job name of ``system.lakeflow.jobs``) and the pipeline
update timeline, enriched with each pipeline's SLA.

Forty jobs run every 1, 2, 6 or 24 hours (410 runs a day) and fail 0.5 % of the time. Six pipelines update
every 4 hours and finish in 30-80 % of their SLA. The incidents on the as-of day: the hourly job
``ingest_clickstream_00`` fails every run from 00:00 to 08:00 (9 runs), and the 04:00 update of
``orders_bronze_to_gold`` takes 92 minutes against a 45-minute SLA.
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
    select,
    timestamp_at,
    values_cte,
)

JOBS = 40
BROKEN_JOB = "ingest_clickstream_00"
BROKEN_UNTIL_HOUR = 8
SLOW_PIPELINE = "orders_bronze_to_gold"
SLOW_PIPELINE_OVERRUN_MINUTES = 47

JOB_PREFIXES = (
    (0, "ingest_clickstream"),
    (1, "refresh_customers"),
    (2, "build_sales_mart"),
    (3, "score_churn_model"),
    (4, "export_finance"),
    (5, "compact_events"),
    (6, "sync_crm"),
    (7, "vacuum_bronze"),
)
# (key, pipeline_id, pipeline_name, sla_minutes)
PIPELINES = (
    (0, "pl-0001", SLOW_PIPELINE, 45),
    (1, "pl-0002", "customers_cdc", 30),
    (2, "pl-0003", "clickstream_sessions", 60),
    (3, "pl-0004", "inventory_snapshot", 90),
    (4, "pl-0005", "payments_reconciliation", 120),
    (5, "pl-0006", "marketing_attribution", 30),
)

JOB_COLUMNS = columns(
    ("workspace_id", "STRING", "Workspace of the job."),
    ("job_id", "STRING", "The job."),
    ("job_name", "STRING", "The job's name (from system.lakeflow.jobs)."),
    ("run_id", "STRING", "The run."),
    ("period_start_time", "TIMESTAMP", "When the run started."),
    ("period_end_time", "TIMESTAMP", "When the run ended."),
    ("result_state", "STRING", "SUCCEEDED, FAILED, ERROR, TIMED_OUT, CANCELLED."),
    ("termination_code", "STRING", "SUCCESS, or why the run failed."),
    ("trigger_type", "STRING", "What started the run (PERIODIC here)."),
    ("run_type", "STRING", "JOB_RUN."),
)
PIPELINE_COLUMNS = columns(
    ("workspace_id", "STRING", "Workspace of the pipeline."),
    ("pipeline_id", "STRING", "The pipeline."),
    ("pipeline_name", "STRING", "The pipeline's name."),
    ("update_id", "STRING", "The update."),
    ("period_start_time", "TIMESTAMP", "When the update started."),
    ("period_end_time", "TIMESTAMP", "When the update ended."),
    ("result_state", "STRING", "COMPLETED, FAILED or CANCELED."),
    ("sla_minutes", "INT", "Agreed maximum duration of an update (gold enrichment)."),
)


def job_runs(plan: DemoPlan) -> Fragment:
    """The rows of ``job_run_timeline``: one per scheduled hour of every job."""
    day_back, job, hour = "(s.id div 960)", "((s.id div 24) % 40)", "(s.id % 24)"
    broken = f"({day_back} = 0 AND {job} = 0 AND {hour} <= {BROKEN_UNTIL_HOUR})"
    failed = f"({broken} OR {uniform('s.id', 102)} < 0.005)"
    start = f"{hour} * 3600 + (({job} * 7) % 50) * 60"
    values = {
        "workspace_id": f"concat('ws-', CASE {job} % 4 WHEN 0 THEN 'analytics' WHEN 1 THEN 'data-eng' "
        "WHEN 2 THEN 'ml' ELSE 'finance' END)",
        "job_id": f"CAST(1000 + {job} AS STRING)",
        "job_name": f"concat(n.prefix, '_', lpad(CAST({job} AS STRING), 2, '0'))",
        "run_id": "CAST(100000000 + s.id AS STRING)",
        "period_start_time": timestamp_at(day_back, start),
        "period_end_time": timestamp_at(day_back, f"{start} + 120 + {choice('s.id', 101, 1080)}"),
        "result_state": f"CASE WHEN {failed} THEN 'FAILED' ELSE 'SUCCEEDED' END",
        "termination_code": f"CASE WHEN {failed} THEN 'RUN_EXECUTION_ERROR' ELSE 'SUCCESS' END",
        "trigger_type": "'PERIODIC'",
        "run_type": "'JOB_RUN'",
    }
    every = f"CASE {job} % 4 WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 6 ELSE 24 END"
    source = (
        f"range({HISTORY_DAYS * JOBS * 24}) AS s(id) "
        f"JOIN job_names AS n ON n.prefix_key = {job} % {len(JOB_PREFIXES)} CROSS JOIN params AS p"
    )
    names = values_cte("job_names", ("prefix_key", "prefix"), JOB_PREFIXES)
    query = select([c.name for c in JOB_COLUMNS], values, source, where=f"{hour} % ({every}) = 0")
    return Fragment(f"WITH {PARAMS_CTE},\n{names}\n{query}", plan.base_params)


def pipeline_updates(plan: DemoPlan) -> Fragment:
    """The rows of ``pipeline_update_timeline``: every pipeline updates at 00, 04, ... 20 h."""
    day_back, pipeline, slot = "(s.id div 36)", "((s.id div 6) % 6)", "(s.id % 6)"
    slow = f"({day_back} = 0 AND {pipeline} = 0 AND {slot} = 1)"
    seconds = (
        f"CASE WHEN {slow} THEN (l.sla_minutes + {SLOW_PIPELINE_OVERRUN_MINUTES}) * 60 "
        f"ELSE CAST(FLOOR(l.sla_minutes * 60 * (0.3 + 0.5 * {uniform('s.id', 103)})) AS BIGINT) END"
    )
    start = f"{slot} * 14400 + {pipeline} * 300"
    values = {
        "workspace_id": "'ws-data-eng'",
        "pipeline_id": "l.pipeline_id",
        "pipeline_name": "l.pipeline_name",
        "update_id": "concat('upd-', lpad(CAST(s.id AS STRING), 6, '0'))",
        "period_start_time": timestamp_at(day_back, start),
        "period_end_time": timestamp_at(day_back, f"{start} + {seconds}"),
        "result_state": "'COMPLETED'",
        "sla_minutes": "l.sla_minutes",
    }
    source = (
        f"range({HISTORY_DAYS * 36}) AS s(id) JOIN pipelines AS l ON l.pipeline_key = {pipeline} CROSS JOIN params AS p"
    )
    lines = values_cte("pipelines", ("pipeline_key", "pipeline_id", "pipeline_name", "sla_minutes"), PIPELINES)
    query = select([c.name for c in PIPELINE_COLUMNS], values, source)
    return Fragment(f"WITH {PARAMS_CTE},\n{lines}\n{query}", plan.base_params)


JOB_RUN_TIMELINE = DemoTable(
    name="job_run_timeline",
    modelled_on="system.lakeflow.job_run_timeline (+ job_name from system.lakeflow.jobs)",
    description="One row per job run with its start, end and result.",
    columns=JOB_COLUMNS,
    order_by=("run_id",),
    body=job_runs,
)
PIPELINE_UPDATE_TIMELINE = DemoTable(
    name="pipeline_update_timeline",
    modelled_on="the Lakeflow pipeline update timeline, enriched with each pipeline's SLA",
    description="One row per pipeline update with its duration and the pipeline's SLA.",
    columns=PIPELINE_COLUMNS,
    order_by=("update_id",),
    body=pipeline_updates,
)
TABLES = (JOB_RUN_TIMELINE, PIPELINE_UPDATE_TIMELINE)
