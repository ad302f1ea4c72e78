# Databricks notebook source
# MAGIC %md
# MAGIC # lakealerts: deploy alerts
# MAGIC Syncs destinations, then every rule to Databricks SQL Alerts V2 under `parent_path`: plan, create /
# MAGIC update / delete (`delete_policy`: keep, trash or purge), write back, one `alert_sync_metrics` row.
# MAGIC Invalid rules are skipped, never deployed. `dry_run=true` only plans. Fails when the success rate is
# MAGIC below `min_success_rate`. The logic lives in `lakealerts.bundle.jobs.deploy_alerts`.

# COMMAND ----------

dbutils.widgets.text("catalog", "monitoring")
dbutils.widgets.text("gold_schema", "gold")
dbutils.widgets.text("warehouse_id", "")
dbutils.widgets.text("dry_run", "false")
dbutils.widgets.text("delete_policy", "keep")
dbutils.widgets.text("parent_path", "/Workspace/Shared/lakealerts")
dbutils.widgets.text("min_success_rate", "0.9")

# COMMAND ----------

import json

from lakealerts.bundle.jobs import deploy_alerts
from lakealerts.engines.spark import SparkEngine

status = deploy_alerts(
    SparkEngine(spark),
    catalog=dbutils.widgets.get("catalog"),
    gold_schema=dbutils.widgets.get("gold_schema"),
    warehouse_id=dbutils.widgets.get("warehouse_id"),
    dry_run=dbutils.widgets.get("dry_run"),
    delete_policy=dbutils.widgets.get("delete_policy"),
    parent_path=dbutils.widgets.get("parent_path"),
    min_success_rate=dbutils.widgets.get("min_success_rate"),
    secret_reader=dbutils.secrets.get,
)

# COMMAND ----------

dbutils.notebook.exit(json.dumps(status))
