# Databricks notebook source
# MAGIC %md
# MAGIC # lakealerts: alerting tables
# MAGIC Creates the schema and the lakealerts tables as Delta tables in Unity Catalog (primary keys, change data
# MAGIC feed) and adds columns missing from older versions. Idempotent; never drops. The logic lives in
# MAGIC `lakealerts.bundle.jobs.setup_tables`.

# COMMAND ----------

dbutils.widgets.text("catalog", "monitoring")
dbutils.widgets.text("gold_schema", "gold")

# COMMAND ----------

import json

from lakealerts.bundle.jobs import setup_tables
from lakealerts.engines.spark import SparkEngine

status = setup_tables(
    SparkEngine(spark),
    catalog=dbutils.widgets.get("catalog"),
    gold_schema=dbutils.widgets.get("gold_schema"),
)

# COMMAND ----------

dbutils.notebook.exit(json.dumps(status))
