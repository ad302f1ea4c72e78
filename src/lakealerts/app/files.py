"""Rule and destination files in and out: YAML or JSON, one mapping or a list of mappings."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from lakealerts.errors import UsageError


def read_documents(path: Path) -> list[Any]:
    """The documents in ``path`` (YAML or JSON); UsageError if it cannot be read or is not mappings."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}", hint="check the path and permissions") from exc
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text", hint="save the file as UTF-8 YAML or JSON") from exc
    try:
        # YAML 1.1 is a superset of JSON for everything our files hold, so one loader reads both.
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise UsageError(f"{path} is not valid YAML/JSON{where}", hint="fix the syntax and import again") from exc
    if loaded is None:
        return []
    if isinstance(loaded, dict):
        return [loaded]
    if isinstance(loaded, list):
        return loaded
    raise UsageError(f"{path} holds a {type(loaded).__name__}", hint="write one mapping or a list of mappings")


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings (SQL, templates) as ``|`` blocks so exported files stay readable."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_representer)


def dump_yaml(documents: Sequence[dict[str, Any]]) -> str:
    """YAML text of ``documents`` (a list) in key order, multi-line strings as blocks."""
    return dump_yaml_document(list(documents))


def dump_yaml_document(document: Any) -> str:
    """YAML text of one document (a bundle's mapping, say) in key order, multi-line strings as blocks."""
    return yaml.dump(document, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=120)


def dump_json(value: Any) -> str:
    """Indented, strict JSON; datetimes and other values as ISO/str; NaN and infinities (not JSON) as null."""
    return json.dumps(_finite(value), indent=2, default=_json_default, allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
