"""The pre-built rules, shipped as YAML data files in two packs (DESIGN §8).

- ``gold`` (the default): 29 alert rules in five domains over the demo gold layer. ``rules/<domain>.yaml``
  hold the rules; ``expected_triggered.yaml`` names the rules the demo gold layer makes fire on its as-of day.
- ``system``: 22 rules in four domains (ids ``SYS-<DOMAIN>-NNN``) that read the Databricks system tables
  directly (``system.billing.usage`` …), so they run on any workspace with system tables enabled and on
  ``demo-data --system``. ``system/<domain>.yaml`` hold the rules; ``system/expected_triggered.yaml`` names the
  rules the local system tables make fire at :attr:`Pack.fires_at` on their as-of day.

Rules are documents with the columns of ``alert_configurations``; they are parsed with the same code as
``rules import``, and a shipped file that does not parse is a packaging bug: :func:`load_rules` raises
:class:`CatalogError` naming every problem instead of seeding a partial catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from lakealerts.documents import parse_rules
from lakealerts.errors import LakeAlertsError, UsageError
from lakealerts.model import AlertRule
from lakealerts.options import ALL_PACKS as ALL_PACKS
from lakealerts.options import DEFAULT_PACK as DEFAULT_PACK

#: The domains and their rule files, in catalogue order.
DOMAINS: tuple[str, ...] = ("COST", "SECURITY", "PERFORMANCE", "RELIABILITY", "QUALITY")


@dataclass(frozen=True)
class Pack:
    """A pack of pre-built rules: where its files are, its domains, and when its documented fire set holds."""

    name: str
    directory: str  # rule files <directory>/<domain>.yaml, inside this package
    domains: tuple[str, ...]
    expected_file: str
    fires_at: str | None  # UTC time of day on the as-of day the fire set is documented for; None: any time


#: ``seed --pack all``: every pack, in this order.
PACKS: dict[str, Pack] = {
    "gold": Pack("gold", "rules", DOMAINS, "expected_triggered.yaml", None),
    "system": Pack(
        "system",
        "system",
        ("COST", "SECURITY", "PERFORMANCE", "RELIABILITY"),
        "system/expected_triggered.yaml",
        "08:00:00Z",
    ),
}
PACK_NAMES: tuple[str, ...] = (*PACKS, ALL_PACKS)
#: The notification destination every pre-built rule notifies; ``seed`` creates it.
DEFAULT_DESTINATION_ID = "default_email"


class CatalogError(LakeAlertsError):
    """Raised when a shipped catalogue file is unreadable or holds an invalid rule (a packaging bug)."""


def packs(name: str) -> tuple[Pack, ...]:
    """The packs a ``--pack`` value names (``all``: every pack); UsageError for an unknown name."""
    if name == ALL_PACKS:
        return tuple(PACKS.values())
    if name not in PACKS:
        raise UsageError(f"unknown rule pack {name!r}", hint=f"use one of: {', '.join(PACK_NAMES)}")
    return (PACKS[name],)


@cache
def load_rules(pack: str = DEFAULT_PACK) -> tuple[AlertRule, ...]:
    """Every rule of ``pack`` (default: the 29 of the gold pack; ``all``: every pack), in domain order then
    file order; CatalogError if any document is invalid."""
    documents = [
        document
        for chosen in packs(pack)
        for domain in chosen.domains
        for document in _read(f"{chosen.directory}/{domain.lower()}.yaml")
    ]
    report = parse_rules(documents)
    if report.problems:
        details = "; ".join(str(problem) for problem in report.problems)
        raise CatalogError(
            f"the pre-built rule catalogue is invalid: {details}",
            hint="this is a bug in the lakealerts package; reinstall it or report the problem",
        )
    return tuple(report.valid)


def rule_ids(pack: str = DEFAULT_PACK) -> frozenset[str]:
    """The ``alert_id`` of every rule of ``pack``."""
    return frozenset(rule.alert_id for rule in load_rules(pack))


@cache
def expected_triggered(pack: str = DEFAULT_PACK) -> dict[str, str]:
    """Rule id -> why the demo data makes it fire on the as-of day (at the pack's ``fires_at``); every other
    rule of ``pack`` stays OK. ``all``: every pack's fire set."""
    expected: dict[str, str] = {}
    for chosen in packs(pack):
        loaded = _load_yaml(chosen.expected_file)
        if not isinstance(loaded, dict) or not set(loaded) <= rule_ids(chosen.name):
            raise CatalogError(
                f"{chosen.expected_file} must map rule ids of the {chosen.name} pack to reasons",
                hint="this is a bug in the lakealerts package; reinstall it or report the problem",
            )
        expected.update({str(key): str(value) for key, value in loaded.items()})
    return expected


def _read(name: str) -> list[Any]:
    loaded = _load_yaml(name)
    if not isinstance(loaded, list):
        raise CatalogError(f"catalogue file {name} does not hold a list of rules", hint="reinstall lakealerts")
    return loaded


def _load_yaml(name: str) -> Any:
    try:
        text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
        return yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"cannot read catalogue file {name}: {exc}", hint="reinstall lakealerts") from exc
