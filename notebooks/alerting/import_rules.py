# Databricks notebook source
# MAGIC %md
# MAGIC # lakealerts: import the rule files shipped with the bundle
# MAGIC Upserts the destination files (`destinations/*.yaml`), then the rule files (`rules/*.yaml`) that
# MAGIC `bundle deploy` synced to the workspace, into `notification_destinations` and `alert_configurations` —
# MAGIC as `lakealerts destinations import` and `lakealerts rules import` do. A rejected document fails the job.
# MAGIC The logic lives in `lakealerts.bundle.jobs.import_rule_files`.

# COMMAND ----------

dbutils.widgets.text("catalog", "monitoring")
dbutils.widgets.text("gold_schema", "gold")
dbutils.widgets.text("rules_dir", "")
dbutils.widgets.text("destinations_dir", "")

# COMMAND ----------

import json

from lakealerts.bundle.jobs import import_rule_files
from lakealerts.engines.spark import SparkEngine

status = import_rule_files(
    SparkEngine(spark),
    catalog=dbutils.widgets.get("catalog"),
    gold_schema=dbutils.widgets.get("gold_schema"),
    rules_dir=dbutils.widgets.get("rules_dir"),
    destinations_dir=dbutils.widgets.get("destinations_dir"),
)

# COMMAND ----------

dbutils.notebook.exit(json.dumps(status))
