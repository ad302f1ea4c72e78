# Databricks notebook source
# MAGIC %md
# MAGIC # lakealerts: notification destinations
# MAGIC Syncs `notification_destinations` to Databricks notification destinations. Secret references
# MAGIC (`{{secrets/<scope>/<key>}}`) are resolved with `dbutils.secrets.get` just before each call and never
# MAGIC printed. Fails when fewer than `min_success_rate` of the destinations synced. The logic lives in
# MAGIC `lakealerts.bundle.jobs.sync_notifications`.

# COMMAND ----------

dbutils.widgets.text("catalog", "monitoring")
dbutils.widgets.text("gold_schema", "gold")
dbutils.widgets.text("dry_run", "false")
dbutils.widgets.text("min_success_rate", "0.9")

# COMMAND ----------

import json

from lakealerts.bundle.jobs import sync_notifications
from lakealerts.engines.spark import SparkEngine

status = sync_notifications(
    SparkEngine(spark),
    catalog=dbutils.widgets.get("catalog"),
    gold_schema=dbutils.widgets.get("gold_schema"),
    dry_run=dbutils.widgets.get("dry_run"),
    min_success_rate=dbutils.widgets.get("min_success_rate"),
    secret_reader=dbutils.secrets.get,
)

# COMMAND ----------

dbutils.notebook.exit(json.dumps(status))
