"""The ``*.test.yaml`` file of alert unit tests (DESIGN §11), as pydantic models (pure: text in, models out).

Every mapping forbids unknown keys. A file that is not valid YAML or does not fit the models raises
:class:`TestFileError` naming the file and line: the YAML node marks are kept while loading, and a pydantic
error's location is looked up among them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lakealerts.documents import unknown_key_hint
from lakealerts.errors import UsageError

State = Literal["UNKNOWN", "OK", "TRIGGERED", "ERROR"]
NodePath = tuple[str | int, ...]


class TestFileError(UsageError):
    """A test file that cannot be read or does not fit the format: ``file:line: what`` (exit 2)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FixtureSpec(_Strict):
    """A table's stand-in: Databricks column types and rows (``rows: []`` is an empty table) or a CSV file."""

    columns: dict[str, str] = Field(min_length=1)
    rows: list[dict[str, Any]] = Field(default_factory=list)
    csv: str | None = None

    @model_validator(mode="after")
    def _rows_fit_columns(self) -> FixtureSpec:
        if self.csv is not None and self.rows:
            raise ValueError("give rows or csv, not both")
        for index, row in enumerate(self.rows):
            unknown = sorted(set(row) - set(self.columns))
            if unknown:
                raise ValueError(f"row {index + 1}: column {unknown[0]!r} is not in columns")
        return self


class InitialState(_Strict):
    """Where a test starts instead of UNKNOWN."""

    state: State
    last_notified_at: datetime | None = None
    last_triggered_at: datetime | None = None
    last_evaluated_at: datetime | None = None


class NotificationExpectation(_Strict):
    """One expected message; only the keys given are compared."""

    channel: str | None = None
    type: str | None = None
    to: list[str] | None = None
    subject: str | None = None
    subject_contains: str | None = None
    body_contains: list[str] | None = None
    payload: dict[str, Any] | None = None
    action: Literal["trigger", "ok", "resolve"] | None = None

    @field_validator("body_contains", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Expectation(_Strict):
    """The evaluation's state, value (within ``tolerance`` for numbers) and error text; keys compared if given."""

    state: State | None = None
    value: Any = None
    error_contains: str | None = None
    tolerance: float | None = Field(default=None, ge=0)  # ``value: null`` is compared: see model_fields_set


class Evaluation(_Strict):
    """One tick: ``at`` (omitted: the rule's next fire time after the previous tick) and what it must give."""

    at: datetime | None = None
    expect: Expectation | None = None
    expect_notifications: list[NotificationExpectation] | None = None

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class AlertTest(_Strict):
    """One test: a rule, optional overrides and start state, and its ticks."""

    name: str = Field(min_length=1)
    rule: str = Field(min_length=1)
    rule_overrides: dict[str, Any] = Field(default_factory=dict)
    initial_state: InitialState | None = None
    fixtures: dict[str, FixtureSpec] = Field(default_factory=dict)
    evaluations: list[Evaluation] = Field(min_length=1)

    @model_validator(mode="after")
    def _first_tick_has_a_time(self) -> AlertTest:
        if self.evaluations[0].at is None and (
            self.initial_state is None or self.initial_state.last_evaluated_at is None
        ):
            raise ValueError("the first evaluation needs `at` (later ones default to the rule's next fire time)")
        return self


class RoutingExpect(_Strict):
    """What every selected rule's channels must satisfy."""

    any_destination_type: list[str] | None = None
    resolvable: bool | None = None
    channels_include: list[str] | None = None
    exactly: list[str] | None = None


class RoutingCheck(_Strict):
    """A check over every rule of the file's rule set whose fields equal ``select``'s."""

    name: str = Field(min_length=1)
    select: dict[str, Any] = Field(default_factory=dict)
    expect: RoutingExpect


class TestFile(_Strict):
    """A whole ``*.test.yaml``."""

    rules: list[str] = Field(min_length=1)
    catalog: str | None = None
    schema_name: Annotated[str | None, Field(alias="schema")] = None
    vars: dict[str, str | int | float | bool] = Field(default_factory=dict)
    session_timezone: str = "UTC"
    destinations: list[dict[str, Any]] = Field(default_factory=list)
    fixtures: dict[str, FixtureSpec] = Field(default_factory=dict)
    tests: list[AlertTest] = Field(default_factory=list)
    routing: list[RoutingCheck] = Field(default_factory=list)

    @field_validator("session_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as 'UTC'") from None
        return value


def parse_test_file(text: str, label: str) -> tuple[TestFile, dict[NodePath, int]]:
    """The file's models and the line (1-based) of every node by its path; TestFileError ``label:line: …``."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise TestFileError(
            f"{label}{where}: not valid YAML ({getattr(error, 'problem', error)})", hint="fix the syntax"
        ) from None
    lines: dict[NodePath, int] = {}
    twice: list[tuple[str, int]] = []
    if root is not None:
        _index(root, (), lines, twice)
    if twice:  # YAML keeps the last value silently: a test that checks less than it says
        key, line = twice[0]
        raise TestFileError(f"{label}:{line}: key {key!r} is given twice in one mapping", hint="keep one of them")
    if not isinstance(data, dict):
        raise TestFileError(
            f"{label}:1: a test file is a mapping with `rules` and `tests`",
            hint="see the README, section Testing alerts, or write a starter: `lakealerts test --init RULE_ID`",
        )
    try:
        return TestFile.model_validate(data), lines
    except ValidationError as error:
        problems = error.errors()
        first = next((p for p in problems if p["type"] == "extra_forbidden"), problems[0])  # a typo explains the rest
        loc = tuple(first["loc"])
        path = ".".join(str(part) for part in loc) or "<file>"
        if first["type"] == "extra_forbidden" and loc and isinstance(loc[-1], str):
            key, model = loc[-1], _model_at(loc)
            given = set(_mapping_at(data, loc[:-1]))
            raise TestFileError(
                f"{label}:{line_of(lines, loc)}: {path}: unknown key {key!r}", hint=unknown_key_hint(key, model, given)
            ) from None
        raise TestFileError(
            f"{label}:{line_of(lines, loc)}: {path}: {first['msg']}", hint="fix the key or value named"
        ) from None


def _model_at(loc: NodePath) -> type[BaseModel]:
    """The model whose mapping holds the last key of ``loc`` (list indexes and mapping keys walked through)."""
    model: type[BaseModel] = TestFile
    keyed = False  # the next part is a key of a mapping of models (fixtures: {name: …}), not a field
    for part in loc[:-1]:
        if isinstance(part, int) or keyed:
            keyed = False
            continue
        field = model.model_fields.get(part)
        if field is None:
            return model
        inner, keyed = _inner_model(field.annotation)
        if inner is None:
            return model
        model = inner
    return model


def _inner_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model inside ``list[M]``, ``dict[str, M]``, ``M | None`` …, and whether a mapping's key comes first."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    keyed = get_origin(annotation) is dict
    for argument in get_args(annotation):
        inner, _ = _inner_model(argument)
        if inner is not None:
            return inner, keyed
    return None, False


def _mapping_at(data: Any, loc: NodePath) -> dict[str, Any]:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return {}
    return data if isinstance(data, dict) else {}


def line_of(lines: dict[NodePath, int], loc: NodePath) -> int:
    """The line of the deepest node on ``loc`` the file has (a missing key points at its parent)."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _index(node: Node, path: NodePath, lines: dict[NodePath, int], twice: list[tuple[str, int]]) -> None:
    """Record the line of every node (a key's line for its value) and every key given twice in one mapping."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                if key.value in seen and key.value != "<<":
                    twice.append((key.value, key.start_mark.line + 1))
                seen.add(key.value)
                _index(value, (*path, key.value), lines, twice)
                lines[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _index(item, (*path, index), lines, twice)
