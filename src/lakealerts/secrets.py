"""Secret references: how a destination names a secret without holding it (DESIGN §3).

``${env:NAME}`` works everywhere; ``{{secrets/<scope>/<key>}}`` inside a Databricks notebook. Resolution happens
just before use, in the adapters that send; this module only recognises references.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from lakealerts.errors import LakeAlertsError
from lakealerts.model import DestinationType

_ENV_ANYWHERE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
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
    """True when ``value`` takes its secret from a reference: a whole ``{{secrets/scope/key}}``, or
    ``${env:NAME}`` anywhere in it (e.g. the secret path of a Slack URL)."""
    return isinstance(value, str) and bool(DATABRICKS_REFERENCE.match(value) or _ENV_ANYWHERE.search(value))


SecretReader = Callable[[str, str], str]  # (scope, key) -> value, e.g. dbutils.secrets.get


class SecretResolutionError(LakeAlertsError):
    """Raised when a reference cannot be resolved; names the destination and the reference, never a value."""


def resolve(value: str, owner: str, env: Mapping[str, str], secret_reader: SecretReader | None = None) -> str:
    """``value`` with ``${env:NAME}`` (anywhere) and a whole ``{{secrets/scope/key}}`` resolved, just before use."""
    match = DATABRICKS_REFERENCE.match(value)
    if match:
        if secret_reader is None:
            raise SecretResolutionError(
                f"{owner}: {value} can only be resolved inside a Databricks notebook",
                hint="use ${env:NAME} outside Databricks, or run this from the bundle's jobs",
            )
        return secret_reader(match.group(1), match.group(2))

    def substitute(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in env:
            raise SecretResolutionError(
                f"{owner}: environment variable {name} is not set",
                hint=f"export {name}=… in the environment that runs lakealerts",
            )
        return env[name]

    return _ENV_ANYWHERE.sub(substitute, value)


def resolve_config(
    config: Mapping[str, Any], owner: str, env: Mapping[str, str], secret_reader: SecretReader | None = None
) -> dict[str, Any]:
    """Every string in a destination's config resolved (lists of strings too)."""
    resolved: dict[str, Any] = {}
    for key, item in config.items():
        if isinstance(item, str):
            resolved[key] = resolve(item, f"{owner} config_json.{key}", env, secret_reader)
        elif isinstance(item, list):
            resolved[key] = [resolve(v, f"{owner} config_json.{key}", env, secret_reader) if isinstance(v, str)
                             else v for v in item]  # fmt: skip
        else:
            resolved[key] = item
    return resolved
