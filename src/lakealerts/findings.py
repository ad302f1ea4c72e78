"""A finding: one problem with one rule (or destination) document — the one problem shape of lakealerts.

Checks and parsers return findings; they never raise for a bad rule, so one bad rule never stops the others.
Validation shows them as DESIGN §7's ``{"code", "field", "message", "hint", "line", "col"}``; an import's
rejected documents as ``{"id", "field", "message", "hint"}``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

#: The code of a document the model rejects (a bad import, a row broken by hand in the table).
RULE_INVALID = "RULE_INVALID"
#: What a finding's document is: a rule (the default) or a destination.
RULE, DESTINATION = "rule", "destination"


@dataclass(frozen=True)
class Finding:
    """``code`` is stable (see docs/findings.md); ``line``/``col`` point into the SQL when known (1-based);
    ``rule_id`` names the document when the finding travels without it (an import's rejected rule), ``kind``
    says what that document is (``rule`` or ``destination``)."""

    code: str
    field: str
    message: str
    hint: str
    line: int | None = None
    col: int | None = None
    rule_id: str | None = None
    kind: str = RULE

    @classmethod
    def rejected(cls, rule_id: str | None, field: str, message: str, hint: str) -> Finding:
        """A document the model rejects: names the rule, the field and the fix."""
        return cls(RULE_INVALID, field, message, hint, rule_id=rule_id)

    def without_rule(self) -> Finding:
        """The same finding once it sits under its rule's verdict."""
        return replace(self, rule_id=None)

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "field", "message", "hint", "line", "col"}``."""
        return {
            "code": self.code,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
            "line": self.line,
            "col": self.col,
        }

    def to_problem_dict(self) -> dict[str, str | None]:
        """``{"id", "field", "message", "hint"}``: a rejected document in ``rules import --json``."""
        return {"id": self.rule_id, "field": self.field, "message": self.message, "hint": self.hint}

    def __str__(self) -> str:
        return f"{self.kind} {self.rule_id or '<no id>'}: {self.field}: {self.message} (fix: {self.hint})"
