"""Slack incoming webhooks: ``{"url"}``, whose path is the credential (DESIGN §3, §7)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lakealerts.model import DestinationType
from lakealerts.runtime.channels.base import DeliverySettings, HttpKind, post_json
from lakealerts.runtime.messages import Message


def slack_payload(message: Message) -> dict[str, Any]:
    """Slack's ``{"text"}``: the subject in bold, then the body (Slack's own mrkdwn)."""
    return {"text": f"*{message.subject}*\n{message.body}"}


class SlackKind(HttpKind):
    """SLACK destinations: one POST of the text to the webhook URL."""

    type = DestinationType.SLACK

    def send(self, config: Mapping[str, Any], message: Message, event: str, settings: DeliverySettings) -> None:
        """Post the message; ``event`` changes nothing, the text says the state."""
        post_json(settings, config["url"], slack_payload(message))


SLACK_KIND = SlackKind()
