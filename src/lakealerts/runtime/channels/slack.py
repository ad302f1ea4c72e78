"""Slack incoming webhooks: ``{"url"}``, whose path is the credential (DESIGN §3, §7)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lakealerts.model import DestinationType
from lakealerts.runtime.channels.base import DeliverySettings, HttpKind, post_json
from lakealerts.runtime.messages import Markup, Message


def slack_quote(value: str) -> str:
    """A value shown as itself in Slack's mrkdwn: ``&``, ``<`` and ``>`` as Slack's entities (what Slack asks of
    any text), so ``<!channel>`` or ``<https://evil|login>`` in the data never pings nor links."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """The result table as Slack can show it (it renders no HTML): a header line and a line per row, cells
    separated by `` | ``, each cell quoted and on one line (its line breaks as spaces)."""
    cells = [[slack_quote(" ".join(str(cell).splitlines())) for cell in line] for line in [columns, *rows]]
    return "\n".join(" | ".join(line) for line in cells)


SLACK_MARKUP = Markup(slack_quote, slack_table)


def slack_payload(message: Message) -> dict[str, Any]:
    """Slack's ``{"text"}``: the subject in bold, then the body (Slack's own mrkdwn)."""
    return {"text": f"*{message.subject}*\n{message.body}"}


class SlackKind(HttpKind):
    """SLACK destinations: one POST of the text to the webhook URL."""

    type = DestinationType.SLACK
    markup = SLACK_MARKUP

    def send(self, config: Mapping[str, Any], message: Message, event: str, settings: DeliverySettings) -> None:
        """Post the message; ``event`` changes nothing, the text says the state."""
        post_json(settings, config["url"], slack_payload(message))


SLACK_KIND = SlackKind()
