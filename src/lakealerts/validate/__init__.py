"""Validation: static checks for every rule, then engine checks for the ones that passed them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lakealerts.engines.base import Engine
from lakealerts.findings import Finding
from lakealerts.model import AlertRule, NotificationDestination
from lakealerts.sql.identifiers import Namespace
from lakealerts.validate.engine_checks import check_with_engine
from lakealerts.validate.static import StaticContext, check_rule


@dataclass(frozen=True)
class RuleValidation:
    """The verdict on one rule: valid when it has no finding."""

    alert_id: str
    findings: list[Finding]

    @property
    def is_valid(self) -> bool:
        """No findings."""
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        """``{"alert_id", "is_valid", "errors": [finding…]}`` (DESIGN §7)."""
        return {"alert_id": self.alert_id, "is_valid": self.is_valid, "errors": [f.to_dict() for f in self.findings]}


@dataclass
class ValidationReport:
    """Every checked rule's verdict, in the order checked."""

    results: list[RuleValidation] = field(default_factory=list)

    @property
    def all_valid(self) -> bool:
        """True when no rule has a finding."""
        return all(result.is_valid for result in self.results)

    @property
    def invalid_ids(self) -> set[str]:
        """Ids of rules with findings."""
        return {result.alert_id for result in self.results if not result.is_valid}


def validate_rules(
    rules: Sequence[AlertRule],
    destinations: Sequence[NotificationDestination],
    namespace: Namespace,
    engine: Engine | None = None,
    *,
    all_rules: Sequence[AlertRule] | None = None,
    progress: Callable[[int, int], None] | None = None,
    now: datetime | None = None,
) -> ValidationReport:
    """Check ``rules``; static findings skip the engine checks for that rule. Never raises for a bad rule.

    ``all_rules`` (default: ``rules``) is what display-name uniqueness is judged against, so validating one
    rule still sees the others. ``now`` is when schedules are judged from (a schedule that never fires after it
    is a finding); without it, only schedules that never fire at all are.
    """
    context = StaticContext.build(namespace, all_rules if all_rules is not None else rules, destinations, now)
    report = ValidationReport()
    for index, rule in enumerate(rules, start=1):
        static = check_rule(rule, context)
        findings = static.findings
        if not findings and engine is not None and static.rendered_sql is not None:
            findings = check_with_engine(rule, static.rendered_sql, engine)
        report.results.append(RuleValidation(rule.alert_id, findings))
        if progress is not None:
            progress(index, len(rules))
    return report
