"""Notifications captured, never sent: the transport a test's runtime dispatches through.

Each channel's real kind builds what it would post (Slack text, webhook JSON, PagerDuty event) into a session
that records the JSON instead of sending it; an e-mail exposes its recipients. What a test compares is
``{channel, type, to, subject, body, payload, action}`` (DESIGN §11).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from lakealerts.model import DestinationType
from lakealerts.runtime.channels import Channel, DeliverySettings, SkippedDelivery, kind_of
from lakealerts.runtime.messages import Message


@dataclass(frozen=True)
class CapturedMessage:
    """One message as the test sees it."""

    channel: str
    type: str
    to: tuple[str, ...]
    subject: str
    body: str
    payload: Any
    action: str

    def to_dict(self) -> dict[str, Any]:
        """The message's fields, JSON-ready."""
        return {
            "channel": self.channel,
            "type": self.type,
            "to": list(self.to),
            "subject": self.subject,
            "body": self.body,
            "payload": self.payload,
            "action": self.action,
        }


class _RecordingSession(requests.Session):
    """A session whose POSTs are recorded and answered 200, never sent."""

    def __init__(self) -> None:
        super().__init__()
        self.posted: list[Any] = []

    def post(self, url: Any, data: Any = None, json: Any = None, **kwargs: Any) -> requests.Response:
        """Record the JSON body; answer 200."""
        self.posted.append(json)
        response = requests.Response()
        response.status_code = 200
        return response


@dataclass
class CapturingTransport:
    """Keeps every message the dispatcher hands it, with the payload its channel kind would have posted."""

    sent: list[CapturedMessage] = field(default_factory=list)

    def send(self, channel: Channel, config: Mapping[str, Any], message: Message, event: str) -> None:
        """Capture ``message`` on ``channel``."""
        session = _RecordingSession()
        if channel.type is not DestinationType.EMAIL:
            with contextlib.suppress(SkippedDelivery):  # a kind that sends nothing for this event
                kind_of(channel.type).send(config, message, event, DeliverySettings(session=session))
        to = tuple(config.get("addresses") or ()) if channel.type is DestinationType.EMAIL else ()
        payload = session.posted[0] if session.posted else None
        self.sent.append(
            CapturedMessage(channel.name, channel.type.value, to, message.subject, message.body, payload, str(event))
        )

    def take(self) -> list[CapturedMessage]:
        """The messages captured since the last call."""
        taken, self.sent = self.sent, []
        return taken
