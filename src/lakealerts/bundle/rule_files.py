"""The rule and destination files shipped in a bundle, read as documents that know their file and line.

The same files ``lakealerts rules import`` / ``destinations import`` read (YAML or JSON, one mapping or a list;
``*.yaml``, ``*.yml``, ``*.json`` in name order), through the same strict reader
(:func:`lakealerts.app.files.read_documents`). A file that cannot be read is reported, never raised, so the
other files still load.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode

from lakealerts.app.files import read_documents
from lakealerts.errors import UsageError

#: What a rule or destination file is called.
FILE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class ShippedDocument:
    """One document of a shipped file: ``file`` as written relative to the bundle root, ``line`` 1-based
    (None when unknown)."""

    file: str
    line: int | None
    content: Any


@dataclass(frozen=True)
class UnreadableFile:
    """A file (or folder) that could not be read, and why (the reader's message and fix)."""

    file: str
    message: str
    hint: str


@dataclass
class ShippedFolder:
    """Every document of a folder's files, in file and document order, and the files that could not be read."""

    documents: list[ShippedDocument]
    unreadable: list[UnreadableFile]


def read_folder(root: Path, folder: str, *, required: bool) -> ShippedFolder:
    """The documents of ``root / folder``; a missing folder is an unreadable entry when ``required``, else empty."""
    path = root / folder
    if not path.is_dir():
        if not required:
            return ShippedFolder([], [])
        missing = UnreadableFile(folder, f"folder {folder!r} not found in the bundle ({path})", _MISSING_HINT)
        return ShippedFolder([], [missing])
    found = ShippedFolder([], [])
    for file in sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FILE_SUFFIXES):
        shown_as = (Path(folder) / file.name).as_posix()
        try:
            documents = read_documents(file)
        except UsageError as problem:
            message = problem.message.replace(str(file), shown_as)  # the path as the bundle's author knows it
            found.unreadable.append(UnreadableFile(shown_as, message, problem.hint or "fix the file"))
            continue
        lines = _document_lines(file)
        for index, content in enumerate(documents):
            found.documents.append(ShippedDocument(shown_as, lines[index] if index < len(lines) else None, content))
    return found


_MISSING_HINT = (
    "create the folder next to databricks.yml, or point the bundle variable at yours (see docs/bundle.md, "
    "'Bundle-native alerts')"
)


def _document_lines(file: Path) -> list[int]:
    """The 1-based line where each document of ``file`` starts (empty if the file cannot be composed again)."""
    try:
        root = yaml.compose(file.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return []
    if isinstance(root, SequenceNode):
        return [node.start_mark.line + 1 for node in root.value]
    if isinstance(root, MappingNode):
        return [root.start_mark.line + 1]
    return []
