""" "Edit as YAML": read one rule document from the editor's text, and place findings at their line.

Pure (PyYAML only): a syntax error is a finding at its line; a finding about a field points at that key's line,
and one inside the SQL (``line`` relative to the query) at the query's line in the text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import yaml

from lakealerts.findings import Finding
from lakealerts.yaml_keys import first_duplicate

MAX_TEXT = 256 * 1024
SQL_FIELD = "alert_query_template"


@dataclass(frozen=True)
class Loaded:
    """The document read from the text (None when it cannot be read) and why not."""

    document: dict[str, Any] | None
    findings: list[Finding]


#: The tags a rule's text may name explicitly: the plain JSON-like values (``!!str 5``); any other tag
#: (``!!binary``, ``!!set``, ``!!python/…``, ``!local``) is refused, and so is an implicit one the loader cannot build.
PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq"))
_REFUSED_TAGS = ("binary", "set", "omap", "pairs")


class _Refused(yaml.constructor.ConstructorError):
    """A readable text the editor still refuses; ``code`` and ``field`` become its finding."""

    def __init__(self, code: str, field: str, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.code = code
        self.field = field


class RuleLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last) and the non-plain tags."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """The mapping; ``_Refused`` at the second occurrence of a key."""
        duplicate = first_duplicate(self, node)
        if duplicate is not None:
            key, _first, second = duplicate
            raise _Refused("YAML_DUPLICATE_KEY", str(key), f"the key {key!r} is given twice", second)
        return super().construct_mapping(node, deep)

    def refuse_tag(self, node: yaml.Node) -> Any:
        """Any tag this loader does not build plain values for."""
        raise _Refused("YAML_TAG", "<document>", f"the tag {node.tag} is not accepted here", node.start_mark)


for _name in _REFUSED_TAGS:
    RuleLoader.add_constructor(f"tag:yaml.org,2002:{_name}", RuleLoader.refuse_tag)
RuleLoader.add_constructor(None, RuleLoader.refuse_tag)  # unknown tags (PyYAML's key for them: None)


def _refusal(text: str) -> Finding | None:
    """The first alias or non-plain tag of ``text`` (parse events only: nothing is built, no alias expanded)."""
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        mark = event.start_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        if isinstance(event, yaml.AliasEvent):
            return _finding("YAML_ALIAS", "<document>", "YAML aliases are not accepted here", "write the values out",
                            line, col)  # fmt: skip
        tag = getattr(event, "tag", None)
        if isinstance(event, yaml.NodeEvent) and tag not in (None, "!") and tag not in PLAIN_TAGS:
            return _finding("YAML_TAG", "<document>", f"the tag {tag} is not accepted here",
                            "write the value plainly, without a !tag", line, col)  # fmt: skip
    return None


def load_rule_text(text: str) -> Loaded:
    """One rule mapping from ``text``; aliases (no "billion laughs" through the editor), keys given twice and
    non-plain tags (``!!binary``, ``!!set``, ``!custom``…) are refused with a finding at their line."""
    if len(text) > MAX_TEXT:
        return Loaded(
            None, [_finding("TEXT_TOO_LARGE", "<document>", "the text is too large", "keep a rule under 256 KB")]
        )
    try:
        refused = _refusal(text)
        if refused is not None:
            return Loaded(None, [refused])
        document = yaml.load(text, Loader=RuleLoader)  # RuleLoader is a SafeLoader
    except _Refused as exc:
        mark = exc.problem_mark
        hint = "give each key once" if exc.code == "YAML_DUPLICATE_KEY" else "write the value plainly, without a !tag"
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
        return Loaded(None, [_finding(exc.code, exc.field, str(exc.problem), hint, line, col)])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        col = mark.column + 1 if mark is not None else None
        message = f"not valid YAML: {exc.problem or exc}"
        return Loaded(
            None, [_finding("YAML_SYNTAX", "<document>", message, "fix the syntax and save again", line, col)]
        )
    except yaml.YAMLError as exc:
        return Loaded(None, [_finding("YAML_SYNTAX", "<document>", f"not valid YAML: {exc}", "fix the syntax")])
    if not isinstance(document, dict):
        return Loaded(None, [_finding("RULE_INVALID", "<document>", "the text must be one mapping of column names",
                                      "write `key: value` lines, as shown when the editor opened")])  # fmt: skip
    return Loaded(document, [])


def key_lines(text: str) -> dict[str, tuple[int, int]]:
    """Each top-level key's line, and the line its value starts on (1-based); empty when unreadable."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    if not isinstance(root, yaml.MappingNode):
        return {}
    lines: dict[str, tuple[int, int]] = {}
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode):
            block = isinstance(value, yaml.ScalarNode) and value.style in ("|", ">")
            lines[str(key.value)] = (key.start_mark.line + 1, value.start_mark.line + 1 + (1 if block else 0))
    return lines


def placed(text: str, findings: list[Finding]) -> list[Finding]:
    """``findings`` with ``line`` pointing into ``text``: at the key of their field, or inside the SQL."""
    lines = key_lines(text)
    out = []
    for finding in findings:
        field = finding.field.split(".")[0].split("[")[0]
        where = lines.get(field)
        if finding.code.startswith("YAML") and finding.line is not None:
            out.append(finding)  # the reader's own place (a key given twice: its second line)
        elif where is None:
            out.append(finding if finding.code.startswith("YAML") else replace(finding, line=None, col=None))
        elif field == SQL_FIELD and finding.line is not None:
            out.append(replace(finding, line=where[1] + finding.line - 1))
        else:
            out.append(replace(finding, line=where[0], col=None))
    return out


def _finding(
    code: str, field: str, message: str, hint: str, line: int | None = None, col: int | None = None
) -> Finding:
    return Finding(code, field, message, hint, line, col)


@dataclass(frozen=True)
class ExcerptLine:
    """A line of the editor's text shown beside the findings (``number`` None: lines left out)."""

    number: int | None
    text: str
    messages: tuple[str, ...] = ()


def excerpt(text: str, findings: list[Finding], context: int = 2) -> list[ExcerptLine]:
    """The lines that hold findings, with ``context`` lines around each and a gap marker between runs."""
    lines = text.split("\n")
    messages: dict[int, list[str]] = {}
    for finding in findings:
        if finding.line is not None and 1 <= finding.line <= len(lines):
            messages.setdefault(finding.line, []).append(f"{finding.field}: {finding.message}")
    shown = sorted({n for line in messages for n in range(line - context, line + context + 1) if 1 <= n <= len(lines)})
    out: list[ExcerptLine] = []
    for index, number in enumerate(shown):
        if index and number != shown[index - 1] + 1:
            out.append(ExcerptLine(None, "…"))
        out.append(ExcerptLine(number, lines[number - 1], tuple(messages.get(number, ()))))
    return out
