"""PagerDuty Events API v2: ``{"integration_key"}``; one incident per alert, resolved on recovery (DESIGN §4, §7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lakealerts.model import DestinationType
from lakealerts.runtime.channels.base import DeliverySettings, HttpKind, post_json
from lakealerts.runtime.messages import Message

# Our severities to PagerDuty's; anything else is "error" so that an unknown severity still pages.
_SEVERITY = {"CRITICAL": "critical", "WARNING": "warning", "INFO": "info"}


def dedup_key(alert_id: str) -> str:
    """One PagerDuty incident per alert: triggers and the resolve share this key."""
    return f"lakealerts-{alert_id}"


def pagerduty_payload(config: Mapping[str, Any], message: Message, event: str) -> dict[str, Any]:
    """The Events v2 body: ``ok`` and ``resolve`` resolve the alert's incident, anything else triggers it."""
    payload: dict[str, Any] = {
        "routing_key": config["integration_key"],
        "event_action": "resolve" if event in ("resolve", "ok") else "trigger",
        "dedup_key": dedup_key(message.alert_id),
    }
    if payload["event_action"] == "trigger":
        payload["payload"] = {
            "summary": message.subject[:1024],  # PagerDuty's limit for the summary
            "source": "lakealerts",
            "severity": _SEVERITY.get(message.severity, "error"),
            "custom_details": {"value": message.value, "condition": message.condition, "body": message.body},
        }
    return payload


class PagerDutyKind(HttpKind):
    """PAGERDUTY destinations: posted to ``settings.pagerduty_url`` (``LAKEALERTS_PAGERDUTY_URL``)."""

    type = DestinationType.PAGERDUTY
    # An open incident must not outlive the alert: resolve on TRIGGERED → OK even without notify_on_ok.
    resolves_on_recovery = True

    def send(self, config: Mapping[str, Any], message: Message, event: str, settings: DeliverySettings) -> None:
        """Trigger or resolve the alert's incident."""
        post_json(settings, settings.pagerduty_url, pagerduty_payload(config, message, event))


PAGERDUTY_KIND = PagerDutyKind()
