# Databricks notebook source
# MAGIC %md
# MAGIC # lakealerts: seed the pre-built rules
# MAGIC Stores the 29 pre-built rules that are missing and the `default_email` destination they notify.
# MAGIC `force=true` restores every pre-built rule to its shipped form (their Databricks alert ids are kept);
# MAGIC `email` sets the address of `default_email`. The logic lives in `lakealerts.bundle.jobs.seed_rules`.

# COMMAND ----------

dbutils.widgets.text("catalog", "monitoring")
dbutils.widgets.text("gold_schema", "gold")
dbutils.widgets.text("force", "false")
dbutils.widgets.text("email", "")

# COMMAND ----------

import json

from lakealerts.bundle.jobs import seed_rules
from lakealerts.engines.spark import SparkEngine

status = seed_rules(
    SparkEngine(spark),
    catalog=dbutils.widgets.get("catalog"),
    gold_schema=dbutils.widgets.get("gold_schema"),
    force=dbutils.widgets.get("force"),
    email=dbutils.widgets.get("email"),
)

# COMMAND ----------

dbutils.notebook.exit(json.dumps(status))
