# Databricks notebook source
# MAGIC %md
# MAGIC # lakealerts: validate rules
# MAGIC Checks every rule (static checks, then EXPLAIN and the output columns on Spark) and appends one row per
# MAGIC rule to `alert_validation_results`. Invalid rules are findings: this job succeeds and names them. The
# MAGIC logic lives in `lakealerts.bundle.jobs.validate_rules_job`.

# COMMAND ----------

dbutils.widgets.text("catalog", "monitoring")
dbutils.widgets.text("gold_schema", "gold")

# COMMAND ----------

import json

from lakealerts.bundle.jobs import validate_rules_job
from lakealerts.engines.spark import SparkEngine

status = validate_rules_job(
    SparkEngine(spark),
    catalog=dbutils.widgets.get("catalog"),
    gold_schema=dbutils.widgets.get("gold_schema"),
)

# COMMAND ----------

dbutils.notebook.exit(json.dumps(status))
