"""Every finding code the code can produce is documented in docs/findings.md, and nothing documented is stale."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).parent.parent.parent
_PREFIXES = "SQL|TEMPLATE|THRESHOLD|AGGREGATION|CHANNEL|DESTINATION|CRON|TIMEZONE|SCHEDULE|DISPLAY|RULE|ENGINE"
_CODE = re.compile(rf'"((?:{_PREFIXES})_[A-Z_]+)"')


def test_every_code_is_documented() -> None:
    produced = {
        code for path in (ROOT / "src" / "lakealerts").rglob("*.py") for code in _CODE.findall(path.read_text())
    }
    documented = set(re.findall(r"`([A-Z]+_[A-Z_]+)`", (ROOT / "docs" / "findings.md").read_text()))
    assert len(produced) >= 20
    assert produced - documented == set()
    assert {c for c in documented if c.split("_")[0] in {"SQL", "ENGINE", "TEMPLATE"}} <= produced
