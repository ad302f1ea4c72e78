"""A finding: one problem a check found in one rule, in the JSON shape of DESIGN §7.

Checks return findings; they never raise for a bad rule, so one bad rule never stops the others.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    """``code`` is stable (see docs/findings.md); ``line``/``col`` point into the SQL when known (1-based)."""

    code: str
    field: str
    message: str
    hint: str
    line: int | None = None
    col: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "field", "message", "hint", "line", "col"}``."""
        return asdict(self)
