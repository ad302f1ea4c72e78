"""Notification destinations as the stand-in keeps them: secrets are write-only (pure).

The config is checked with the SDK's ``databricks.sdk.service.settings.Config`` and must wrap exactly one
nested config (``email``, ``slack``, ``microsoft_teams``, ``generic_webhook``, ``pagerduty``, ...). A field is
write-only when its SDK model has a ``<field>_set`` companion ("[Input-Only]" in the SDK docs): the stand-in
keeps only ``<field>_set: true`` for it and never stores or returns the value. E-mail ``addresses`` have no
such companion and are returned as sent.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from databricks.sdk.service.settings import Config, DestinationType

from lakealerts.standin.errors import invalid
from lakealerts.standin.schema import check_payload, model_fields, nested_model

_BODY_FIELDS = frozenset({"display_name", "config"})
# The config key of each destination type; WEBHOOK is the one whose key is not its type in lower case.
CONFIG_TYPES: dict[str, str] = {
    key: ("WEBHOOK" if key == "generic_webhook" else key.upper())
    for key in model_fields(Config)
    if ("WEBHOOK" if key == "generic_webhook" else key.upper()) in DestinationType.__members__
}
# What a destination of each type cannot work without: one of the alternatives, every field of it.
_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "email": (("addresses",),),
    "slack": (("url",), ("oauth_token", "channel_id")),
    "microsoft_teams": (("url",), ("app_id", "auth_secret", "tenant_id", "channel_url")),
    "generic_webhook": (("url",),),
    "pagerduty": (("integration_key",),),
}


@dataclass(frozen=True)
class DestinationRecord:
    """One stored destination; ``config`` is the readable view (``{"<key>": {...}}``), never a secret."""

    id: str
    display_name: str
    destination_type: str
    config: dict[str, Any]


def new_destination(body: Any, *, destination_id: str) -> DestinationRecord:
    """The record for a create request; 400 unless it has a display name and exactly one usable config."""
    _check_body(body)
    if not body.get("display_name"):
        raise invalid("Missing required field: display_name")
    if body.get("config") is None:
        raise invalid("Missing required field: config")
    key, config = _readable_config(body["config"])
    return DestinationRecord(destination_id, str(body["display_name"]), CONFIG_TYPES[key], config)


def apply_destination_update(record: DestinationRecord, body: Any) -> DestinationRecord:
    """``record`` with the sent display name and/or config (a config replaces the old one; same type only)."""
    _check_body(body)
    if body.get("display_name") is None and body.get("config") is None:
        raise invalid("At least one field is required in the request body: display_name or config")
    updated = record
    if body.get("display_name") is not None:
        if not body["display_name"]:
            raise invalid("display_name must not be empty")
        updated = replace(updated, display_name=str(body["display_name"]))
    if body.get("config") is not None:
        key, config = _readable_config(body["config"])
        if CONFIG_TYPES[key] != record.destination_type:
            raise invalid(
                f"The destination type cannot be changed (is {record.destination_type}, got {CONFIG_TYPES[key]}): "
                "delete the destination and create a new one"
            )
        updated = replace(updated, config=config)
    return updated


def render_destination(record: DestinationRecord) -> dict[str, Any]:
    """The destination as a workspace returns it to an admin: config without secrets, ``*_set`` flags."""
    return {**render_summary(record), "config": record.config}


def render_summary(record: DestinationRecord) -> dict[str, Any]:
    """The list item of a destination: id, display name and type."""
    return {"id": record.id, "display_name": record.display_name, "destination_type": record.destination_type}


def write_only_fields(model: type) -> frozenset[str]:
    """The fields of a nested config model whose value is never returned (they have a ``_set`` companion)."""
    names = model_fields(model)
    return frozenset(name for name in names if f"{name}_set" in names)


def _check_body(body: Any) -> None:
    if not isinstance(body, dict):
        raise invalid("Invalid value for the request body: expected an object")
    unknown = sorted(set(body) - _BODY_FIELDS)
    if unknown:
        raise invalid(f"Unknown field '{unknown[0]}'")
    if body.get("display_name") is not None and not isinstance(body["display_name"], str):
        raise invalid("Invalid value for field 'display_name': expected a string")


def _readable_config(config: Any) -> tuple[str, dict[str, Any]]:
    """Check ``config`` and return its key and the view to store: secrets replaced by ``_set`` flags."""
    check_payload(config, Config, "config")
    present = [key for key, value in config.items() if value is not None]
    if len(present) != 1 or present[0] not in CONFIG_TYPES:
        raise invalid(f"config must wrap exactly one of {', '.join(sorted(CONFIG_TYPES))}; got {present or 'none'}")
    key = present[0]
    nested: dict[str, Any] = config[key]
    _check_usable(key, nested)
    model = nested_model(Config, key)
    secret = write_only_fields(model) if model is not None else frozenset()
    view: dict[str, Any] = {}
    for name, value in nested.items():
        if name.endswith("_set") or value is None:
            continue  # output-only flags on input are ignored, as a workspace does
        if name in secret:
            if value != "":
                view[f"{name}_set"] = True
        else:
            view[name] = value
    return key, {key: view}


def _check_usable(key: str, nested: dict[str, Any]) -> None:
    alternatives = _NEEDS.get(key)
    if alternatives is None or any(all(nested.get(name) for name in option) for option in alternatives):
        return
    wanted = " or ".join("+".join(option) for option in alternatives)
    raise invalid(f"config.{key} needs {wanted}")
