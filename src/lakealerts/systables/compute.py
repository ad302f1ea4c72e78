"""``system.compute``: ``clusters`` and ``warehouses`` (configurations, slowly changing), ``node_timeline``
(per-minute utilisation of each node) and ``warehouse_events`` (starts, stops, scaling).

The fleet's all-purpose and job clusters and its three SQL warehouses. ``node_timeline`` covers the
all-purpose clusters on the last two days of the plan (the day before as-of and the as-of day), one row per
node and minute while they run. Incidents: the ad-hoc GPU cluster created without auto-termination, running
ever since and idle all of the as-of day; the ad-hoc warehouse created with auto-stop off; wh-bi starting
early on the as-of day and scaling to its maximum.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from lakealerts.systables.fleet import (
    ACCOUNT_ID,
    ADHOC,
    ALL_PURPOSE,
    ANALYTICS_SHARED,
    JOBS,
    PROD_WORKSPACE,
    QUALITY_CHECKS,
    WAREHOUSES,
    WH_ADHOC,
    WH_BI,
    WH_ETL,
    Cluster,
    job_cluster,
    team_tags,
)
from lakealerts.systables.model import Incident, Row, SystemPlan, SystemTable, at, columns, hex_id

# Columns and types as `DESCRIBE TABLE` reports them on a workspace; the pages document each table.
COMPUTE_DOC = "https://docs.databricks.com/aws/en/admin/system-tables/compute"
CLUSTERS_COLUMNS = columns("""
    account_id : string
    workspace_id : string
    cluster_id : string
    cluster_name : string
    owned_by : string
    create_time : timestamp
    delete_time : timestamp
    driver_node_type : string
    worker_node_type : string
    worker_count : bigint
    min_autoscale_workers : bigint
    max_autoscale_workers : bigint
    auto_termination_minutes : bigint
    enable_elastic_disk : boolean
    tags : map<string,string>
    cluster_source : string
    init_scripts : array<string>
    aws_attributes : struct<first_on_demand:bigint,availability:string,zone_id:string,instance_profile_arn:string,spot_bid_price_percent:bigint,ebs_volume_type:string,ebs_volume_count:bigint,ebs_volume_size:bigint,ebs_volume_iops:bigint,ebs_volume_throughput:bigint>
    azure_attributes : struct<first_on_demand:bigint,availability:string,spot_bid_max_price:double>
    gcp_attributes : struct<use_preemptible_executors:boolean,google_service_account:string,boot_disk_size:bigint,availability:string,zone_id:string,local_ssd_count:bigint>
    driver_instance_pool_id : string
    worker_instance_pool_id : string
    dbr_version : string
    change_time : timestamp
    change_date : date
    data_security_mode : string
    policy_id : string
""")  # noqa: E501 - one column per line, as DESCRIBE prints it
NODE_TIMELINE_COLUMNS = columns("""
    account_id : string
    workspace_id : string
    cluster_id : string
    instance_id : string
    start_time : timestamp
    end_time : timestamp
    driver : boolean
    cpu_user_percent : double
    cpu_system_percent : double
    cpu_wait_percent : double
    mem_used_percent : double
    mem_swap_percent : double
    network_sent_bytes : bigint
    network_received_bytes : bigint
    disk_free_bytes_per_mount_point : map<string,bigint>
    node_type : string
    private_ip : string
""")
WAREHOUSE_EVENTS_DOC = "https://docs.databricks.com/aws/en/admin/system-tables/warehouse-events"
WAREHOUSE_EVENTS_COLUMNS = columns("""
    account_id : string
    workspace_id : string
    warehouse_id : string
    event_type : string
    cluster_count : int
    event_time : timestamp
""")
WAREHOUSES_DOC = "https://docs.databricks.com/aws/en/admin/system-tables/warehouses"
WAREHOUSES_COLUMNS = columns("""
    warehouse_id : string
    workspace_id : string
    account_id : string
    warehouse_name : string
    warehouse_type : string
    warehouse_channel : string
    warehouse_size : string
    min_clusters : int
    max_clusters : int
    auto_stop_minutes : int
    tags : map<string,string>
    change_time : timestamp
    delete_time : timestamp
    created_by : string
""")
AWS_ATTRIBUTES = {"first_on_demand": 1, "availability": "SPOT_WITH_FALLBACK", "zone_id": "us-west-2a",
                  "spot_bid_price_percent": 100, "ebs_volume_count": 0}  # fmt: skip
#: Resources that existed before the plan were created this many days before its first day.
CREATED_DAYS_BEFORE = 120
NODE_TIMELINE_DAYS = 2

INCIDENTS = (
    Incident(
        "system.compute.clusters",
        ADHOC.created_back or 0,
        "10:12",
        f"cluster without auto-termination: {ADHOC.owner} creates {ADHOC.name} ({ADHOC.cluster_id}, "
        f"{ADHOC.node_type}, {ADHOC.workers} workers, auto_termination_minutes 0, untagged); it runs ever since",
    ),
    Incident(
        "system.compute.node_timeline",
        0,
        "00:00-24:00",
        f"idle cluster: the {1 + ADHOC.workers} nodes of {ADHOC.name} run all day at about 1 % CPU "
        "(about 90 % the day before)",
    ),
    Incident(
        "system.compute.warehouses",
        WH_ADHOC.created_back or 0,
        "10:29",
        f"warehouse without auto-stop: {WH_ADHOC.owner} creates {WH_ADHOC.name} ({WH_ADHOC.warehouse_id}, "
        f"{WH_ADHOC.size}, auto_stop_minutes 0); system.compute.warehouse_events shows it RUNNING ever since",
    ),
    Incident(
        "system.compute.warehouse_events",
        0,
        "05:58-06:13",
        f"warehouse at its maximum size: {WH_BI.name} starts two hours early and scales up to its maximum of "
        f"{WH_BI.max_clusters} clusters (the query storm of system.query.history)",
    ),
)


def _created(plan: SystemPlan, created_back: int | None, hour: int, minute: int) -> datetime:
    if created_back is None:
        return at(plan.first_day - timedelta(days=CREATED_DAYS_BEFORE), hour, minute)
    return at(plan.day(created_back), hour, minute)


def _cluster_row(plan: SystemPlan, cluster: Cluster, rng: random.Random) -> Row:
    created = _created(plan, cluster.created_back, 10, 12)
    autoscale = cluster is ANALYTICS_SHARED
    return {
        "account_id": ACCOUNT_ID,
        "workspace_id": PROD_WORKSPACE,
        "cluster_id": cluster.cluster_id,
        "cluster_name": cluster.name,
        "owned_by": cluster.owner,
        "create_time": created,
        "delete_time": None,
        "driver_node_type": cluster.node_type,
        "worker_node_type": cluster.node_type,
        "worker_count": None if autoscale else cluster.workers,
        "min_autoscale_workers": 1 if autoscale else None,
        "max_autoscale_workers": cluster.workers if autoscale else None,
        "auto_termination_minutes": None if cluster.source == "JOB" else cluster.auto_termination_minutes,
        "enable_elastic_disk": True,
        "tags": team_tags(cluster.team),
        "cluster_source": cluster.source,
        "init_scripts": [],
        "aws_attributes": AWS_ATTRIBUTES,
        "azure_attributes": None,
        "gcp_attributes": None,
        "driver_instance_pool_id": None,
        "worker_instance_pool_id": None,
        "dbr_version": "15.4.x-gpu-ml-scala2.12" if cluster is ADHOC else "15.4.x-scala2.12",
        "change_time": created,
        "change_date": created.date(),
        "data_security_mode": "SINGLE_USER" if cluster.source == "UI" else "USER_ISOLATION",
        "policy_id": None if cluster is ADHOC else hex_id(rng, 16).upper(),
    }


def _clusters(plan: SystemPlan) -> list[Row]:
    rng = plan.rng("compute.clusters")
    jobs = [cluster for cluster in (job_cluster(job) for job in JOBS) if cluster is not None]
    rows = [_cluster_row(plan, cluster, rng) for cluster in (*ALL_PURPOSE, *jobs)]
    shared = rows[0]
    edited = at(plan.day(min(12, plan.days - 1)), 16, 5)  # a later edit of analytics-shared (a new SCD2 row)
    rows.append({**shared, "max_autoscale_workers": 4, "change_time": edited, "change_date": edited.date()})
    return rows


def _running_minutes(cluster: Cluster, day: date, back: int) -> range:
    if cluster is ADHOC:
        return range(24 * 60) if back <= (ADHOC.created_back or 0) else range(0)
    if day.weekday() >= 5:
        return range(0)
    return range(cluster.hours[0] * 60, cluster.hours[1] * 60)


def _node_rows(rng: random.Random, cluster: Cluster, day: date, back: int) -> list[Row]:
    rows = []
    nodes = [(f"i-{hex_id(rng, 17)}", f"10.0.{rng.randint(1, 254)}.{rng.randint(1, 254)}", index == 0)
             for index in range(1 + cluster.workers)]  # fmt: skip
    idle = cluster is ADHOC and back == 0
    busy = cluster is ADHOC and back == 1
    for minute in _running_minutes(cluster, day, back):
        start = at(day, 0, minute)
        for instance_id, ip, driver in nodes:
            cpu = rng.uniform(0.3, 1.8) if idle else (rng.uniform(82, 97) if busy else rng.uniform(15, 65))
            rows.append({
                "account_id": ACCOUNT_ID,
                "workspace_id": PROD_WORKSPACE,
                "cluster_id": cluster.cluster_id,
                "instance_id": instance_id,
                "start_time": start,
                "end_time": start + timedelta(minutes=1),
                "driver": driver,
                "cpu_user_percent": round(cpu, 3),
                "cpu_system_percent": round(cpu / 12 + 0.4, 3),
                "cpu_wait_percent": round(rng.uniform(0, 1.5), 3),
                "mem_used_percent": round(rng.uniform(20, 35) if idle else rng.uniform(40, 85), 3),
                "mem_swap_percent": 0.0,
                "network_sent_bytes": rng.randint(10_000, 50_000) if idle else rng.randint(200_000, 9_000_000),
                "network_received_bytes": rng.randint(10_000, 50_000) if idle else rng.randint(200_000, 9_000_000),
                "disk_free_bytes_per_mount_point": {"/": 40 * 2**30, "/local_disk0": rng.randint(200, 400) * 2**30},
                "node_type": cluster.node_type,
                "private_ip": ip,
            })  # fmt: skip
    return rows


def _node_timeline(plan: SystemPlan) -> list[Row]:
    rng = plan.rng("compute.node_timeline")
    return [
        row
        for back in range(NODE_TIMELINE_DAYS - 1, -1, -1)
        for cluster in ALL_PURPOSE
        for row in _node_rows(rng, cluster, plan.day(back), back)
    ]


def _warehouse_events(plan: SystemPlan) -> list[Row]:
    rows: list[Row] = []

    def event(warehouse_id: str, when: datetime, kind: str, count: int) -> None:
        rows.append({"account_id": ACCOUNT_ID, "workspace_id": PROD_WORKSPACE, "warehouse_id": warehouse_id,
                     "event_type": kind, "cluster_count": count, "event_time": when})  # fmt: skip

    for back in range(plan.days - 1, -1, -1):
        day = plan.day(back)
        if back == 0:  # the incident: an early start, then scaling to the maximum
            event(WH_BI.warehouse_id, at(day, 5, 58), "STARTING", 0)
            event(WH_BI.warehouse_id, at(day, 6), "RUNNING", 1)
            for step, count in enumerate(range(2, WH_BI.max_clusters + 1)):
                event(WH_BI.warehouse_id, at(day, 6, 4 + 3 * step), "SCALED_UP", count)
            event(WH_BI.warehouse_id, at(day, 7, 55), "SCALED_DOWN", 1)
        elif day.weekday() < 5:
            event(WH_BI.warehouse_id, at(day, 7, 58), "STARTING", 0)
            event(WH_BI.warehouse_id, at(day, 8), "RUNNING", 1)
        if back == 0 or day.weekday() < 5:
            for hour in (10, 14):
                event(WH_BI.warehouse_id, at(day, hour), "SCALED_UP", 2)
                event(WH_BI.warehouse_id, at(day, hour + 1), "SCALED_DOWN", 1)
            event(WH_BI.warehouse_id, at(day, 18, 15), "STOPPING", 1)
            event(WH_BI.warehouse_id, at(day, 18, 16), "STOPPED", 0)
        for hour in QUALITY_CHECKS.hours:
            event(WH_ETL.warehouse_id, at(day, hour), "STARTING", 0)
            event(WH_ETL.warehouse_id, at(day, hour, 0, 5), "RUNNING", 1)
            event(WH_ETL.warehouse_id, at(day, hour, 12), "STOPPING", 1)
            event(WH_ETL.warehouse_id, at(day, hour, 12, 30), "STOPPED", 0)
        if back == WH_ADHOC.created_back:
            event(WH_ADHOC.warehouse_id, at(day, 10, 30), "STARTING", 0)
            event(WH_ADHOC.warehouse_id, at(day, 10, 31), "RUNNING", 1)
    return sorted(rows, key=lambda row: (row["event_time"], row["warehouse_id"]))


def _warehouses(plan: SystemPlan) -> list[Row]:
    rows = []
    for warehouse in WAREHOUSES:
        changed = _created(plan, warehouse.created_back, 10, 29)
        row: dict[str, Any] = {
            "warehouse_id": warehouse.warehouse_id,
            "workspace_id": PROD_WORKSPACE,
            "account_id": ACCOUNT_ID,
            "warehouse_name": warehouse.name,
            "warehouse_type": warehouse.warehouse_type,
            "warehouse_channel": "CURRENT",
            "warehouse_size": warehouse.size,
            "min_clusters": warehouse.min_clusters,
            "max_clusters": warehouse.max_clusters,
            "auto_stop_minutes": warehouse.auto_stop_minutes,
            "tags": team_tags(warehouse.team),
            "change_time": changed,
            "delete_time": None,
            "created_by": warehouse.owner,
        }
        if warehouse is WH_BI:  # it had 3 clusters at most until an edit 10 days before as-of (SCD2)
            rows.append({**row, "max_clusters": 3})
            row = {**row, "change_time": at(plan.day(min(10, plan.days - 1)), 9, 45)}
        rows.append(row)
    return rows


CLUSTERS = SystemTable("compute", "clusters", COMPUTE_DOC, CLUSTERS_COLUMNS, _clusters)
NODE_TIMELINE = SystemTable("compute", "node_timeline", COMPUTE_DOC, NODE_TIMELINE_COLUMNS, _node_timeline)
WAREHOUSE_EVENTS = SystemTable(
    "compute", "warehouse_events", WAREHOUSE_EVENTS_DOC, WAREHOUSE_EVENTS_COLUMNS, _warehouse_events
)
WAREHOUSES_TABLE = SystemTable("compute", "warehouses", WAREHOUSES_DOC, WAREHOUSES_COLUMNS, _warehouses)
TABLES = (CLUSTERS, WAREHOUSES_TABLE, WAREHOUSE_EVENTS, NODE_TIMELINE)
