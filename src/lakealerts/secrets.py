"""Secret references: how a destination names a secret without holding it (DESIGN §3).

``${env:NAME}`` works everywhere; ``{{secrets/<scope>/<key>}}`` inside a Databricks notebook. Resolution happens
just before use, in the adapters that send; this module only recognises references.
"""

from __future__ import annotations

import re

from lakealerts.model import DestinationType

ENV_REFERENCE = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")
DATABRICKS_REFERENCE = re.compile(r"^\{\{secrets/([^/\s{}]+)/([^/\s{}]+)\}\}$")

# Config fields Databricks treats as write-only secrets, by destination type.
SECRET_FIELDS: dict[DestinationType, tuple[str, ...]] = {
    DestinationType.EMAIL: (),
    DestinationType.SLACK: ("url",),
    DestinationType.MICROSOFT_TEAMS: ("url",),
    DestinationType.WEBHOOK: ("password",),
    DestinationType.PAGERDUTY: ("integration_key",),
}


def is_reference(value: object) -> bool:
    """True when ``value`` is a whole secret reference rather than a secret itself."""
    return isinstance(value, str) and bool(ENV_REFERENCE.match(value) or DATABRICKS_REFERENCE.match(value))
