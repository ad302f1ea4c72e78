"""``query_history``: SQL statements run on the warehouses, like ``system.query.history``.

Bulk rows are ordinary queries: at most 240 s long (97 % under a minute), reading at most 500 million rows,
spilling at most 2 GB, never waiting for capacity. Fixed daily signals, independent of ``--rows``: every
warehouse refreshes dashboards every 15 minutes (so each has at least 96 queries a day), and on each
warehouse 1-4 queries queue for capacity together once a day.

The incident on the as-of day: at 10:12 one ad-hoc query on ``wh-analytics`` scans 2.4 billion rows, spills
38 GB to local disk and runs for 24 minutes.
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

HEAVY_QUERY_ROWS = 2_400_000_000
HEAVY_QUERY_SPILL_BYTES = 38 * 1024**3
HEAVY_QUERY_MS = 1_450_000
HEAVY_QUERY_USER = "data.scientist@example.com"
BYTES_PER_ROW = 96

# (key, warehouse_id, workspace_id)
WAREHOUSES = (
    (0, "wh-bi-dashboards", "ws-analytics"),
    (1, "wh-analytics", "ws-analytics"),
    (2, "wh-etl", "ws-data-eng"),
)

COLUMNS = columns(
    ("statement_id", "STRING", "Unique id of the statement."),
    ("workspace_id", "STRING", "Workspace of the warehouse."),
    ("warehouse_id", "STRING", "SQL warehouse that ran the statement."),
    ("executed_by", "STRING", "User or service principal that ran it."),
    ("statement_type", "STRING", "SELECT, INSERT, MERGE, ..."),
    ("execution_status", "STRING", "FINISHED, FAILED or CANCELED."),
    ("start_time", "TIMESTAMP", "When the statement was received."),
    ("end_time", "TIMESTAMP", "When it finished."),
    ("total_duration_ms", "BIGINT", "Wall-clock time, queueing included."),
    ("waiting_at_capacity_duration_ms", "BIGINT", "Time spent queued because the warehouse was at capacity."),
    ("execution_duration_ms", "BIGINT", "Time spent executing."),
    ("read_rows", "BIGINT", "Rows read."),
    ("read_bytes", "BIGINT", "Bytes read."),
    ("produced_rows", "BIGINT", "Rows returned or written."),
    ("spilled_local_bytes", "BIGINT", "Bytes spilled to local disk."),
)
_NAMES = tuple(column.name for column in COLUMNS)


def _statement(prefix: str, key: str, day_back: str, seconds: str, **values: str) -> dict[str, str]:
    """The columns every part shares; ``total_duration_ms`` and ``read_rows`` derive the rest."""
    total = values.pop("total_duration_ms")
    waiting = values.pop("waiting_at_capacity_duration_ms", "0")
    rows = values.pop("read_rows")
    return {
        "statement_id": f"concat('{prefix}-', lpad(CAST({key} AS STRING), 10, '0'))",
        "workspace_id": "w.workspace_id",
        "warehouse_id": "w.warehouse_id",
        "statement_type": "'SELECT'",
        "execution_status": "'FINISHED'",
        "start_time": timestamp_at(day_back, seconds),
        "end_time": timestamp_at(day_back, f"{seconds} + ({total}) div 1000"),
        "total_duration_ms": total,
        "waiting_at_capacity_duration_ms": waiting,
        "execution_duration_ms": f"({total}) - ({waiting})",
        "read_rows": rows,
        "read_bytes": f"({rows}) * {BYTES_PER_ROW}",
        "produced_rows": f"({rows}) div 1000",
        "spilled_local_bytes": "0",
        **values,
    }


def _bulk() -> str:
    """Everyday queries round the clock on all three warehouses."""
    status = uniform("r.id", 74)
    values = _statement(
        "q",
        "r.id",
        f"r.id % {HISTORY_DAYS}",
        choice("r.id", 71, 86400),
        executed_by=f"concat('user', lpad(CAST({choice('r.id', 73, 40)} AS STRING), 2, '0'), '@example.com')",
        statement_type=f"CASE {choice('r.id', 81, 10)} WHEN 0 THEN 'INSERT' WHEN 1 THEN 'MERGE' ELSE 'SELECT' END",
        execution_status=f"CASE WHEN {status} < 0.98 THEN 'FINISHED' WHEN {status} < 0.995 THEN 'FAILED' "
        "ELSE 'CANCELED' END",
        total_duration_ms=f"CASE WHEN {uniform('r.id', 75)} < 0.97 THEN 200 + {choice('r.id', 76, 59800)} "
        f"ELSE 60000 + {choice('r.id', 77, 180000)} END",
        read_rows=f"CAST(FLOOR(POWER({uniform('r.id', 78)}, 3) * 500000000) AS BIGINT)",
        spilled_local_bytes=f"CASE WHEN {uniform('r.id', 79)} < 0.1 THEN {choice('r.id', 80, 2000000000)} ELSE 0 END",
    )
    source = (
        f"range(?) AS r(id) JOIN warehouses AS w ON w.warehouse_key = {choice('r.id', 72, len(WAREHOUSES))} "
        "CROSS JOIN params AS p"
    )
    return select(_NAMES, values, source)


def _dashboards() -> str:
    """Every warehouse refreshes dashboards every 15 minutes: 96 short queries a day each."""
    per_day = 96 * len(WAREHOUSES)
    values = _statement(
        "dash",
        "s.id",
        f"s.id div {per_day}",
        f"(s.id % 96) * 900 + {choice('s.id', 82, 60)}",
        executed_by="'sp-dashboard-refresh'",
        total_duration_ms=f"1000 + {choice('s.id', 83, 19000)}",
        read_rows=choice("s.id", 84, 10000000),
    )
    source = (
        f"range({HISTORY_DAYS * per_day}) AS s(id) "
        "JOIN warehouses AS w ON w.warehouse_key = (s.id div 96) % 3 CROSS JOIN params AS p"
    )
    return select(_NAMES, values, source)


def _queued() -> str:
    """Once a day per warehouse, 1-4 queries arrive in the same minute and queue for 5-30 s."""
    cell = "(s.id div 4)"
    waiting = f"5000 + {choice('s.id', 87, 25000)}"
    values = _statement(
        "queued",
        "s.id",
        f"{cell} div 3",
        f"{choice(cell, 86, 1440)} * 60 + (s.id % 4) * 5",
        executed_by=f"concat('user', lpad(CAST({choice('s.id', 89, 40)} AS STRING), 2, '0'), '@example.com')",
        waiting_at_capacity_duration_ms=waiting,
        total_duration_ms=f"{waiting} + 2000 + {choice('s.id', 88, 20000)}",
        read_rows=choice("s.id", 90, 50000000),
    )
    source = (
        f"range({HISTORY_DAYS * len(WAREHOUSES) * 4}) AS s(id) "
        f"JOIN warehouses AS w ON w.warehouse_key = {cell} % 3 CROSS JOIN params AS p"
    )
    return select(_NAMES, values, source, where=f"s.id % 4 < 1 + {choice(cell, 85, 4)}")


def _heavy_query() -> str:
    """As-of day, 10:12: the 2.4-billion-row scan that spills 38 GB."""
    values = _statement(
        "adhoc",
        "s.id",
        "0",
        "36720",
        executed_by=f"'{HEAVY_QUERY_USER}'",
        total_duration_ms=str(HEAVY_QUERY_MS),
        read_rows=str(HEAVY_QUERY_ROWS),
        spilled_local_bytes=str(HEAVY_QUERY_SPILL_BYTES),
    )
    return select(
        _NAMES, values, "range(1) AS s(id) JOIN warehouses AS w ON w.warehouse_key = 1 CROSS JOIN params AS p"
    )


def body(plan: DemoPlan) -> Fragment:
    """The rows of ``query_history`` for ``plan``."""
    warehouses = values_cte("warehouses", ("warehouse_key", "warehouse_id", "workspace_id"), WAREHOUSES)
    parts = (_bulk(), _dashboards(), _queued(), _heavy_query())
    sql = f"WITH {PARAMS_CTE},\n{warehouses}\n" + "\nUNION ALL\n".join(parts)
    return Fragment(sql, (*plan.base_params, plan.rows_per_event_table))


TABLE = DemoTable(
    name="query_history",
    modelled_on="system.query.history",
    description="SQL statements run on the SQL warehouses, with timings, rows read and spill.",
    columns=COLUMNS,
    order_by=("statement_id",),
    body=body,
)
