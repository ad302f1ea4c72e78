"""The generic webhook: ``{"url", "username", "password"}``, posted the message's JSON (DESIGN §3, §7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lakealerts.model import DestinationType
from lakealerts.runtime.channels.base import DeliverySettings, HttpKind, message_fields, message_id_header, post_json
from lakealerts.runtime.messages import Message


def webhook_payload(message: Message) -> dict[str, Any]:
    """The generic webhook's JSON (DESIGN §7): ``alert_id`` … ``body`` and ``message_id`` (§10.1), the fields the
    outbox's copies hold too."""
    return message_fields(message)


def basic_auth(config: Mapping[str, Any]) -> tuple[str, str] | None:
    """Basic auth when the destination names a user; a missing password is sent as empty."""
    if not config.get("username"):
        return None
    return config["username"], config.get("password") or ""


class WebhookKind(HttpKind):
    """WEBHOOK destinations (Databricks' generic_webhook)."""

    type = DestinationType.WEBHOOK

    def send(self, config: Mapping[str, Any], message: Message, event: str, settings: DeliverySettings) -> None:
        """Post the JSON, with basic auth when configured; the payload's ``state`` says the event."""
        post_json(settings, config["url"], webhook_payload(message), basic_auth(config), message_id_header(message))


WEBHOOK_KIND = WebhookKind()
