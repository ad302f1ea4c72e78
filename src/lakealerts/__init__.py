"""lakealerts: alerts as configuration for the Databricks lakehouse."""

__version__ = "0.1.0"
