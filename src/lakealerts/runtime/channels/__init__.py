"""Notification channels, one module per destination type behind a registry (DESIGN §7 delivery).

``base`` holds what the kinds share, ``email``/``slack``/``teams``/``webhook``/``pagerduty`` one kind each, and
``registry`` maps each DestinationType to its kind and sends through it. The names below are what the rest of
lakealerts imports from ``lakealerts.runtime.channels``.
"""

from lakealerts.runtime.channels.base import (
    PAGERDUTY_URL,
    Channel,
    ChannelKind,
    DeliveryError,
    DeliverySettings,
    SkippedDelivery,
    SmtpSettings,
    channel_named,
    channels_of,
)
from lakealerts.runtime.channels.email import email_message
from lakealerts.runtime.channels.pagerduty import dedup_key
from lakealerts.runtime.channels.registry import KINDS, DefaultTransport, RegistryTransport, Transport, kind_of
from lakealerts.runtime.channels.webhook import webhook_payload

__all__ = [
    "KINDS",
    "PAGERDUTY_URL",
    "Channel",
    "ChannelKind",
    "DefaultTransport",
    "DeliveryError",
    "DeliverySettings",
    "RegistryTransport",
    "SkippedDelivery",
    "SmtpSettings",
    "Transport",
    "channel_named",
    "channels_of",
    "dedup_key",
    "email_message",
    "kind_of",
    "webhook_payload",
]
