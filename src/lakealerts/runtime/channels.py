"""Notification channels and how each kind is delivered (DESIGN §7 delivery).

A rule's channel is an e-mail address or a destination_id. Secret references in a destination's config are
resolved only here, just before sending, and never logged or written to the outbox.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlparse

import requests

from lakealerts.model import EMAIL, AlertRule, DestinationType, NotificationDestination
from lakealerts.runtime.messages import Message

PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
_PAGERDUTY_SEVERITY = {"CRITICAL": "critical", "WARNING": "warning", "INFO": "info"}


@dataclass(frozen=True)
class Channel:
    """Where one message goes: ``name`` as the rule writes it, the destination type and its raw config."""

    name: str
    type: DestinationType
    config: Mapping[str, Any] = field(default_factory=dict)


class SkippedDelivery(Exception):  # noqa: N818 - a outcome, not a failure: recorded as SKIPPED
    """The channel is deliberately not sent (e.g. no SMTP server configured)."""


class DeliveryError(Exception):
    """A channel did not take the message; the text is safe to store (no URL, no secret)."""


def channels_of(rule: AlertRule, destinations: Mapping[str, NotificationDestination]) -> list[Channel | str]:
    """The rule's channels; a string in the result is a channel that cannot be used, with the reason."""
    result: list[Channel | str] = []
    for name in rule.notification_channels:
        if EMAIL.match(name):
            result.append(Channel(name, DestinationType.EMAIL, {"addresses": [name]}))
        elif name in destinations and destinations[name].is_enabled:
            destination = destinations[name]
            result.append(Channel(name, destination.destination_type, destination.config_json))
        else:
            result.append(f"channel {name!r} is not an enabled destination")
    return result


class Transport(Protocol):
    """Sends one message on one channel with an already resolved config; raises on failure."""

    def send(self, channel: Channel, config: Mapping[str, Any], message: Message, event: str) -> None: ...


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


def email_message(sender: str, recipients: list[str], message: Message) -> EmailMessage:
    """The e-mail of a message (also what the outbox keeps as ``.eml``)."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = ", ".join(recipients)
    email["Subject"] = message.subject
    email["X-Lakealerts-Alert"] = message.alert_id
    email.set_content(message.body)
    return email


@dataclass
class DefaultTransport:
    """SMTP for e-mail, HTTP for Slack, Teams, webhooks and PagerDuty Events v2."""

    smtp: SmtpSettings
    pagerduty_url: str = PAGERDUTY_URL
    timeout: float = 10.0
    session: requests.Session = field(default_factory=requests.Session)

    def send(self, channel: Channel, config: Mapping[str, Any], message: Message, event: str) -> None:
        """Deliver or raise; ``event`` is trigger, ok or resolve."""
        kind = channel.type
        if kind is DestinationType.EMAIL:
            self._email(list(config["addresses"]), message)
        elif kind is DestinationType.PAGERDUTY:
            self._post(self.pagerduty_url, _pagerduty_payload(config, message, event))
        elif kind is DestinationType.SLACK:
            self._post(config["url"], {"text": f"*{message.subject}*\n{message.body}"})
        elif kind is DestinationType.MICROSOFT_TEAMS:
            self._post(config["url"], _teams_card(message))
        else:
            auth = (config["username"], config.get("password") or "") if config.get("username") else None
            self._post(config["url"], webhook_payload(message), auth)

    def _post(self, url: str, payload: dict[str, Any], auth: tuple[str, str] | None = None) -> None:
        # A webhook URL is a secret (Slack's path is the credential): errors name the host only, never the URL
        # or what the endpoint echoed back.
        host = urlparse(url).hostname or "the endpoint"
        try:
            response = self.session.post(url, json=payload, auth=auth, timeout=self.timeout)
        except requests.RequestException as error:
            raise DeliveryError(f"{type(error).__name__} posting to {host}") from None
        if response.status_code >= 300:
            raise DeliveryError(f"HTTP {response.status_code} from {host}")

    def _email(self, recipients: list[str], message: Message) -> None:
        if not self.smtp.url:
            raise SkippedDelivery("no LAKEALERTS_SMTP_URL: e-mail written to the outbox only")
        url = urlparse(self.smtp.url)
        options = parse_qs(url.query)
        host, port = url.hostname or "localhost", url.port or (465 if url.scheme == "smtps" else 25)
        client: smtplib.SMTP
        if url.scheme == "smtps":
            client = smtplib.SMTP_SSL(host, port, timeout=self.smtp.timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=self.smtp.timeout)
        with client:
            if options.get("starttls", ["false"])[0].lower() == "true":
                client.starttls(context=ssl.create_default_context())
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(email_message(self.smtp.sender, recipients, message))


def webhook_payload(message: Message) -> dict[str, Any]:
    """The generic webhook's JSON (DESIGN §7)."""
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
    }


def _teams_card(message: Message) -> dict[str, Any]:
    color = {"TRIGGERED": "D13438", "OK": "2EB886"}.get(message.state, "8A8886")
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": message.subject,
        "themeColor": color,
        "title": message.subject,
        "text": message.body.replace("\n", "<br>"),
    }


def dedup_key(alert_id: str) -> str:
    """One PagerDuty incident per alert: triggers and the resolve share this key."""
    return f"lakealerts-{alert_id}"


def _pagerduty_payload(config: Mapping[str, Any], message: Message, event: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "routing_key": config["integration_key"],
        "event_action": "resolve" if event in ("resolve", "ok") else "trigger",
        "dedup_key": dedup_key(message.alert_id),
    }
    if payload["event_action"] == "trigger":
        payload["payload"] = {
            "summary": message.subject[:1024],
            "source": "lakealerts",
            "severity": _PAGERDUTY_SEVERITY.get(message.severity, "error"),
            "custom_details": {"value": message.value, "condition": message.condition, "body": message.body},
        }
    return payload
