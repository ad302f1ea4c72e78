"""Routing checks over a rule set (pure): every selected rule's channels must satisfy the expectation.

``select`` keeps the rules whose fields equal the given values (enums by name, case-insensitive); ``expect``
says ``any_destination_type`` (some channel of one of these types), ``resolvable`` (every channel an e-mail
address or an enabled destination), ``channels_include`` and ``exactly`` (the channel list, in any order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from lakealerts.alerttest.spec import RoutingCheck, RoutingExpect
from lakealerts.model import AlertRule, NotificationDestination
from lakealerts.runtime.channels import Channel, channels_of


@dataclass
class RoutingResult:
    """One check: passed, or failed with the rules that break it."""

    file: str
    name: str
    status: str
    offenders: list[str] = field(default_factory=list)
    selected: int = 0

    def to_dict(self) -> dict[str, Any]:
        """DESIGN §11's routing entry."""
        return {"file": self.file, "name": self.name, "status": self.status, "offenders": self.offenders}

    def summary(self) -> str:
        """Why it failed, in one line."""
        return f"routing: {len(self.offenders)} of {self.selected} selected rules fail it: {', '.join(self.offenders)}"


def unknown_select_keys(check: RoutingCheck) -> list[str]:
    """``select`` keys that are not rule fields."""
    return sorted(set(check.select) - set(AlertRule.model_fields))


def run_routing(
    label: str, check: RoutingCheck, rules: Sequence[AlertRule], destinations: Mapping[str, NotificationDestination]
) -> RoutingResult:
    """The rules ``check`` selects that break its expectation."""
    chosen = [rule for rule in rules if _selected(rule, check.select)]
    offenders = [rule.alert_id for rule in chosen if not fits(rule, check.expect, destinations)]
    return RoutingResult(label, check.name, "failed" if offenders else "passed", offenders, len(chosen))


def _selected(rule: AlertRule, select: Mapping[str, Any]) -> bool:
    return all(_same(getattr(rule, key), wanted) for key, wanted in select.items())


def _same(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, Enum):
        actual = actual.value
    if isinstance(actual, str) and isinstance(wanted, str):
        return actual.upper() == wanted.upper()
    return bool(actual == wanted)


def fits(rule: AlertRule, expect: RoutingExpect, destinations: Mapping[str, NotificationDestination]) -> bool:
    """Whether ``rule``'s channels satisfy every key ``expect`` gives."""
    channels = channels_of(rule, destinations)
    usable = [c for c in channels if isinstance(c, Channel)]
    names = rule.notification_channels
    checks = [
        expect.any_destination_type is None
        or any(c.type.value in {t.upper() for t in expect.any_destination_type} for c in usable),
        expect.resolvable is None or (len(usable) == len(channels)) == expect.resolvable,
        expect.channels_include is None or set(expect.channels_include) <= set(names),
        expect.exactly is None or sorted(expect.exactly) == sorted(names),
    ]
    return all(checks)
