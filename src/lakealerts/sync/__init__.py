"""Sync to Databricks SQL Alerts V2: mapping rule -> AlertV2, a pure planner, and the applier."""
