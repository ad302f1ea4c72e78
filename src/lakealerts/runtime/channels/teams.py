"""Microsoft Teams incoming webhooks: ``{"url"}``, posted a legacy MessageCard (DESIGN §3, §7)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from functools import partial
from typing import Any

from lakealerts.model import DestinationType
from lakealerts.runtime.channels.base import DeliverySettings, HttpKind, post_json
from lakealerts.runtime.messages import Markup, Message, html_table

# Red while triggered, green when OK, grey for anything else (ERROR, UNKNOWN).
_THEME_COLORS = {"TRIGGERED": "D13438", "OK": "2EB886"}
_OTHER_COLOR = "8A8886"


# HTML's and Markdown's own characters, written as character references in one pass: shown as themselves, never
# as a tag, a link or emphasis ("[login](https://evil)" or "<a href=…>" in the data stays text).
_MARKUP = str.maketrans({c: f"&#{ord(c)};" for c in '&<>"\\`*_[]()#!|~'})


def teams_quote(value: str) -> str:
    """A value shown as itself on a card whose text Teams renders as Markdown with some HTML."""
    return value.translate(_MARKUP)


# The result table stays HTML (the card's text renders it) with every cell quoted.
TEAMS_MARKUP = Markup(teams_quote, partial(html_table, cell=teams_quote))


def teams_card(message: Message) -> dict[str, Any]:
    """The MessageCard: the subject as title and (plain, unquoted) summary, the body with its line breaks as
    ``<br>``."""
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": html.unescape(message.subject),  # the notification's plain-text preview
        "themeColor": _THEME_COLORS.get(message.state, _OTHER_COLOR),
        "title": message.subject,  # values quoted as in the text (Markdown may apply to every text field)
        # The card's text is rendered as Markdown, where a single newline does not break the line.
        "text": message.body.replace("\n", "<br>"),
    }


class TeamsKind(HttpKind):
    """MICROSOFT_TEAMS destinations: one POST of the card to the webhook URL."""

    type = DestinationType.MICROSOFT_TEAMS
    markup = TEAMS_MARKUP

    def send(self, config: Mapping[str, Any], message: Message, event: str, settings: DeliverySettings) -> None:
        """Post the card; ``event`` changes nothing, the card's colour and title say the state."""
        post_json(settings, config["url"], teams_card(message))


TEAMS_KIND = TeamsKind()
