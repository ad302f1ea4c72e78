"""Keys given twice in one YAML mapping: PyYAML silently keeps the last value, so every strict reader of
lakealerts (rule and destination files, the Alert Center's "Edit as YAML") refuses them. Pure (PyYAML only)."""

from __future__ import annotations

from typing import Any

from yaml.constructor import BaseConstructor
from yaml.error import Mark
from yaml.nodes import MappingNode, ScalarNode

MERGE_TAG = "tag:yaml.org,2002:merge"


def first_duplicate(constructor: BaseConstructor, node: MappingNode) -> tuple[Any, Mark, Mark] | None:
    """The first key of ``node`` given twice, with the marks of its first and second place; merge keys (``<<``)
    and keys that are lists or mappings are not compared."""
    seen: dict[Any, Mark] = {}
    for key_node, _value in node.value:
        if key_node.tag == MERGE_TAG or not isinstance(key_node, ScalarNode):
            continue
        key = constructor.construct_object(key_node, deep=True)
        if key in seen:
            return key, seen[key], key_node.start_mark
        seen[key] = key_node.start_mark
    return None
