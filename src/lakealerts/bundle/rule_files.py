"""The rule and destination files shipped in a bundle, read as documents that know their file and line.

The same files ``lakealerts rules import`` / ``destinations import`` read (YAML or JSON, one mapping or a list;
``*.yaml``, ``*.yml``, ``*.json`` directly in the folder, in name order — sub-folders are not read), through the
same strict reader (:func:`lakealerts.app.files.read_documents`). Only what lies inside the bundle root is read:
a folder variable that points elsewhere (``..``, an absolute path, a symbolic link leading out) or at the root
itself, and a file that links outside, are refused. A file that cannot be read — or holds nothing — is
reported, never raised, so the other files still load.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from lakealerts.app.files import read_documents
from lakealerts.errors import UsageError

#: What a rule or destination file is called.
FILE_SUFFIXES = (".yaml", ".yml", ".json")
_AT_LINE = re.compile(r" at line (\d+), column (\d+)")


@dataclass(frozen=True)
class ShippedDocument:
    """One document of a shipped file: ``file`` as written relative to the bundle root, ``line`` 1-based
    (None when unknown), and the line of each of its top-level keys."""

    file: str
    line: int | None
    content: Any
    field_lines: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class UnreadableFile:
    """A file (or folder) that could not be read, and why (the reader's message and fix, and where when known)."""

    file: str
    message: str
    hint: str
    line: int | None = None
    column: int | None = None


@dataclass
class ShippedFolder:
    """Every document of a folder's files, in file and document order, and the files that could not be read."""

    documents: list[ShippedDocument]
    unreadable: list[UnreadableFile]


def read_folder(
    root: Path, folder: str, *, required: bool, variable: str = "lakealerts_rules_dir", kind: str = "rules"
) -> ShippedFolder:
    """The documents of the files directly in ``root / folder`` (``folder`` is the bundle variable ``variable``'s
    value; ``kind`` is what its files hold, "rules" or "destinations"). A missing folder is an unreadable entry
    when ``required``, else empty; a folder outside ``root`` (or ``root`` itself) is always one."""
    root = root.resolve()
    path = root / folder
    outside = _outside_problem(root, folder, variable)
    if outside is not None:
        return ShippedFolder([], [outside])
    if not path.is_dir():
        if not required:
            return ShippedFolder([], [])
        missing = UnreadableFile(folder, f"folder {folder!r} not found in the bundle ({path})", _MISSING_HINT)
        return ShippedFolder([], [missing])
    found = ShippedFolder([], [])
    for entry in sorted(p for p in path.iterdir() if p.suffix.lower() in FILE_SUFFIXES):
        shown_as = (Path(folder) / entry.name).as_posix()
        refused = _not_a_file(root, entry, shown_as)
        if refused is not None:
            found.unreadable.append(refused)
            continue
        try:
            documents = read_documents(entry)
        except UsageError as problem:
            message = problem.message.replace(str(entry), shown_as)  # the path as the bundle's author knows it
            where = _AT_LINE.search(message)
            line, column = (int(where.group(1)), int(where.group(2))) if where else (None, None)
            found.unreadable.append(UnreadableFile(shown_as, message, problem.hint or "fix the file", line, column))
            continue
        if not documents:
            found.unreadable.append(_empty(shown_as, kind))
            continue
        lines = _document_lines(entry)
        for index, content in enumerate(documents):
            line, keys = lines[index] if index < len(lines) else (None, {})
            found.documents.append(ShippedDocument(shown_as, line, content, keys))
    return found


_MISSING_HINT = (
    "create the folder next to databricks.yml, or point the bundle variable at yours (see docs/bundle.md, "
    "'Bundle-native alerts')"
)


def _outside_problem(root: Path, folder: str, variable: str) -> UnreadableFile | None:
    """The folder as an unreadable entry naming ``variable`` when it is not a folder inside the bundle root."""
    hint = (
        f"keep the files in a folder inside the bundle, next to databricks.yml, and set {variable} to its path "
        "relative to the bundle root (e.g. rules)"
    )
    if Path(folder).is_absolute():
        return UnreadableFile(folder, f"variable {variable} is the absolute path {folder!r}", hint)
    resolved = (root / folder).resolve()
    if resolved == root:
        message = f"variable {variable} is {folder!r}, the bundle root itself (databricks.yml would be read)"
        return UnreadableFile(folder, message, hint)
    if not resolved.is_relative_to(root):
        return UnreadableFile(folder, f"variable {variable} is {folder!r}, outside the bundle root ({resolved})", hint)
    return None


def _not_a_file(root: Path, entry: Path, shown_as: str) -> UnreadableFile | None:
    """Why ``entry`` cannot be read as a rule file: a dangling link, a link leading out of the bundle, or not a
    regular file (a folder, a FIFO, a device); None when it is a regular file inside the bundle."""
    try:
        target = entry.resolve(strict=True)
        mode = target.stat().st_mode
    except (OSError, RuntimeError):
        link = f" (a symbolic link to {os.readlink(entry)!r}, which does not exist)" if entry.is_symlink() else ""
        return UnreadableFile(shown_as, f"cannot read {shown_as}{link}", "remove the link, or point it at a file")
    if not target.is_relative_to(root):
        message = f"cannot read {shown_as}: it links to {target}, outside the bundle root"
        return UnreadableFile(shown_as, message, "copy the file into the bundle instead of linking to it")
    if not stat.S_ISREG(mode):
        what = "a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
        note = " (sub-folders are not read)" if stat.S_ISDIR(mode) else ""
        message = f"cannot read {shown_as}: it is {what}{note}"
        return UnreadableFile(shown_as, message, "rename it so that it does not end in .yaml, .yml or .json, or "
                              "make it a plain file")  # fmt: skip
    return None


def _empty(shown_as: str, kind: str) -> UnreadableFile:
    if kind == "rules":
        message = f"{shown_as} holds no rules"
        hint = "remove the file, or add rules — its alerts would be deleted by this deploy"
    else:
        message = f"{shown_as} holds no {kind}"
        hint = f"remove the file, or add {kind}"
    return UnreadableFile(shown_as, message, hint)


def _document_lines(file: Path) -> list[tuple[int, dict[str, int]]]:
    """The 1-based line where each document of ``file`` starts, and where each of its top-level keys is (empty
    if the file cannot be composed again)."""
    try:
        root = yaml.compose(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return []
    documents = root.value if isinstance(root, SequenceNode) else [root] if isinstance(root, MappingNode) else []
    return [(node.start_mark.line + 1, _key_lines(node)) for node in documents]


def _key_lines(node: Any) -> dict[str, int]:
    if not isinstance(node, MappingNode):
        return {}
    return {
        key.value: key.start_mark.line + 1 for key, _ in node.value if isinstance(key, ScalarNode)
    }  # fmt: skip
