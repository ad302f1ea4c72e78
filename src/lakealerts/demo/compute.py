"""``node_utilization``: CPU, memory and network of every cluster node, like ``system.compute.node_timeline``.

Five all-purpose clusters of three nodes (one driver) report every 15 minutes: CPU (user + system) 28-68 %,
memory 35-80 %. Nothing unusual happens here: the cluster-memory and under-utilisation rules stay OK.
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

NODES_PER_CLUSTER = 3
SAMPLES_PER_DAY = 96  # one every 15 minutes

# (key, cluster_id, workspace_id)
CLUSTERS = (
    (0, "0101-090000-analytics", "ws-analytics"),
    (1, "0101-090000-data-eng", "ws-data-eng"),
    (2, "0101-090000-ml-train", "ws-ml"),
    (3, "0101-090000-finance", "ws-finance"),
    (4, "0101-090000-shared", "ws-analytics"),
)

COLUMNS = columns(
    ("workspace_id", "STRING", "Workspace of the cluster."),
    ("cluster_id", "STRING", "Cluster the node belongs to."),
    ("instance_id", "STRING", "Cloud instance of the node."),
    ("driver", "BOOLEAN", "True for the driver node."),
    ("start_time", "TIMESTAMP", "Start of the sample interval."),
    ("end_time", "TIMESTAMP", "End of the sample interval."),
    ("cpu_user_percent", "DOUBLE", "CPU time in user space, %."),
    ("cpu_system_percent", "DOUBLE", "CPU time in the kernel, %."),
    ("cpu_wait_percent", "DOUBLE", "CPU time waiting for I/O, %."),
    ("mem_used_percent", "DOUBLE", "Memory in use, %."),
    ("mem_swap_percent", "DOUBLE", "Swap in use, %."),
    ("network_sent_bytes", "BIGINT", "Bytes sent in the interval."),
    ("network_received_bytes", "BIGINT", "Bytes received in the interval."),
)
_NAMES = tuple(column.name for column in COLUMNS)


def body(plan: DemoPlan) -> Fragment:
    """The rows of ``node_utilization`` for ``plan``: one per node and 15-minute interval."""
    per_day = len(CLUSTERS) * NODES_PER_CLUSTER * SAMPLES_PER_DAY
    node = f"((s.id div {SAMPLES_PER_DAY}) % {NODES_PER_CLUSTER})"
    slot = f"(s.id % {SAMPLES_PER_DAY})"
    day_back = f"(s.id div {per_day})"
    values = {
        "workspace_id": "c.workspace_id",
        "cluster_id": "c.cluster_id",
        "instance_id": f"concat('i-', c.cluster_id, '-', CAST({node} AS STRING))",
        "driver": f"{node} = 0",
        "start_time": timestamp_at(day_back, f"{slot} * 900"),
        "end_time": timestamp_at(day_back, f"({slot} + 1) * 900"),
        "cpu_user_percent": f"ROUND({between('s.id', 91, 25, 60)}, 2)",
        "cpu_system_percent": f"ROUND({between('s.id', 92, 3, 8)}, 2)",
        "cpu_wait_percent": f"ROUND({between('s.id', 93, 0, 4)}, 2)",
        "mem_used_percent": f"ROUND({between('s.id', 94, 35, 80)}, 2)",
        "mem_swap_percent": f"ROUND({between('s.id', 95, 0, 1)}, 2)",
        "network_sent_bytes": choice("s.id", 96, 500000000),
        "network_received_bytes": choice("s.id", 97, 900000000),
    }
    cluster = f"(s.id div {NODES_PER_CLUSTER * SAMPLES_PER_DAY}) % {len(CLUSTERS)}"
    source = (
        f"range({HISTORY_DAYS * per_day}) AS s(id) JOIN clusters AS c ON c.cluster_key = {cluster} "
        "CROSS JOIN params AS p"
    )
    clusters = values_cte("clusters", ("cluster_key", "cluster_id", "workspace_id"), CLUSTERS)
    sql = f"WITH {PARAMS_CTE},\n{clusters}\n" + select(_NAMES, values, source)
    return Fragment(sql, plan.base_params)


TABLE = DemoTable(
    name="node_utilization",
    modelled_on="system.compute.node_timeline",
    description="Per-node CPU, memory and network of the all-purpose clusters, every 15 minutes.",
    columns=COLUMNS,
    order_by=("start_time", "instance_id"),
    body=body,
)
