"""``streaming_progress``: progress events of Structured Streaming queries (``StreamingQueryProgress``).

Four streaming queries report every 10 minutes; their event-time watermark trails the progress time by
2-15 minutes. Nothing unusual happens here: the streaming-lag rule stays OK.
"""

from __future__ import annotations

from lakealerts.demo.hashing import between, choice
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

BATCHES_PER_DAY = 144  # one every 10 minutes

# (key, query_id, query_name)
QUERIES = (
    (0, "sq-0001", "clickstream_to_bronze"),
    (1, "sq-0002", "orders_cdc"),
    (2, "sq-0003", "iot_telemetry"),
    (3, "sq-0004", "payments_events"),
)

COLUMNS = columns(
    ("query_id", "STRING", "The streaming query."),
    ("query_name", "STRING", "Its name."),
    ("batch_id", "BIGINT", "Micro-batch number, increasing per query."),
    ("progress_time", "TIMESTAMP", "When the micro-batch was reported."),
    ("num_input_rows", "BIGINT", "Rows read by the micro-batch."),
    ("input_rows_per_second", "DOUBLE", "Arrival rate."),
    ("processed_rows_per_second", "DOUBLE", "Processing rate."),
    ("watermark_time", "TIMESTAMP", "Event-time watermark: how far the query has caught up."),
)


def body(plan: DemoPlan) -> Fragment:
    """The rows of ``streaming_progress`` for ``plan``."""
    per_day = len(QUERIES) * BATCHES_PER_DAY
    day_back, query, slot = (
        f"(s.id div {per_day})",
        f"((s.id div {BATCHES_PER_DAY}) % 4)",
        f"(s.id % {BATCHES_PER_DAY})",
    )
    progress = f"{slot} * 600 + {query} * 17"
    rows = f"(1000 + {choice('s.id', 112, 50000)})"
    values = {
        "query_id": "q.query_id",
        "query_name": "q.query_name",
        "batch_id": f"({HISTORY_DAYS - 1} - {day_back}) * {BATCHES_PER_DAY} + {slot}",
        "progress_time": timestamp_at(day_back, progress),
        "num_input_rows": rows,
        "input_rows_per_second": f"ROUND({rows} / 600.0, 2)",
        "processed_rows_per_second": f"ROUND({rows} / 600.0 * {between('s.id', 113, 1.1, 1.6)}, 2)",
        "watermark_time": timestamp_at(day_back, f"{progress} - 120 - {choice('s.id', 111, 780)}"),
    }
    source = (
        f"range({HISTORY_DAYS * per_day}) AS s(id) JOIN queries AS q ON q.query_key = {query} CROSS JOIN params AS p"
    )
    queries = values_cte("queries", ("query_key", "query_id", "query_name"), QUERIES)
    sql = f"WITH {PARAMS_CTE},\n{queries}\n" + select([c.name for c in COLUMNS], values, source)
    return Fragment(sql, plan.base_params)


TABLE = DemoTable(
    name="streaming_progress",
    modelled_on="Structured Streaming query progress events (StreamingQueryProgress)",
    description="One row per micro-batch of each streaming query, with its watermark.",
    columns=COLUMNS,
    order_by=("progress_time", "query_id"),
    body=body,
)
