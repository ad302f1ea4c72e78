"""``system.query.history``: every statement the SQL warehouses ran, with its timings and I/O.

Everyday load: dashboards and analysts on wh-bi during working hours (a second or two each, log-normally
spread), the data quality job's checks on wh-etl every four hours, and, since it was created, Dave's queries
on wh-adhoc; about 3 % fail and 1 % are cancelled. Incident of the as-of day, 06:00-06:45 UTC: a dashboard
refresh storm on wh-bi, with statements running 20 to 45 minutes (far above the warehouse's 95th
percentile) and others queued at capacity for 5 to 15 minutes while the warehouse scales to its maximum.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta
from typing import Any

from lakealerts.systables.fleet import (
    ACCOUNT_ID,
    ALICE,
    BOB,
    CAROL,
    DAVE,
    ERIN,
    PROD_WORKSPACE,
    QUALITY_CHECKS,
    SERVICE_PRINCIPAL,
    WH_ADHOC,
    WH_BI,
    WH_ETL,
    Warehouse,
    job_runs,
)
from lakealerts.systables.model import Incident, Row, SystemPlan, SystemTable, at, columns, uid

# Columns and types as `DESCRIBE TABLE system.query.history` reports them; the page documents each one.
HISTORY_DOC = "https://docs.databricks.com/aws/en/admin/system-tables/query-history"
QUERY_SOURCE = (
    "struct<job_info:struct<job_id:string,job_run_id:string,job_task_run_id:string>,legacy_dashboard_id:string,"
    "dashboard_id:string,alert_id:string,notebook_id:string,sql_query_id:string,genie_space_id:string,"
    "pipeline_info:struct<pipeline_id:string,update_id:string>>"
)
_DATA_TYPE = "struct<type_name:string,type_ddl:string,redacted_type_ddl:string>"
_LITERAL = (
    f"struct<data_type:{_DATA_TYPE},int_value:int,long_value:bigint,double_value:double,float_value:float,"
    "byte_value:int,short_value:int,string_value:string,boolean_value:boolean,"
    "decimal_value:struct<value:string,precision:int,scale:int>,binary_value:binary,timestamp_value:bigint,"
    "timestamp_ntz_value:bigint,date_value:bigint,calendar_interval_value:struct<months:int,days:int,microseconds:bigint>,"
    "day_time_interval_value:bigint,year_month_interval_value:int>"
)
_EXPRS = (
    f"struct<exprs:array<struct<tag:string,data_type:{_DATA_TYPE},literal:{_LITERAL},"
    "seq_expression:struct<children:array<bigint>>,function:struct<function_name:string,arguments:array<bigint>>,"
    "alias:struct<expr:bigint,name:array<string>,metadata:string>,"
    "sort_order:struct<child:bigint,direction:string,null_ordering:string>,"
    "lambda_function:struct<function:bigint,arguments:array<struct<name_parts:array<string>>>>,"
    "window:struct<window_function:bigint,partition_spec:array<bigint>,order_spec:array<bigint>>,"
    "unresolved_extract_value:struct<child:bigint,extraction:bigint>,"
    "update_fields:struct<struct_expression:bigint,field_name:string,value_expression:bigint>,"
    "unresolved_named_lambda_variable:struct<name_parts:array<string>>,"
    "named_argument_expression:struct<key:string,value:bigint>,id:bigint>>>"
)
QUERY_PARAMETERS = f"struct<named_parameters:map<string,{_EXPRS}>,pos_parameters:array<{_EXPRS}>,truncated:boolean>"
HISTORY_COLUMNS = columns(f"""
    account_id : string
    workspace_id : string
    statement_id : string
    executed_by : string
    session_id : string
    execution_status : string
    compute : struct<type:string,cluster_id:string,warehouse_id:string>
    executed_by_user_id : string
    statement_text : string
    statement_type : string
    error_message : string
    client_application : string
    client_driver : string
    total_duration_ms : bigint
    waiting_for_compute_duration_ms : bigint
    waiting_at_capacity_duration_ms : bigint
    execution_duration_ms : bigint
    compilation_duration_ms : bigint
    total_task_duration_ms : bigint
    result_fetch_duration_ms : bigint
    start_time : timestamp
    end_time : timestamp
    update_time : timestamp
    read_partitions : bigint
    pruned_files : bigint
    read_files : bigint
    read_rows : bigint
    produced_rows : bigint
    read_bytes : bigint
    read_io_cache_percent : tinyint
    from_result_cache : boolean
    spilled_local_bytes : bigint
    written_bytes : bigint
    shuffle_read_bytes : bigint
    query_source : {QUERY_SOURCE}
    executed_as_user_id : string
    executed_as : string
    written_rows : bigint
    written_files : bigint
    cache_origin_statement_id : string
    query_parameters : {QUERY_PARAMETERS}
    query_tags : map<string,string>
    pruned_files_bytes : bigint
    read_files_bytes : bigint
""")

USER_IDS = {
    ALICE: "4185521630288451",
    BOB: "2967555311742259",
    CAROL: "7731960512874203",
    DAVE: "1053389224471846",
    ERIN: "8820145563920017",
    SERVICE_PRINCIPAL: "6612094738810452",
}
STATEMENTS = (
    "SELECT region, SUM(amount) AS revenue FROM prod.sales.orders WHERE order_date >= current_date() - 7 "
    "GROUP BY region",
    "SELECT customer_id, COUNT(*) AS orders FROM prod.sales.orders GROUP BY customer_id ORDER BY orders DESC LIMIT 100",
    "SELECT * FROM prod.finance.ledger WHERE posting_date = current_date() - 1",
    "SELECT c.segment, AVG(o.amount) AS avg_order FROM prod.sales.orders o JOIN prod.sales.customers c "
    "USING (customer_id) GROUP BY c.segment",
)
CLIENTS = (("Tableau", "Databricks ODBC Driver"), ("Power BI", "Databricks ODBC Driver"),
           ("Databricks SQL Editor", None), ("Databricks SQL Dashboard", None))  # fmt: skip
SLOW_QUERIES, QUEUED_QUERIES = 6, 12

INCIDENTS = (
    Incident(
        "system.query.history",
        0,
        "06:00-06:45",
        f"slow and queued queries on {WH_BI.name} ({WH_BI.warehouse_id}): {SLOW_QUERIES} statements run 20-45 "
        f"minutes (the warehouse's usual 95th percentile is a few seconds) and {QUEUED_QUERIES} wait 5-15 "
        "minutes at capacity (waiting_at_capacity_duration_ms) while it scales to its maximum",
    ),
)


def _statement(
    rng: random.Random,
    warehouse: Warehouse,
    who: str,
    start: datetime,
    duration_ms: int,
    *,
    queued_ms: int = 0,
    text: str | None = None,
    source: dict[str, Any] | None = None,
    client: tuple[str, str | None] = ("Databricks SQL Editor", None),
) -> Row:
    roll = rng.random()
    status = "FAILED" if roll < 0.03 else ("CANCELED" if roll < 0.04 else "FINISHED")
    compilation = max(5, duration_ms // 10)
    execution = max(duration_ms - compilation - queued_ms, 1)
    read_rows = int(rng.lognormvariate(math.log(2_000_000), 1.2))
    end = start + timedelta(milliseconds=duration_ms)
    cached = status == "FINISHED" and rng.random() < 0.1
    return {
        "account_id": ACCOUNT_ID,
        "workspace_id": PROD_WORKSPACE,
        "statement_id": uid(rng),
        "executed_by": who,
        "session_id": uid(rng),
        "execution_status": status,
        "compute": {"type": "WAREHOUSE", "cluster_id": None, "warehouse_id": warehouse.warehouse_id},
        "executed_by_user_id": USER_IDS[who],
        "statement_text": text or rng.choice(STATEMENTS),
        "statement_type": "SELECT",
        "error_message": "[TABLE_OR_VIEW_NOT_FOUND] The table or view cannot be found." if status == "FAILED" else None,
        "client_application": client[0],
        "client_driver": client[1],
        "total_duration_ms": duration_ms,
        "waiting_for_compute_duration_ms": 0,
        "waiting_at_capacity_duration_ms": queued_ms,
        "execution_duration_ms": execution,
        "compilation_duration_ms": compilation,
        "total_task_duration_ms": execution * rng.randint(4, 16),
        "result_fetch_duration_ms": rng.randint(5, 300),
        "start_time": start,
        "end_time": end,
        "update_time": end,
        "read_partitions": rng.randint(1, 40),
        "pruned_files": rng.randint(0, 500),
        "read_files": rng.randint(1, 200),
        "read_rows": 0 if cached else read_rows,
        "produced_rows": rng.randint(1, 5000),
        "read_bytes": 0 if cached else read_rows * 48,
        "read_io_cache_percent": rng.randint(0, 100),
        "from_result_cache": cached,
        "spilled_local_bytes": 0,
        "written_bytes": 0,
        "shuffle_read_bytes": read_rows * 6,
        "query_source": source or {},
        "executed_as_user_id": USER_IDS[who],
        "executed_as": who,
        "written_rows": 0,
        "written_files": 0,
        "cache_origin_statement_id": None,
        "query_parameters": None,
        "query_tags": {},
        "pruned_files_bytes": 0,
        "read_files_bytes": read_rows * 48,
    }


def _everyday_ms(rng: random.Random) -> int:
    """An everyday statement's duration: median 1.2 s, 95th percentile about 5 s."""
    return min(int(rng.lognormvariate(math.log(1200), 0.9)), 60_000)


def _history(plan: SystemPlan) -> list[Row]:
    rng = plan.rng("query.history")
    rows: list[Row] = []
    for back in range(plan.days - 1, -1, -1):
        day = plan.day(back)
        if day.weekday() < 5:
            for _ in range(rng.randint(30, 50)):
                start = at(day, rng.randint(8, 17), rng.randint(0, 59), rng.uniform(0, 59))
                who = rng.choice((ALICE, BOB, BOB, DAVE, CAROL))
                rows.append(_statement(rng, WH_BI, who, start, _everyday_ms(rng), client=rng.choice(CLIENTS)))
        if WH_ADHOC.created_back is not None and back <= WH_ADHOC.created_back:
            for _ in range(rng.randint(4, 10)):
                start = at(day, rng.randint(10, 22), rng.randint(0, 59), rng.uniform(0, 59))
                rows.append(_statement(rng, WH_ADHOC, DAVE, start, _everyday_ms(rng) * 3))
    for run in job_runs(plan):
        if run.job is QUALITY_CHECKS:
            for check in range(3):
                source = {"job_info": {"job_id": run.job.job_id, "job_run_id": run.run_id,
                                       "job_task_run_id": f"{run.run_id}1"}}  # fmt: skip
                text = f"SELECT COUNT(*) AS violations FROM prod.sales.orders WHERE check_{check + 1}_fails"
                start = run.start + timedelta(seconds=20 + 60 * check)
                rows.append(_statement(rng, WH_ETL, SERVICE_PRINCIPAL, start, _everyday_ms(rng), text=text,
                                       source=source, client=("Databricks SQL Jobs", None)))  # fmt: skip
    rows.extend(_storm(rng, plan))
    return sorted(rows, key=lambda row: row["start_time"])


def _storm(rng: random.Random, plan: SystemPlan) -> list[Row]:
    """The incident: slow and queued dashboard statements on wh-bi, 06:00-06:45 of the as-of day."""
    day = plan.day(0)
    rows = []
    dashboard = {"dashboard_id": "01ef6a2b3c4d5e6f8091a2b3c4d5e6f7"}
    for index in range(SLOW_QUERIES):
        duration = rng.randint(20 * 60_000, 45 * 60_000)
        start = at(day, 6, index * 2, rng.uniform(0, 59))
        row = _statement(rng, WH_BI, BOB, start, duration, source=dashboard, client=("Databricks SQL Dashboard", None))
        rows.append({**row, "execution_status": "FINISHED", "error_message": None, "from_result_cache": False,
                     "spilled_local_bytes": rng.randint(20, 80) * 2**30})  # fmt: skip
    for index in range(QUEUED_QUERIES):
        queued = rng.randint(5 * 60_000, 15 * 60_000)
        start = at(day, 6, 5 + index * 2, rng.uniform(0, 59))
        row = _statement(rng, WH_BI, rng.choice((ALICE, BOB, DAVE)), start, queued + rng.randint(800, 4000),
                         queued_ms=queued, source=dashboard, client=("Databricks SQL Dashboard", None))  # fmt: skip
        rows.append({**row, "execution_status": "FINISHED", "error_message": None})
    return rows


HISTORY = SystemTable("query", "history", HISTORY_DOC, HISTORY_COLUMNS, _history)
TABLES = (HISTORY,)
