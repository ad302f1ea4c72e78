"""``system.lakeflow``: ``jobs`` (job definitions, slowly changing), ``job_run_timeline`` and
``job_task_run_timeline`` (runs and task runs).

Six scheduled jobs of the fleet run on their Quartz schedules; a run fails now and then (2 %). As on a
workspace, a run longer than an hour is split into slices at clock-hour boundaries, and only the last slice
carries the result state, termination code and durations. Incidents: on the as-of day orders_etl_hourly
fails three hours in a row and customer_360_refresh runs more than five times its usual duration;
finance_daily_export, still scheduled and not paused, stopped running four days before as-of.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from lakealerts.systables.fleet import (
    ACCOUNT_ID,
    ALICE,
    CAROL,
    CUSTOMER_360,
    CUSTOMER_360_SLOW_MINUTES,
    FINANCE_EXPORT,
    FINANCE_EXPORT_LAST_RUN_BACK,
    JOBS,
    ORDERS_ETL,
    ORDERS_ETL_FAILED_HOURS,
    PROD_WORKSPACE,
    SERVICE_PRINCIPAL,
    WH_ETL,
    Job,
    JobRun,
    job_runs,
    team_tags,
)
from lakealerts.systables.model import Incident, Row, SystemPlan, SystemTable, at, columns

# Columns and types as `DESCRIBE TABLE` reports them on a workspace; the page documents each table.
JOBS_DOC = "https://docs.databricks.com/aws/en/admin/system-tables/jobs"
TRIGGER = (
    "struct<file_arrival:struct<url:string,min_time_between_triggers_seconds:int,wait_after_last_change_seconds:int>,"
    "periodic:struct<interval:int,units:string>,continuous:struct<enabled:boolean>,"
    "table_update:struct<table_names:array<string>,min_time_between_triggers_seconds:bigint,"
    "wait_after_last_change_seconds:bigint,condition:string>,"
    "schedule:struct<quartz_cron_expression:string,timezone_id:string>>"
)
JOBS_COLUMNS = columns(f"""
    account_id : string
    workspace_id : string
    job_id : string
    name : string
    creator_id : string
    tags : map<string,string>
    run_as : string
    change_time : timestamp
    delete_time : timestamp
    description : string
    trigger : {TRIGGER}
    trigger_type : string
    run_as_user_name : string
    creator_user_name : string
    paused : boolean
    timeout_seconds : bigint
    health_rules : array<struct<metric:string,operator:string,value:bigint>>
    deployment : struct<kind:string,metadata_file_path:string>
    create_time : timestamp
""")
COMPUTE = "array<struct<type:string,cluster_id:string,warehouse_id:string>>"
#: Both timelines start with these columns (a task run's run_id is the task run's own id).
_TIMELINE_KEYS = """
    account_id : string
    workspace_id : string
    job_id : string
    run_id : string
    period_start_time : timestamp
    period_end_time : timestamp
"""
JOB_RUN_TIMELINE_COLUMNS = columns(f"""{_TIMELINE_KEYS}
    trigger_type : string
    result_state : string
    run_type : string
    run_name : string
    compute_ids : array<string>
    termination_code : string
    job_parameters : map<string,map<string,string>>
    source_task_run_id : string
    root_task_run_id : string
    compute : {COMPUTE}
    termination_type : string
    setup_duration_seconds : bigint
    queue_duration_seconds : bigint
    run_duration_seconds : bigint
    cleanup_duration_seconds : bigint
    execution_duration_seconds : bigint
""")
JOB_TASK_RUN_TIMELINE_COLUMNS = columns(f"""{_TIMELINE_KEYS}
    task_key : string
    compute_ids : array<string>
    result_state : string
    job_run_id : string
    parent_run_id : string
    termination_code : string
    compute : {COMPUTE}
    termination_type : string
    task_parameters : map<string,map<string,string>>
    setup_duration_seconds : bigint
    cleanup_duration_seconds : bigint
    execution_duration_seconds : bigint
""")
#: Numeric user ids of the job creators (jobs.creator_id).
USER_IDS = {ALICE: "4185521630288451", CAROL: "7731960512874203"}
#: Jobs were created this many days before the plan's first day.
CREATED_DAYS_BEFORE = 90

INCIDENTS = (
    Incident(
        "system.lakeflow.job_run_timeline",
        0,
        ", ".join(f"{hour:02d}:00" for hour in ORDERS_ETL_FAILED_HOURS),
        f"failed job runs: {ORDERS_ETL.name} (job {ORDERS_ETL.job_id}) ends FAILED / RUN_EXECUTION_ERROR three "
        f"hours in a row (task {ORDERS_ETL.tasks[-1]} fails in system.lakeflow.job_task_run_timeline); every "
        "other run of the as-of day succeeds",
    ),
    Incident(
        "system.lakeflow.job_run_timeline",
        0,
        f"01:00-{1 + CUSTOMER_360_SLOW_MINUTES // 60:02d}:{CUSTOMER_360_SLOW_MINUTES % 60:02d}",
        f"run far over its usual duration: {CUSTOMER_360.name} (job {CUSTOMER_360.job_id}) runs "
        f"{CUSTOMER_360_SLOW_MINUTES} minutes (usually about {CUSTOMER_360.minutes:g}; its health rule says 3600 s) "
        "and succeeds; the run spans two hourly slices",
    ),
    Incident(
        "system.lakeflow.job_run_timeline",
        FINANCE_EXPORT_LAST_RUN_BACK,
        "05:00",
        f"scheduled job stopped running: the last run of {FINANCE_EXPORT.name} (job {FINANCE_EXPORT.job_id}, "
        f"`{FINANCE_EXPORT.cron}`, not paused in system.lakeflow.jobs); no run since",
    ),
)


def _slices(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut at clock-hour boundaries, as the timeline tables slice long runs."""
    slices: list[tuple[datetime, datetime]] = []
    while True:
        boundary = start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        if end <= boundary:
            return [*slices, (start, end)]
        slices.append((start, boundary))
        start = boundary


def _compute(job: Job) -> tuple[list[str], list[dict[str, Any]]]:
    if job.cluster_id is None:
        return [WH_ETL.warehouse_id], [{"type": "WAREHOUSE", "cluster_id": None, "warehouse_id": WH_ETL.warehouse_id}]
    return [job.cluster_id], [{"type": "CLUSTER", "cluster_id": job.cluster_id, "warehouse_id": None}]


def _outcome(failed: bool) -> dict[str, str]:
    if failed:
        return {"result_state": "FAILED", "termination_code": "RUN_EXECUTION_ERROR", "termination_type": "CLIENT_ERROR"}
    return {"result_state": "SUCCEEDED", "termination_code": "SUCCESS", "termination_type": "SUCCESS"}


def _timeline(start: datetime, end: datetime, base: Row, final: Row) -> list[Row]:
    """One row per hourly slice; ``final``'s columns (outcome, durations) only on the last slice."""
    slices = _slices(start, end)
    empty = dict.fromkeys(final)
    return [
        {**base, "period_start_time": s, "period_end_time": e, **(final if i == len(slices) - 1 else empty)}
        for i, (s, e) in enumerate(slices)
    ]


def _run_rows(run: JobRun) -> list[Row]:
    compute_ids, compute = _compute(run.job)
    seconds = round(run.minutes * 60)
    base: Row = {
        "account_id": ACCOUNT_ID,
        "workspace_id": PROD_WORKSPACE,
        "job_id": run.job.job_id,
        "run_id": run.run_id,
        "trigger_type": "CRON",
        "run_type": "JOB_RUN",
        "run_name": run.job.name,
        "compute_ids": compute_ids,
        "job_parameters": {},
        "source_task_run_id": None,
        "root_task_run_id": None,
        "compute": compute,
    }
    final = {
        **_outcome(run.failed),
        "setup_duration_seconds": 45,
        "queue_duration_seconds": 0,
        "run_duration_seconds": seconds,
        "cleanup_duration_seconds": 5,
        "execution_duration_seconds": seconds - 50,
    }
    return _timeline(run.start, run.end, base, final)


def _task_rows(run: JobRun) -> list[Row]:
    compute_ids, compute = _compute(run.job)
    rows = []
    share = (run.end - run.start) / len(run.job.tasks)
    for index, task in enumerate(run.job.tasks):
        start = run.start + share * index
        failed = run.failed and index == len(run.job.tasks) - 1
        base: Row = {
            "account_id": ACCOUNT_ID,
            "workspace_id": PROD_WORKSPACE,
            "job_id": run.job.job_id,
            "run_id": f"{run.run_id}{index + 1}",
            "task_key": task,
            "compute_ids": compute_ids,
            "job_run_id": run.run_id,
            "parent_run_id": run.run_id,
            "compute": compute,
            "task_parameters": {},
        }
        seconds = round(share.total_seconds())
        final = {
            **_outcome(failed),
            "setup_duration_seconds": 10,
            "cleanup_duration_seconds": 2,
            "execution_duration_seconds": max(seconds - 12, 1),
        }
        rows.extend(_timeline(start, start + share, base, final))
    return rows


def _job_rows(plan: SystemPlan) -> list[Row]:
    created = at(plan.first_day - timedelta(days=CREATED_DAYS_BEFORE), 9)
    rows = []
    for index, job in enumerate(JOBS):
        creator = CAROL if job.team == "ml" else ALICE
        row = {
            "account_id": ACCOUNT_ID,
            "workspace_id": PROD_WORKSPACE,
            "job_id": job.job_id,
            "name": job.name,
            "creator_id": USER_IDS[creator],
            "tags": team_tags(job.team),
            "run_as": SERVICE_PRINCIPAL,
            "change_time": created + timedelta(minutes=index),
            "delete_time": None,
            "description": f"{job.name.replace('_', ' ')} ({', '.join(job.tasks)})",
            "trigger": {"schedule": {"quartz_cron_expression": job.cron, "timezone_id": "UTC"}},
            "trigger_type": "CRON",
            "run_as_user_name": SERVICE_PRINCIPAL,
            "creator_user_name": creator,
            "paused": False,
            "timeout_seconds": 0,
            "health_rules": [{"metric": "RUN_DURATION_SECONDS", "operator": "GREATER_THAN", "value": 3600}]
            if job is CUSTOMER_360
            else [],
            "deployment": {"kind": "BUNDLE", "metadata_file_path": f"/Workspace/Users/{creator}/.bundle/jobs.json"},
            "create_time": created + timedelta(minutes=index),
        }
        rows.append(row)
        if job is CUSTOMER_360:  # one later edit: a new row with the new description (SCD2)
            edited = at(plan.day(min(10, plan.days - 1)), 15, 40)
            rows.append({**row, "change_time": edited, "description": f"{row['description']}; publishes to CRM"})
    return rows


def _run_timeline(plan: SystemPlan) -> list[Row]:
    return [row for run in job_runs(plan) for row in _run_rows(run)]


def _task_timeline(plan: SystemPlan) -> list[Row]:
    return [row for run in job_runs(plan) for row in _task_rows(run)]


JOBS_TABLE = SystemTable("lakeflow", "jobs", JOBS_DOC, JOBS_COLUMNS, _job_rows)
JOB_RUN_TIMELINE = SystemTable("lakeflow", "job_run_timeline", JOBS_DOC, JOB_RUN_TIMELINE_COLUMNS, _run_timeline)
JOB_TASK_RUN_TIMELINE = SystemTable(
    "lakeflow", "job_task_run_timeline", JOBS_DOC, JOB_TASK_RUN_TIMELINE_COLUMNS, _task_timeline
)
TABLES = (JOBS_TABLE, JOB_RUN_TIMELINE, JOB_TASK_RUN_TIMELINE)
