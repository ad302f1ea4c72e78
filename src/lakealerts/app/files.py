"""Rule and destination files in and out: YAML or JSON, one mapping or a list of mappings.

Reading is strict where ``yaml.safe_load`` is silent or crashes: a key given twice in one mapping, nesting deeper
than ``MAX_DEPTH`` (100,000 brackets would exhaust the stack), aliases that expand to millions of values or to
themselves, and integers or dates that cannot be built (a 5,000-digit number) are a ``UsageError`` naming the file,
the line, the key and the rule — never a traceback, and nothing of the file is stored.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import yaml
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lakealerts.errors import UsageError
from lakealerts.values import printable, shown
from lakealerts.yaml_keys import first_duplicate

_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_DEPTH = 64  # levels of nesting; rule and destination documents need four
MAX_VALUES = 5_000_000  # YAML nodes once aliases are expanded ("billion laughs")
_ID_KEYS = {"alert_id": "rule", "destination_id": "destination"}


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
        loaded = _load(text)
    except _RefusedError as refused:
        context = f" ({', '.join(refused.context)})" if refused.context else ""
        raise UsageError(f"{path}{_where(refused.mark)}{context}: {refused.message}", hint=refused.hint) from None
    except yaml.YAMLError as exc:
        where = _where(getattr(exc, "problem_mark", None))
        raise UsageError(f"{path} is not valid YAML/JSON{where}", hint="fix the syntax and import again") from exc
    except RecursionError:  # belt and braces: the depth limit should have stopped it first
        raise UsageError(f"{path} is nested too deeply", hint=_DEPTH_HINT) from None
    if loaded is None:
        return []
    if isinstance(loaded, dict):
        return [loaded]
    if isinstance(loaded, list):
        return loaded
    raise UsageError(f"{path} holds a {type(loaded).__name__}", hint="write one mapping or a list of mappings")


_DEPTH_HINT = f"rule and destination documents are a few levels deep; nest at most {MAX_DEPTH} levels"


def _where(mark: Mark | None) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


class _RefusedError(Exception):
    """Something in the file that the strict loader refuses: what, where, and the fix."""

    def __init__(self, message: str, mark: Mark | None, hint: str, context: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message, self.mark, self.hint = message, mark, hint
        self.context = list(context)  # e.g. ["rule R-1", "key 'owner'"]


def _load(text: str) -> Any:
    """``yaml.safe_load(text)`` with the checks of ``_StrictLoader``."""
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _measure(root)
        loader.owners = _owners(root)
        return loader.construct_document(root)
    finally:
        loader.dispose()


class _StrictLoader(yaml.SafeLoader):
    """``SafeLoader`` that stops at ``MAX_DEPTH``, refuses duplicate keys, and names the key, line and rule of a
    value that cannot be built."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.owners: dict[int, str] = {}  # id(node) -> "rule R-1": the document a node belongs to

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        """Compose one node, refusing nesting deeper than ``MAX_DEPTH`` before the stack runs out."""
        if self.depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise _RefusedError(f"values are nested more than {MAX_DEPTH} levels deep", mark, _DEPTH_HINT)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        """Build one value; one that Python cannot build (a 5,000-digit int, 2025-13-45) is refused, not raised."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            raise _RefusedError(self._unbuildable(node, exc), node.start_mark, _VALUE_HINT, self._in(node)) from None

    def construct_scalar(self, node: Node) -> Any:
        """A scalar's text; a character beyond the BMP escaped as a UTF-16 pair (``"\\ud83d\\udcb8"``, how JSON
        writers escape an emoji) is joined into that one character, as a JSON reader would (YAML keeps two
        lone surrogates, which no string may hold); a lone surrogate stays and is refused by the model."""
        value = super().construct_scalar(node)  # type: ignore[arg-type]
        if isinstance(value, str) and _SURROGATE.search(value):
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
        return value

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping whose keys are unique (YAML would silently keep the last); a bad value names its key."""
        if not isinstance(node, MappingNode):
            return super().construct_mapping(node, deep=deep)
        self._refuse_duplicates(node)
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                raise _RefusedError("a key is a list or mapping", key_node.start_mark, "write keys as plain names")
            try:
                mapping[key] = self.construct_object(value_node, deep=deep)
            except _RefusedError as refused:
                if isinstance(value_node, ScalarNode):
                    refused.context.append(f"key {shown(key)}")
                raise
        return mapping

    def _refuse_duplicates(self, node: MappingNode) -> None:
        duplicate = first_duplicate(self, node)
        if duplicate is not None:
            key, first, second = duplicate
            raise _RefusedError(
                f"key {shown(key)} appears twice (first at line {first.line + 1})",
                second,
                "remove one of them: YAML would silently keep only the last",
                self._in(node),
            )

    def _unbuildable(self, node: Node, exc: Exception) -> str:
        text = node.value if isinstance(node, ScalarNode) else ""
        digits = sum(char.isdigit() for char in text)
        if node.tag.endswith(":int") and digits > 20:
            return f"a number with {digits} digits is too long"
        return f"{shown(text)} cannot be read as a {node.tag.rsplit(':', 1)[-1]}: {exc}"

    def _in(self, node: Node) -> list[str]:
        owner = self.owners.get(id(node))
        return [owner] if owner else []


_VALUE_HINT = "write numbers with at most a few dozen digits and dates as YYYY-MM-DD; quote a value meant as text"


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [item for pair in node.value for item in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _measure(root: Node) -> None:
    """Refuse aliases that refer to themselves, expand past ``MAX_VALUES`` values, or nest past ``MAX_DEPTH``."""
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    in_progress: set[int] = set()  # the current path: a node met again on it is a cycle
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            children = _children(node)
            size[key] = 1 + sum(size[id(child)] for child in children)
            height[key] = 1 + max((height[id(child)] for child in children), default=0)
            in_progress.discard(key)
            if size[key] > MAX_VALUES:
                hint = "write the values out, or use fewer aliases (*name) of aliases"
                raise _RefusedError(f"aliases expand to more than {MAX_VALUES:,} values", node.start_mark, hint)
            if height[key] > MAX_DEPTH:
                message = f"values are nested more than {MAX_DEPTH} levels deep (through aliases)"
                raise _RefusedError(message, node.start_mark, _DEPTH_HINT)
        elif key in in_progress:
            raise _RefusedError("an alias (*name) refers to a value that contains it", node.start_mark, _CYCLE_HINT)
        elif key not in size:
            in_progress.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


_CYCLE_HINT = "an alias may only repeat a value defined before it, outside itself"


def _owners(root: Node) -> dict[int, str]:
    """Which document (``rule <alert_id>`` / ``destination <destination_id>``) each node belongs to."""
    documents = [root] if isinstance(root, MappingNode) else _children(root) if isinstance(root, SequenceNode) else []
    owners: dict[int, str] = {}
    for document in documents:
        label = _label(document)
        if label is None:
            continue
        stack = [document]
        while stack:
            node = stack.pop()
            if id(node) not in owners:
                owners[id(node)] = label
                stack.extend(_children(node))
    return owners


def _label(document: Node) -> str | None:
    if not isinstance(document, MappingNode):
        return None
    for key_node, value_node in document.value:
        kind = _ID_KEYS.get(key_node.value) if isinstance(key_node, ScalarNode) else None
        if kind and isinstance(value_node, ScalarNode):
            return f"{kind} {printable(value_node.value)}"
    return None


#: Plain scalars YAML 1.2 (core schema, and the Go reader's extras: ``0b``, ``_`` in numbers) reads as a number,
#: a boolean or null; PyYAML's own YAML 1.1 check quotes only some of them (not ``1e3``, ``0o17``). A bundle is
#: read by the Databricks CLI's YAML 1.2 reader, our files by PyYAML: quoted, both read the same string.
_NOT_A_STRING_IN_YAML_12 = re.compile(
    r"""[-+]?(?:[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+)"""
    r"""|[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"""
    r"""|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"""
    r"""|true|True|TRUE|false|False|FALSE|null|Null|NULL|~"""
    r"""|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF"""
)


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings (SQL, templates) as ``|`` blocks so exported files stay readable, and quotes the
    strings any YAML reader might take for another type."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    style = "'" if _NOT_A_STRING_IN_YAML_12.fullmatch(value) else None
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
