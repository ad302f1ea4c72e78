"""E-mail over SMTP; the outbox keeps the very e-mail as ``.eml`` (DESIGN §7 delivery)."""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from lakealerts.model import DestinationType
from lakealerts.runtime.channels.base import Channel, DeliveryError, DeliverySettings, SkippedDelivery
from lakealerts.runtime.messages import Message
from lakealerts.values import LINE_CONTROLS

# The one-line rule of the model: C0/C1 controls and U+2028/U+2029, i.e. every character str.splitlines() breaks
# on (\n, \r, \x0b, \x0c, \x1c-\x1e, \x85, \u2028, \u2029), which the e-mail package refuses in a header.
_CONTROL = re.compile(f"(?:{LINE_CONTROLS.pattern})+")


def header_value(text: str) -> str:
    """A header value with control characters (CR, LF, NUL, U+2028 …) folded to spaces: a rendered subject (a
    query value in it) or an alert id can never inject a header or break the e-mail (import refuses them in the
    rule's own values too; this is the last line)."""
    return _CONTROL.sub(" ", text).strip()


def email_message(sender: str, recipients: list[str], message: Message) -> EmailMessage:
    """The e-mail of a message (also what the outbox keeps as ``.eml``)."""
    email = EmailMessage()
    email["From"] = header_value(sender)
    email["To"] = ", ".join(header_value(r) for r in recipients)
    email["Subject"] = header_value(message.subject)
    email["X-Lakealerts-Alert"] = header_value(message.alert_id)
    if message.message_id:  # DESIGN §10.1: receivers de-duplicate on the Message-ID
        email["Message-ID"] = f"<{header_value(message.message_id)}@lakealerts>"
    email.set_content(message.body)
    return email


def _scrubbed(text: str, smtp_url: str) -> str:
    """``text`` without the SMTP URL's credentials (whole, or any piece of its user:password part)."""
    credentials = smtp_url.split("://", 1)[-1].rsplit("@", 1)[0] if "@" in smtp_url else ""
    parts = re.split(r"[:/]", credentials)  # a password may hold '/' (then urlparse reads it as a path)
    pieces = [smtp_url, credentials, *parts, *(unquote(part) for part in parts)]
    for piece in sorted((p for p in pieces if len(p) >= 3), key=len, reverse=True):
        text = text.replace(piece, "***")
    return text


class EmailKind:
    """EMAIL destinations and e-mail address channels: ``{"addresses": [..]}``."""

    type = DestinationType.EMAIL
    resolves_on_recovery = False
    markup = None  # a plain-text e-mail: values as they are

    def send(self, config: Mapping[str, Any], message: Message, event: str, settings: DeliverySettings) -> None:
        """Send one e-mail to all addresses; without an SMTP URL the e-mail lives in the outbox only (SKIPPED)."""
        smtp = settings.smtp
        if not smtp.url:
            raise SkippedDelivery("no LAKEALERTS_SMTP_URL: e-mail written to the outbox only")
        try:
            self._send(smtp.url, smtp.sender, smtp.timeout, list(config["addresses"]), message)
        except Exception as error:  # the SMTP URL holds a password: no error text may carry it
            raise DeliveryError(_scrubbed(f"{type(error).__name__}: {error}", smtp.url)) from None

    def _send(self, smtp_url: str, sender: str, timeout: float, recipients: list[str], message: Message) -> None:
        url = urlparse(smtp_url)
        options = parse_qs(url.query)
        host, port = url.hostname or "localhost", url.port or (465 if url.scheme == "smtps" else 25)
        client: smtplib.SMTP
        if url.scheme == "smtps":
            client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:  # QUIT and close whatever happens below
            if options.get("starttls", ["false"])[0].lower() == "true":
                client.starttls(context=ssl.create_default_context())
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(email_message(sender, recipients, message))

    def copy(self, sender: str, channel: Channel, message: Message) -> tuple[str, bytes]:
        """``.eml``: the e-mail as sent, to the channel's addresses."""
        recipients = [str(a) for a in channel.config.get("addresses", [])]
        return ".eml", bytes(email_message(sender, recipients, message))


EMAIL_KIND = EmailKind()
