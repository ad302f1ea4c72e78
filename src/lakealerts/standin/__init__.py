"""The workspace stand-in: a local server speaking the Databricks REST subset lakealerts uses (DESIGN §6).

``lakealerts serve`` runs it; :class:`lakealerts.serve.StandIn` starts it in-process on a free
loopback port (tests, ``quickstart``). It stores alerts and destinations in ``<home>/service.duckdb`` and
runs read-only statements on ``<home>/lakealerts.duckdb``; it never evaluates alerts.
"""
