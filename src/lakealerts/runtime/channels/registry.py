"""The channel kinds by destination type, and the transport that sends through them.

Code that depends on the destination type asks the registry (``kind_of(channel.type)``) instead of switching on
the type: a new kind is one module and one entry in ``_ALL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

import requests

from lakealerts.model import DestinationType
from lakealerts.runtime.channels.base import PAGERDUTY_URL, Channel, ChannelKind, DeliverySettings, SmtpSettings
from lakealerts.runtime.channels.email import EMAIL_KIND
from lakealerts.runtime.channels.pagerduty import PAGERDUTY_KIND
from lakealerts.runtime.channels.slack import SLACK_KIND
from lakealerts.runtime.channels.teams import TEAMS_KIND
from lakealerts.runtime.channels.webhook import WEBHOOK_KIND
from lakealerts.runtime.messages import Message

# Typed as the protocol so that mypy checks each kind against it.
_ALL: tuple[ChannelKind, ...] = (EMAIL_KIND, SLACK_KIND, TEAMS_KIND, WEBHOOK_KIND, PAGERDUTY_KIND)
KINDS: Mapping[DestinationType, ChannelKind] = MappingProxyType({kind.type: kind for kind in _ALL})


def kind_of(destination_type: DestinationType) -> ChannelKind:
    """The kind that delivers ``destination_type``; every DestinationType has one (a unit test checks it)."""
    return KINDS[destination_type]


class Transport(Protocol):
    """Sends one message on one channel with an already resolved config; raises on failure.

    The outbox depends on this, not on the registry, so that tests can inject a fake or capturing transport.
    """

    def send(self, channel: Channel, config: Mapping[str, Any], message: Message, event: str) -> None: ...


@dataclass
class RegistryTransport:
    """The real transport: each channel is sent by its kind, with these settings."""

    settings: DeliverySettings = field(default_factory=DeliverySettings)

    def send(self, channel: Channel, config: Mapping[str, Any], message: Message, event: str) -> None:
        """Deliver or raise DeliveryError / SkippedDelivery; ``event`` is trigger, ok or resolve."""
        kind_of(channel.type).send(config, message, event, self.settings)


class DefaultTransport(RegistryTransport):
    """The transport with its former constructor, ``DefaultTransport(smtp, pagerduty_url, timeout, session)``."""

    def __init__(
        self,
        smtp: SmtpSettings,
        pagerduty_url: str = PAGERDUTY_URL,
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(DeliverySettings(smtp, pagerduty_url, timeout, session or requests.Session()))
