"""The fictional account the system tables describe: its workspaces, people, clusters, warehouses and jobs.

Every schema module draws its rows from these, so the tables join as on a workspace: a job's runs, its
cluster's usage and the clusters table name the same ids. The incidents (docs/systables.md) also live here
where several tables show them: the ad-hoc GPU cluster created without auto-termination, the warehouse
created without auto-stop, the job that stopped running.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from lakealerts.systables.model import SystemPlan, at

ACCOUNT_ID = "0c9b8e2a-5d41-4c7e-9f3a-6b2d1e4f7a90"
PROD_WORKSPACE = "6051921418418893"
DEV_WORKSPACE = "2793540197716622"
CLOUD = "AWS"

SERVICE_PRINCIPAL = "5f2d8c1e-7a3b-4e6d-9c0f-1a2b3c4d5e6f"  # application id of svc-etl
ALICE, BOB, CAROL, DAVE, ERIN = (f"{name}@example.com" for name in ("alice", "bob", "carol", "dave", "erin"))
PEOPLE = (ALICE, BOB, CAROL, DAVE, ERIN)
ADMIN = ERIN
#: Where the password-guessing burst of the as-of day comes from (TEST-NET-3, documentation range).
ATTACKER_IP = "203.0.113.45"


@dataclass(frozen=True)
class Cluster:
    """An all-purpose or job cluster: who owns it, how big it is, when it runs, how it is billed."""

    cluster_id: str
    name: str
    owner: str
    source: str  # UI, API or JOB
    node_type: str
    workers: int
    auto_termination_minutes: int
    dbu_per_hour: float
    team: str | None  # the team tag; None: untagged
    created_back: int | None = None  # days before as-of it was created; None: before the plan started
    hours: tuple[int, int] = (8, 18)  # UTC hours it runs on weekdays (all-purpose clusters)


ANALYTICS_SHARED = Cluster(
    "0312-094512-shared01", "analytics-shared", ALICE, "UI", "m5d.2xlarge", 2, 60, 6.0, "analytics", hours=(8, 18)
)
DS_TEAM = Cluster("0415-101010-dsteam02", "ds-team", CAROL, "UI", "r5d.xlarge", 0, 120, 3.0, "ml", hours=(9, 17))
#: The incident cluster: created 3 days before as-of without auto-termination, a runaway GPU job the day before
#: as-of (the spend spike, untagged), idle all of the as-of day.
ADHOC = Cluster("1107-101203-adhocgpu", "adhoc-exploration", DAVE, "UI", "g5.12xlarge", 2, 0, 8.0, None, created_back=3)
ADHOC_RUNAWAY_DBU_PER_HOUR = 190.0
ALL_PURPOSE = (ANALYTICS_SHARED, DS_TEAM, ADHOC)


@dataclass(frozen=True)
class Warehouse:
    """A SQL warehouse: its settings (system.compute.warehouses) and how it is billed."""

    warehouse_id: str
    name: str
    warehouse_type: str
    size: str
    min_clusters: int
    max_clusters: int
    auto_stop_minutes: int
    sku: str
    dbu_per_hour: float
    team: str
    owner: str
    created_back: int | None = None


WH_BI = Warehouse("4b9f1c2d3e4a5b6c", "wh-bi", "PRO", "MEDIUM", 1, 5, 15, "PREMIUM_SQL_PRO_COMPUTE", 24.0, "bi", BOB)
WH_ETL = Warehouse(
    "7c1d2e3f4a5b6c7d", "wh-etl", "SERVERLESS", "SMALL", 1, 2, 10, "PREMIUM_SERVERLESS_SQL_COMPUTE", 12.0, "data-eng",
    ALICE,
)  # fmt: skip
#: The incident warehouse: created 5 days before as-of with auto-stop off, running ever since.
WH_ADHOC = Warehouse(
    "9e8d7c6b5a4f3e2d", "wh-adhoc", "CLASSIC", "LARGE", 1, 1, 0, "PREMIUM_SQL_COMPUTE", 40.0, "analytics", DAVE,
    created_back=5,
)  # fmt: skip
WAREHOUSES = (WH_BI, WH_ETL, WH_ADHOC)


@dataclass(frozen=True)
class Job:
    """A scheduled job: its schedule (one run per listed UTC hour, on the listed weekdays), its tasks and
    usual duration, where its tasks run."""

    job_id: str
    name: str
    cron: str
    hours: tuple[int, ...]
    minutes: float  # usual duration of a run
    tasks: tuple[str, ...]
    cluster_id: str | None  # its job cluster; None: a SQL task on WH_ETL
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)  # Monday = 0
    failure_rate: float = 0.02
    team: str = "data-eng"


ORDERS_ETL = Job(
    "1001", "orders_etl_hourly", "0 0 * * * ?", tuple(range(24)), 6, ("ingest_orders", "transform_orders"),
    "0601-000000-job1001",
)  # fmt: skip
CUSTOMER_360 = Job(
    "1002", "customer_360_refresh", "0 0 1 * * ?", (1,), 22, ("build_features", "publish_profiles"),
    "0601-000000-job1002", team="analytics",
)  # fmt: skip
FINANCE_EXPORT = Job(
    "1003", "finance_daily_export", "0 0 5 * * ?", (5,), 8, ("export_ledger",), "0601-000000-job1003", team="finance"
)
ML_FEATURES = Job(
    "1004", "ml_feature_build", "0 0 3 * * ?", (3,), 40, ("extract", "train_features"), "0601-000000-job1004",
    team="ml",
)  # fmt: skip
QUALITY_CHECKS = Job("1005", "data_quality_checks", "0 0 0/4 * * ?", (0, 4, 8, 12, 16, 20), 4, ("checks",), None)
WEEKLY_REPORT = Job(
    "1006", "weekly_report", "0 0 7 ? * MON", (7,), 15, ("render_report",), "0601-000000-job1006", weekdays=(0,),
    team="finance",
)  # fmt: skip
JOBS = (ORDERS_ETL, CUSTOMER_360, FINANCE_EXPORT, ML_FEATURES, QUALITY_CHECKS, WEEKLY_REPORT)
#: Incidents: the hourly ETL fails at these UTC hours of the as-of day; customer_360 runs this long that day;
#: finance_daily_export last ran this many days before as-of (and never since, though still scheduled).
ORDERS_ETL_FAILED_HOURS = (2, 3, 4)
CUSTOMER_360_SLOW_MINUTES = 118
FINANCE_EXPORT_LAST_RUN_BACK = 4


def job_cluster(job: Job) -> Cluster | None:
    """The job cluster a job's runs start (system.compute.clusters lists it with source JOB)."""
    if job.cluster_id is None:
        return None
    return Cluster(job.cluster_id, f"job-{job.job_id}-{job.name}", ADMIN, "JOB", "m5d.xlarge", 2, 0, 4.0, job.team)


def team_tags(team: str | None) -> dict[str, str]:
    """The custom tags of a tagged resource (an empty map when untagged)."""
    if team is None:
        return {}
    return {"team": team, "cost_center": f"CC-{abs(hash_text(team)) % 9000 + 1000}"}


def hash_text(text: str) -> int:
    """A stable hash of ``text`` (Python's ``hash`` changes between processes)."""
    value = 0
    for char in text:
        value = (value * 131 + ord(char)) % 1_000_000_007
    return value


@dataclass(frozen=True)
class JobRun:
    """One run of a scheduled job: when it started, how long it took, whether it failed."""

    job: Job
    run_id: str
    start: datetime
    minutes: float
    failed: bool
    day_back: int

    @property
    def end(self) -> datetime:
        """When the run ended."""
        return self.start + timedelta(minutes=self.minutes)


def job_runs(plan: SystemPlan) -> list[JobRun]:
    """Every run of every job over the plan, oldest first (system.lakeflow.* and the JOBS usage share them).

    Runs take their usual duration ±15 % and fail at the job's failure rate, except on the as-of day, which
    shows only the documented incidents: orders_etl_hourly fails at ORDERS_ETL_FAILED_HOURS and
    customer_360_refresh takes CUSTOMER_360_SLOW_MINUTES. finance_daily_export stops after
    FINANCE_EXPORT_LAST_RUN_BACK days before as-of.
    """
    rng = plan.rng("lakeflow.runs")
    runs = []
    for back in range(plan.days - 1, -1, -1):
        day = plan.day(back)
        for job in JOBS:
            if day.weekday() not in job.weekdays or (job is FINANCE_EXPORT and back < FINANCE_EXPORT_LAST_RUN_BACK):
                continue
            for hour in job.hours:
                minutes = job.minutes * rng.uniform(0.85, 1.2)
                failed = rng.random() < job.failure_rate
                second = rng.randint(2, 50)
                if back == 0:
                    failed = job is ORDERS_ETL and hour in ORDERS_ETL_FAILED_HOURS
                    minutes = CUSTOMER_360_SLOW_MINUTES if job is CUSTOMER_360 else minutes
                run_id = f"{job.job_id}{day:%Y%m%d}{hour:02d}"
                runs.append(JobRun(job, run_id, at(day, hour, 0, second), round(minutes, 2), failed, back))
    return runs
