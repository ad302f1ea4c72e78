"""The rule model: ``AlertRule`` and ``NotificationDestination``, with the value rules of DESIGN §3, §4 and §7.

Pure values, no I/O. Everything a user writes is validated with ``extra="forbid"`` so a misspelt key is an
error, never silently ignored. Enums are accepted in any case and stored upper-case. Hostile values (control
characters, thresholds that are not finite, secret references out of place) are refused before anything is stored.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from lakealerts import quartz
from lakealerts.secrets import MASK, masked, reference_problem
from lakealerts.values import (
    LINE_HINT,
    FieldError,
    control_problem,
    shown,
    valid_double,
    valid_line,
    valid_text,
)

# Field types that refuse hostile text where it enters (lakealerts.values says why and how).
Line = Annotated[str, AfterValidator(valid_line)]  # names, ids, subjects, tags: one line, no control character
Text = Annotated[str, AfterValidator(valid_text)]  # SQL, descriptions, bodies: lines, still no NUL or control byte
FiniteDouble = Annotated[float | None, BeforeValidator(valid_double)]  # no NaN, no infinity

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # a channel that is an e-mail address
# A service principal's application id, as ``run_as`` names it (Databricks' AlertV2RunAs.service_principal_name).
APPLICATION_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DESTINATION_ID = re.compile(ID_PATTERN)
MAX_RETRIGGER_SECONDS = 31_536_000  # one year


# A rule's SQL is parsed and translated before its query timeout starts: its size is bounded instead.
MAX_QUERY_LENGTH = 100_000


class Severity(StrEnum):
    """How urgent an alert is; also the display-name prefix on Databricks."""

    CRITICAL = "CRITICAL"
    WARNING = "WARNING"
    INFO = "INFO"


class ValueType(StrEnum):
    """Which typed threshold column holds the value."""

    DOUBLE = "DOUBLE"
    STRING = "STRING"
    BOOLEAN = "BOOLEAN"


class EmptyResultState(StrEnum):
    """The state an alert takes when its query returns no rows."""

    OK = "OK"
    TRIGGERED = "TRIGGERED"
    ERROR = "ERROR"
    UNKNOWN = "UNKNOWN"


class Aggregation(StrEnum):
    """How the threshold column is reduced; FIRST (or none) means the first row's value."""

    FIRST = "FIRST"
    SUM = "SUM"
    COUNT = "COUNT"
    COUNT_DISTINCT = "COUNT_DISTINCT"
    AVG = "AVG"
    MEDIAN = "MEDIAN"
    MIN = "MIN"
    MAX = "MAX"
    STDDEV = "STDDEV"


class PauseStatus(StrEnum):
    """Whether the schedule runs."""

    UNPAUSED = "UNPAUSED"
    PAUSED = "PAUSED"


class DestinationType(StrEnum):
    """Notification destination kinds, as Databricks names them (WEBHOOK is its generic_webhook)."""

    EMAIL = "EMAIL"
    SLACK = "SLACK"
    MICROSOFT_TEAMS = "MICROSOFT_TEAMS"
    WEBHOOK = "WEBHOOK"
    PAGERDUTY = "PAGERDUTY"


# Operator spellings we accept -> the SDK's comparison operator name.
OPERATORS: dict[str, str] = {
    ">": "GREATER_THAN",
    ">=": "GREATER_THAN_OR_EQUAL",
    "<": "LESS_THAN",
    "<=": "LESS_THAN_OR_EQUAL",
    "=": "EQUAL",
    "==": "EQUAL",
    "!=": "NOT_EQUAL",
    "<>": "NOT_EQUAL",
    "IS_NULL": "IS_NULL",
    "IS_NOT_NULL": "IS_NOT_NULL",
}
_OPERATOR_WORDS = {word: symbol for symbol, word in reversed(list(OPERATORS.items()))}
NULL_OPERATORS = frozenset({"IS_NULL", "IS_NOT_NULL"})
BOOLEAN_OPERATORS = frozenset({"=", "==", "!=", "<>", "IS_NULL", "IS_NOT_NULL"})


def _upper(value: Any) -> Any:
    """Enums are case-insensitive on input and stored upper-case."""
    return value.strip().upper() if isinstance(value, str) else value


def _operator(value: Any) -> Any:
    """Accept the symbols and the SDK's words (``GREATER_THAN``); store symbols, or the IS_* words."""
    if not isinstance(value, str):
        return value
    text = value.strip().upper().replace(" ", "_")
    if text in OPERATORS:
        return text
    if text in _OPERATOR_WORDS:
        return _OPERATOR_WORDS[text]
    raise ValueError(f"unknown operator {value!r}; use one of {', '.join(OPERATORS)}")


def _aggregation(value: Any) -> Any:
    """NULL, '' and NONE mean the first row, like FIRST."""
    if value is None or (isinstance(value, str) and value.strip().upper() in ("", "NONE")):
        return None
    return _upper(value)


UpperSeverity = Annotated[Severity, BeforeValidator(_upper)]
UpperValueType = Annotated[ValueType, BeforeValidator(_upper)]
UpperEmptyState = Annotated[EmptyResultState, BeforeValidator(_upper)]
UpperPause = Annotated[PauseStatus, BeforeValidator(_upper)]
UpperDestinationType = Annotated[DestinationType, BeforeValidator(_upper)]
Operator = Annotated[str, BeforeValidator(_operator)]
OptionalAggregation = Annotated[Aggregation | None, BeforeValidator(_aggregation)]
Identifier = Annotated[str, Field(pattern=ID_PATTERN)]


class _UserModel(BaseModel):
    """Base for documents users write: unknown keys are errors, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, validate_assignment=False)


class AlertRule(_UserModel):
    """One alert rule: a row of ``alert_configurations`` without its audit and sync columns."""

    alert_id: Identifier
    alert_name: Line = Field(min_length=1, max_length=255)
    alert_description: Text | None = None
    agent_domain: Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")]
    severity: UpperSeverity
    alert_query_template: Text = Field(min_length=1, max_length=MAX_QUERY_LENGTH)
    query_source: Annotated[str, BeforeValidator(_upper), Field(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")] = "CUSTOM"
    source_artifact_name: Line | None = None
    threshold_column: Line = Field(min_length=1, max_length=255)
    threshold_operator: Operator
    threshold_value_type: UpperValueType
    threshold_value_double: FiniteDouble = None
    threshold_value_string: Line | None = None
    threshold_value_bool: bool | None = None
    empty_result_state: UpperEmptyState = EmptyResultState.OK
    aggregation_type: OptionalAggregation = None
    schedule_cron: Line
    schedule_timezone: Line = "UTC"
    pause_status: UpperPause = PauseStatus.UNPAUSED
    is_enabled: bool = True
    notification_channels: list[Line] = Field(default_factory=list)
    notify_on_ok: bool = False
    retrigger_seconds: int | None = Field(default=None, ge=0, le=MAX_RETRIGGER_SECONDS)
    use_custom_template: bool = False
    custom_subject_template: Line | None = None  # becomes an e-mail Subject header
    custom_body_template: Text | None = None
    owner: Line = Field(min_length=1)
    run_as: Line | None = None  # who the deployed alert runs as: a user's e-mail or a service principal's app id
    tags: dict[Line, Line] = Field(default_factory=dict)

    @field_validator("run_as")
    @classmethod
    def _valid_run_as(cls, value: str | None) -> str | None:
        return None if value is None or value == "" else run_as_identity(value)[1]

    @field_validator("schedule_cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        quartz.parse(value)
        return value

    @field_validator("schedule_timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        return quartz.validate_timezone(value)

    @field_validator("notification_channels")
    @classmethod
    def _valid_channels(cls, channels: list[str]) -> list[str]:
        for channel in channels:
            if reference_problem(channel, secret_field=False):
                raise FieldError(
                    "notification_channels",
                    "a channel cannot hold a secret reference (${env:…} or {{secrets/…}})",
                    "name an e-mail address or a destination_id; keep secrets in the destination's config_json",
                )
            if not (EMAIL.fullmatch(channel) or _DESTINATION_ID.fullmatch(channel)):
                raise FieldError(
                    "notification_channels",
                    f"channel {channel!r} is neither an e-mail address nor a destination_id",
                    "use an address like ops@example.com or the destination_id of a destination",
                )
        return channels

    @model_validator(mode="after")
    def _typed_threshold(self) -> Self:
        """The value matching ``threshold_value_type`` is present, the others are not (DESIGN §4)."""
        values = {
            ValueType.DOUBLE: self.threshold_value_double,
            ValueType.STRING: self.threshold_value_string,
            ValueType.BOOLEAN: self.threshold_value_bool,
        }
        kind = self.threshold_value_type
        own = f"threshold_value_{_VALUE_SUFFIX[kind]}"
        given = [f"threshold_value_{_VALUE_SUFFIX[t]}" for t, v in values.items() if v is not None]
        if self.threshold_operator in NULL_OPERATORS:
            if given:
                raise FieldError(
                    given[0],
                    f"{self.threshold_operator} takes no threshold value",
                    f"remove {', '.join(given)}",
                )
            return self
        if values[kind] is None:
            raise FieldError(
                own,
                f"threshold_value_type {kind.value} needs a value in {own}",
                f"set {own}, or change threshold_value_type to match the value you gave",
            )
        others = [name for name in given if name != own]
        if others:
            raise FieldError(
                others[0],
                f"{others[0]} is set but threshold_value_type is {kind.value}",
                f"remove {', '.join(others)}; only {own} is read",
            )
        if kind is ValueType.BOOLEAN and self.threshold_operator not in BOOLEAN_OPERATORS:
            raise FieldError(
                "threshold_operator",
                f"a BOOLEAN threshold cannot use {self.threshold_operator!r}",
                "use =, !=, IS_NULL or IS_NOT_NULL with BOOLEAN thresholds",
            )
        return self

    @property
    def threshold_value(self) -> float | str | bool | None:
        """The typed threshold value (None for IS_NULL / IS_NOT_NULL)."""
        return {
            ValueType.DOUBLE: self.threshold_value_double,
            ValueType.STRING: self.threshold_value_string,
            ValueType.BOOLEAN: self.threshold_value_bool,
        }[self.threshold_value_type]

    @property
    def sdk_operator(self) -> str:
        """The comparison operator as the Databricks SDK names it."""
        return OPERATORS[self.threshold_operator]


def run_as_identity(value: str) -> tuple[str, str]:
    """Which ``AlertV2RunAs`` field ``value`` fills, and its value: ``("user_name", e-mail)`` for a user,
    ``("service_principal_name", application id)`` (lower-case) for a service principal.

    Raises :class:`FieldError` on ``run_as`` for anything else; an application id is a UUID, a display name
    is not accepted (Databricks would refuse it at deploy).
    """
    text = value.strip()
    if APPLICATION_ID.fullmatch(text):
        return "service_principal_name", text.lower()
    if EMAIL.fullmatch(text):
        return "user_name", text
    raise FieldError(
        "run_as",
        f"run_as {shown(value)} is neither a user's e-mail address nor a service principal's application id",
        "give a workspace user's e-mail (e.g. ops@example.com) or a service principal's application id, a UUID "
        "like 6f1c0a52-0d3e-4c8e-9a57-3b1f2f9c4d10 (the principal's page in the account or workspace settings)",
    )


_VALUE_SUFFIX = {ValueType.DOUBLE: "double", ValueType.STRING: "string", ValueType.BOOLEAN: "bool"}


class NotificationDestination(_UserModel):
    """One row of ``notification_destinations`` without its audit and sync columns."""

    destination_id: Identifier
    destination_name: Line = Field(min_length=1, max_length=255)
    destination_type: UpperDestinationType
    config_json: dict[str, Any]
    owner: Line = Field(min_length=1)
    is_enabled: bool = True
    tags: dict[Line, Line] = Field(default_factory=dict)

    @field_validator("config_json", mode="before")
    @classmethod
    def _parse_json_text(cls, value: Any) -> Any:
        # The table stores config_json as a JSON string; files may give a mapping or that string.
        if isinstance(value, str):
            try:
                return json.loads(value)
            except (ValueError, RecursionError) as exc:  # also 5,000-digit numbers and 100,000-deep nesting
                reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply or a number too long"
                raise FieldError(
                    "config_json",
                    f"config_json is not valid JSON: {reason}",
                    "write config_json as a mapping or a JSON object string",
                ) from None
        return value

    @model_validator(mode="after")
    def _config_fits_type(self) -> Self:
        required = DESTINATION_CONFIG_KEYS[self.destination_type]
        missing = [key for key in required[0] if not self.config_json.get(key)]
        unknown = sorted(set(self.config_json) - set(required[0]) - set(required[1]))
        kind = self.destination_type.value
        allowed = ", ".join(required[0] + required[1])
        if missing:
            raise FieldError(
                "config_json",
                f"{kind} config_json needs {', '.join(missing)}",
                f"give {kind} destinations the keys {allowed}",
            )
        if unknown:
            raise FieldError(
                "config_json",
                f"{kind} config_json has unknown keys {', '.join(unknown)}",
                f"{kind} destinations take only {allowed}",
            )
        if self.destination_type is DestinationType.EMAIL:
            addresses = self.config_json["addresses"]
            if not isinstance(addresses, list) or not all(isinstance(a, str) and EMAIL.match(a) for a in addresses):
                raise FieldError(
                    "config_json",
                    "EMAIL config_json.addresses must be a list of e-mail addresses",
                    'write e.g. {"addresses": ["ops@example.com"]}',
                )
        for key, value in self.config_json.items():
            for item in value if key == "addresses" else [value]:
                _check_config_value(key, item, key in SECRET_FIELDS[self.destination_type])
        return self

    def masked_config(self) -> dict[str, Any]:
        """``config_json`` as it may be printed: plain secrets as ``***``, references as written."""
        secret = SECRET_FIELDS[self.destination_type]
        return {key: masked(value) if key in secret else value for key, value in self.config_json.items()}


def _check_config_value(key: str, value: object, secret: bool) -> None:
    """One config value: text on one line, a reference only as a secret field's whole value, never the mask."""
    field_name = f"config_json.{key}"
    if not isinstance(value, str):
        raise FieldError(field_name, f"must be text, not {type(value).__name__}", "quote the value")
    problem = control_problem(value)
    if problem:
        raise FieldError(field_name, problem, LINE_HINT)
    reference = reference_problem(value, secret_field=secret)
    if reference:
        raise FieldError(field_name, reference[0], reference[1])
    if secret and value == MASK:
        raise FieldError(
            field_name,
            f"is {MASK}, the mask `destinations list` prints for a plain secret",
            "give the real value, or better a reference such as ${env:NAME}",
        )


# destination type -> (required config keys, optional config keys)
DESTINATION_CONFIG_KEYS: dict[DestinationType, tuple[tuple[str, ...], tuple[str, ...]]] = {
    DestinationType.EMAIL: (("addresses",), ()),
    DestinationType.SLACK: (("url",), ()),
    DestinationType.MICROSOFT_TEAMS: (("url",), ()),
    DestinationType.WEBHOOK: (("url",), ("username", "password")),
    DestinationType.PAGERDUTY: (("integration_key",), ()),
}
# Config fields Databricks treats as write-only secrets: the only places a secret reference may stand (DESIGN §3).
SECRET_FIELDS: dict[DestinationType, tuple[str, ...]] = {
    DestinationType.EMAIL: (),
    DestinationType.SLACK: ("url",),
    DestinationType.MICROSOFT_TEAMS: ("url",),
    DestinationType.WEBHOOK: ("url", "username", "password"),
    DestinationType.PAGERDUTY: ("integration_key",),
}


class Audit(BaseModel):
    """Who created and last changed a row; kept by every upsert."""

    created_by: str
    created_at: datetime
    updated_by: str | None = None
    updated_at: datetime | None = None


class RuleSyncState(BaseModel):
    """What the last sync wrote back to a rule's row."""

    databricks_alert_id: str | None = None
    databricks_display_name: str | None = None
    last_synced_at: datetime | None = None
    last_sync_status: str | None = None
    last_sync_error: str | None = None


class StoredRule(BaseModel):
    """A rule as loaded from the store: the user's document plus its audit and sync columns."""

    rule: AlertRule
    audit: Audit
    sync: RuleSyncState


class StoredDestination(BaseModel):
    """A destination as loaded from the store, with its audit columns and Databricks id."""

    destination: NotificationDestination
    audit: Audit
    databricks_destination_id: str | None = None


RULE_AUDIT_KEYS = frozenset(Audit.model_fields)
RULE_SYNC_KEYS = frozenset(RuleSyncState.model_fields)
DESTINATION_SYNC_KEYS = frozenset({"databricks_destination_id"})
