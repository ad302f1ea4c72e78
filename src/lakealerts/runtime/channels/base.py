"""What every channel kind shares: the channel, the kind protocol, delivery settings and outcomes, one HTTP post.

A rule's channel is an e-mail address or a destination_id. Secret references in a destination's config are
resolved by the outbox just before sending; a kind receives them resolved and never logs or copies them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlparse

import requests

from lakealerts.model import EMAIL, AlertRule, DestinationType, NotificationDestination
from lakealerts.runtime.messages import Markup, Message

PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"


@dataclass(frozen=True)
class Channel:
    """Where one message goes: ``name`` as the rule writes it, the destination type and its raw config."""

    name: str
    type: DestinationType
    config: Mapping[str, Any] = field(default_factory=dict)


class SkippedDelivery(Exception):  # noqa: N818 - an outcome, not a failure: recorded as SKIPPED
    """The channel is deliberately not sent (e.g. no SMTP server configured)."""


class DeliveryError(Exception):
    """A channel did not take the message; the text is safe to store (no URL, no secret)."""


def channel_named(name: str, destinations: Mapping[str, NotificationDestination]) -> Channel | str:
    """The channel a rule names (an e-mail address or an enabled destination's id), or why it cannot be used."""
    if EMAIL.match(name):
        return Channel(name, DestinationType.EMAIL, {"addresses": [name]})
    destination = destinations.get(name)
    if destination is not None and destination.is_enabled:
        return Channel(name, destination.destination_type, destination.config_json)
    return f"channel {name!r} is not an enabled destination"


def channels_of(rule: AlertRule, destinations: Mapping[str, NotificationDestination]) -> list[Channel | str]:
    """The rule's channels; a string in the result is a channel that cannot be used, with the reason."""
    return [channel_named(name, destinations) for name in rule.notification_channels]


@dataclass
class SmtpSettings:
    """From ``LAKEALERTS_SMTP_URL`` (smtp://user:pass@host:port, smtps:// for TLS, ?starttls=true)."""

    url: str | None
    sender: str = "lakealerts@localhost"
    timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        """Read the SMTP URL and sender address from the environment."""
        return cls(env.get("LAKEALERTS_SMTP_URL") or None, env.get("LAKEALERTS_SMTP_FROM") or "lakealerts@localhost")


@dataclass
class DeliverySettings:
    """Everything a kind needs beyond the channel's config: SMTP, the PagerDuty endpoint, HTTP timeout and session."""

    smtp: SmtpSettings = field(default_factory=lambda: SmtpSettings(None))
    pagerduty_url: str = PAGERDUTY_URL
    timeout: float = 10.0
    session: requests.Session = field(default_factory=requests.Session)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DeliverySettings:
        """``LAKEALERTS_SMTP_URL``, ``LAKEALERTS_SMTP_FROM`` and ``LAKEALERTS_PAGERDUTY_URL`` (DESIGN §7 delivery)."""
        return cls(SmtpSettings.from_env(env), env.get("LAKEALERTS_PAGERDUTY_URL") or PAGERDUTY_URL)


class ChannelKind(Protocol):
    """How one destination type is delivered and what the outbox keeps of it; one module per type implements it."""

    @property
    def type(self) -> DestinationType:
        """The destination type this kind delivers."""

    @property
    def resolves_on_recovery(self) -> bool:
        """Sent a resolve on TRIGGERED → OK even without ``notify_on_ok`` (PagerDuty only, DESIGN §4)."""

    @property
    def markup(self) -> Markup | None:
        """How template values and the result table are written in this channel's markup so that they show as
        themselves; None for plain text (e-mail, the generic webhook's JSON, PagerDuty)."""

    def send(self, config: Mapping[str, Any], message: Message, event: str, settings: DeliverySettings) -> None:
        """Deliver with the resolved ``config``; ``event`` is trigger, ok or resolve. Raises DeliveryError or
        SkippedDelivery."""

    def copy(self, sender: str, channel: Channel, message: Message) -> tuple[str, bytes]:
        """The outbox's copy of the message: file suffix and content, from the unresolved config (no secrets)."""


def post_json(
    settings: DeliverySettings,
    url: str,
    payload: Any,
    auth: tuple[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> None:
    """POST ``payload`` as JSON; any failure is a DeliveryError naming the host only."""
    # A webhook URL is a secret (Slack's path is the credential): errors name the host only, never the URL
    # or what the endpoint echoed back.
    host = urlparse(url).hostname or "the endpoint"
    try:
        response = settings.session.post(
            url, json=payload, auth=auth, headers=dict(headers or {}), timeout=settings.timeout
        )
    except requests.RequestException as error:
        raise DeliveryError(f"{type(error).__name__} posting to {host}") from None
    if response.status_code >= 300:
        raise DeliveryError(f"HTTP {response.status_code} from {host}")


def message_fields(message: Message) -> dict[str, Any]:
    """The message as the JSON fields of DESIGN §7: the generic webhook's payload and the outbox's copies."""
    return {
        "alert_id": message.alert_id,
        "alert_name": message.alert_name,
        "state": message.state,
        "previous_state": message.previous_state,
        "value": message.value,
        "condition": message.condition,
        "threshold": message.threshold,
        "evaluated_at": message.evaluated_at.isoformat(),
        "subject": message.subject,
        "body": message.body,
        **({"message_id": message.message_id} if message.message_id else {}),
    }


def message_id_header(message: Message) -> dict[str, str]:
    """``X-Lakealerts-Message-Id``: the id a receiver de-duplicates on (DESIGN §10.1)."""
    return {"X-Lakealerts-Message-Id": message.message_id} if message.message_id else {}


class HttpKind:
    """Base of the kinds sent by one HTTP POST: the outbox keeps a ``.json`` copy, and no resolve on recovery."""

    resolves_on_recovery = False
    markup: Markup | None = None

    def copy(self, sender: str, channel: Channel, message: Message) -> tuple[str, bytes]:
        """``.json`` with the channel's name and type and the message's fields; never the config (secrets)."""
        document = {"channel": channel.name, "type": channel.type.value, **message_fields(message)}
        return ".json", json.dumps(document, indent=2, default=str).encode("utf-8")
