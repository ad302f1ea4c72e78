"""The pre-built rules: 29 alert rules in five domains, shipped as YAML data files (DESIGN §8).

``rules/<domain>.yaml`` hold the rules as documents with the columns of ``alert_configurations``; they are
parsed with the same code as ``rules import``, and a shipped file that does not parse is a packaging bug:
:func:`load_rules` raises :class:`CatalogError` naming every problem instead of seeding a partial catalogue.
``expected_triggered.yaml`` names the rules the demo gold layer makes fire on its as-of day, and why.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from lakealerts.documents import parse_rules
from lakealerts.errors import LakeAlertsError
from lakealerts.model import AlertRule

#: The domains and their rule files, in catalogue order.
DOMAINS: tuple[str, ...] = ("COST", "SECURITY", "PERFORMANCE", "RELIABILITY", "QUALITY")
#: The notification destination every pre-built rule notifies; ``seed`` creates it.
DEFAULT_DESTINATION_ID = "default_email"


class CatalogError(LakeAlertsError):
    """Raised when a shipped catalogue file is unreadable or holds an invalid rule (a packaging bug)."""


@cache
def load_rules() -> tuple[AlertRule, ...]:
    """Every pre-built rule, in domain order then file order; CatalogError if any document is invalid."""
    documents = [document for domain in DOMAINS for document in _read(f"rules/{domain.lower()}.yaml")]
    report = parse_rules(documents)
    if report.problems:
        details = "; ".join(str(problem) for problem in report.problems)
        raise CatalogError(
            f"the pre-built rule catalogue is invalid: {details}",
            hint="this is a bug in the lakealerts package; reinstall it or report the problem",
        )
    return tuple(report.valid)


def rule_ids() -> frozenset[str]:
    """The ``alert_id`` of every pre-built rule."""
    return frozenset(rule.alert_id for rule in load_rules())


@cache
def expected_triggered() -> dict[str, str]:
    """Rule id -> why the demo data makes it fire on the as-of day; every other pre-built rule stays OK."""
    loaded = _load_yaml("expected_triggered.yaml")
    if not isinstance(loaded, dict) or not set(loaded) <= rule_ids():
        raise CatalogError(
            "expected_triggered.yaml must map pre-built rule ids to reasons",
            hint="this is a bug in the lakealerts package; reinstall it or report the problem",
        )
    return {str(key): str(value) for key, value in loaded.items()}


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
