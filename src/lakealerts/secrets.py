"""Secret references: how a destination names a secret without holding it (DESIGN §3).

``${env:NAME}`` works everywhere; ``{{secrets/<scope>/<key>}}`` inside a Databricks notebook. Either is only ever
the **whole** value of a secret field, and ``${env:NAME}`` never names lakealerts' own credentials
(``DATABRICKS_*``, ``LAKEALERTS_*``): a reference inside a longer value (``https://x/${env:TOKEN}``) would hand any
environment variable to whoever receives the message, so it is refused on import and again when resolving.
Resolution happens just before use, in the adapters that send; this module only recognises and resolves
references and knows nothing of destination types (``lakealerts.model.SECRET_FIELDS`` says which fields are secret).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from lakealerts.errors import LakeAlertsError

ENV_REFERENCE = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
DATABRICKS_REFERENCE = re.compile(r"\{\{secrets/([^/\s{}]+)/([^/\s{}]+)\}\}")
# Anything that looks like the start of a reference, well-formed or not.
_REFERENCE_LIKE = re.compile(r"\$\{\s*env\s*:[^}]*\}?|\{\{\s*secrets\s*/[^}]*(?:\}\})?", re.IGNORECASE)
RESERVED_PREFIXES = ("DATABRICKS_", "LAKEALERTS_")
MASK = "***"  # what a plain secret is shown as


def is_reference(value: object) -> bool:
    """True when ``value`` is, as a whole, ``${env:NAME}`` or ``{{secrets/scope/key}}``."""
    return isinstance(value, str) and bool(ENV_REFERENCE.fullmatch(value) or DATABRICKS_REFERENCE.fullmatch(value))


def reference_problem(value: str, secret_field: bool = True) -> tuple[str, str] | None:
    """``(message, hint)`` when ``value`` holds a reference that may not be stored or resolved, else None.

    Refused: a reference inside a longer value, a malformed one, one in a field that is not a secret, and
    ``${env:NAME}`` naming ``DATABRICKS_*`` or ``LAKEALERTS_*``. The message quotes the reference only, never the
    rest of the value (it may be a plain secret).
    """
    whole_env = ENV_REFERENCE.fullmatch(value)
    if whole_env or DATABRICKS_REFERENCE.fullmatch(value):
        if not secret_field:
            return (
                f"holds the secret reference {value}, but this field is not a secret",
                "write the value itself here; references are allowed only as the whole value of a secret field "
                "(url of SLACK, MICROSOFT_TEAMS and WEBHOOK, username, password, integration_key)",
            )
        name = whole_env.group(1) if whole_env else ""
        if name.upper().startswith(RESERVED_PREFIXES):
            return (
                f"{value} names lakealerts' own credential {name}",
                "export the destination's secret under a name of its own, e.g. ${env:OPS_WEBHOOK_URL}; "
                "DATABRICKS_* and LAKEALERTS_* variables are never sent to a destination",
            )
        return None
    found = _REFERENCE_LIKE.search(value)
    if found is None:
        return None
    reference = found.group()
    if ENV_REFERENCE.fullmatch(reference) or DATABRICKS_REFERENCE.fullmatch(reference):
        message = f"holds the reference {reference} inside a longer value"
    else:
        message = f"holds a malformed secret reference {reference[:40]!r}"
    return (
        message,
        "a reference must be the whole value: put the complete value in the secret and write e.g. "
        "url: ${env:OPS_WEBHOOK_URL} or {{secrets/<scope>/<key>}}",
    )


def masked(value: object) -> object:
    """``value`` as it may be printed: a plain (non-reference) secret becomes ``***``; references stay."""
    if isinstance(value, str) and value and not is_reference(value):
        return MASK
    return value


SecretReader = Callable[[str, str], str]  # (scope, key) -> value, e.g. dbutils.secrets.get


class SecretResolutionError(LakeAlertsError):
    """Raised when a reference cannot be resolved; names the destination and the reference, never a value."""


def resolve(value: str, owner: str, env: Mapping[str, str], secret_reader: SecretReader | None = None) -> str:
    """``value`` with a whole ``${env:NAME}`` or ``{{secrets/scope/key}}`` resolved, just before use.

    A plain value is returned as it is; a reference inside a longer value, a malformed one, or one naming
    lakealerts' own credentials raises :class:`SecretResolutionError` (the channel fails, naming ``owner``).
    """
    problem = reference_problem(value)
    if problem is not None:
        raise SecretResolutionError(f"{owner}: {problem[0]}; it is not resolved", hint=problem[1])
    databricks = DATABRICKS_REFERENCE.fullmatch(value)
    if databricks:
        if secret_reader is None:
            raise SecretResolutionError(
                f"{owner}: {value} can only be resolved inside a Databricks notebook",
                hint="use ${env:NAME} outside Databricks, or run this from the bundle's jobs",
            )
        return secret_reader(databricks.group(1), databricks.group(2))
    env_reference = ENV_REFERENCE.fullmatch(value)
    if env_reference is None:
        return value
    name = env_reference.group(1)
    if name not in env:
        raise SecretResolutionError(
            f"{owner}: environment variable {name} is not set",
            hint=f"export {name}=… in the environment that runs lakealerts",
        )
    return env[name]


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
