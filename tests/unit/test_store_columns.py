"""The store's user columns are exactly what the model validates: a new model field without a column would be
dropped on write, a new sync or audit column not named in the store would make every row fail the model."""

from __future__ import annotations

import pytest

from lakealerts.model import AlertRule, Audit, NotificationDestination, RuleSyncState
from lakealerts.store.store import AUDIT_COLUMNS, DESTINATION_USER_COLUMNS, RULE_SYNC_COLUMNS, RULE_USER_COLUMNS
from lakealerts.store.tables import ALERT_CONFIGURATIONS, NOTIFICATION_DESTINATIONS

pytestmark = pytest.mark.unit


def test_rule_columns_are_the_models_fields() -> None:
    assert sorted(RULE_USER_COLUMNS) == sorted(AlertRule.model_fields)
    assert sorted(AUDIT_COLUMNS) == sorted(Audit.model_fields)
    assert sorted(RULE_SYNC_COLUMNS) == sorted(RuleSyncState.model_fields)
    assert sorted([*RULE_USER_COLUMNS, *AUDIT_COLUMNS, *RULE_SYNC_COLUMNS]) == sorted(ALERT_CONFIGURATIONS.column_names)


def test_destination_columns_are_the_models_fields() -> None:
    assert sorted(DESTINATION_USER_COLUMNS) == sorted(NotificationDestination.model_fields)
    everything = [*DESTINATION_USER_COLUMNS, *AUDIT_COLUMNS, "databricks_destination_id"]
    assert sorted(everything) == sorted(NOTIFICATION_DESTINATIONS.column_names)
