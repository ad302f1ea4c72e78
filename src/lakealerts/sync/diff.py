"""What differs between two alerts, leaf by leaf (DESIGN §10.2): a diff is a tuple of frozen edits, each a
path in the SDK's ``as_dict()`` shape (after the planner's normalisation) with its value before and after —
rendered as text by the CLI and as JSON by every other reader alike. Pure.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lakealerts.values import one_line, terminal_text

_LONG_TEXT = 60  # a text this long, or with a line break, is shown as a unified diff


@dataclass(frozen=True)
class Change:
    """One leaf that differs: ``path`` like ``evaluation.threshold.value.double_value``; ``None`` is absent."""

    path: str
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        """``{"path", "before", "after"}``."""
        return {"path": self.path, "before": self.before, "after": self.after}

    def to_text(self) -> list[str]:
        """``path: before → after``, or for long text a unified diff under the path.

        Either side may come from the workspace: the diff's lines are the text's line feeds, and every other
        control character in them (ESC, CR, a lone vertical tab …) is shown escaped, ESC as ``\\x1b``."""
        if _is_long(self.before) or _is_long(self.after):
            lines = difflib.unified_diff(_lines(self.before), _lines(self.after), "before", "after", lineterm="")
            return [f"{one_line(self.path)}:", *(f"    {line}" for line in lines)]
        return [f"{one_line(self.path)}: {_show(self.before)} → {_show(self.after)}"]


def changes(before: Mapping[str, Any], after: Mapping[str, Any], prefix: str = "") -> tuple[Change, ...]:
    """Every leaf path whose value differs between two nested mappings, in sorted order; lists are leaves."""
    found: list[Change] = []
    for key in sorted(set(before) | set(after)):
        path = f"{prefix}{key}"
        old, new = before.get(key), after.get(key)
        if isinstance(old, Mapping) or isinstance(new, Mapping):
            found += changes(_mapping(old), _mapping(new), path + ".")
        elif old != new:
            found.append(Change(path, old, new))
    return tuple(found)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _lines(value: Any) -> list[str]:
    """The text's lines as ``splitlines`` has them, but broken only at line feeds (CR LF counts as one); any other
    control character stays inside its line, shown escaped (``terminal_text``: tabs kept)."""
    lines = re.split(r"\r?\n", str(value or ""))
    return [terminal_text(line) for line in (lines[:-1] if lines[-1] == "" else lines)]


def _is_long(value: Any) -> bool:
    return isinstance(value, str) and ("\n" in value or len(value) > _LONG_TEXT)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):  # quoted, in its own characters ("über", "💸"); controls shown escaped as elsewhere
        return '"' + one_line(value.replace("\\", "\\\\").replace('"', '\\"')) + '"'
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    if isinstance(value, list | dict):
        return one_line(json.dumps(value, default=str, sort_keys=True, ensure_ascii=False))
    return one_line(str(value))
