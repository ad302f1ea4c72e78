"""Turn user documents (mappings from YAML/JSON files) into models, collecting problems instead of raising.

One bad document never stops the others: ``parse_rules`` returns the valid rules and one ``Finding``
per rejected document, each naming the rule, the field and the fix. Audit and sync keys are accepted and
ignored, so the output of ``rules list --json`` re-imports unchanged. Whatever a document holds (control
characters, 5,000-digit numbers, megabytes of text), the finding quotes it escaped and cut short.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from lakealerts.errors import QuartzError
from lakealerts.findings import DESTINATION, Finding
from lakealerts.model import (
    DESTINATION_SYNC_KEYS,
    ID_PATTERN,
    MAX_RETRIGGER_SECONDS,
    OPERATORS,
    RULE_AUDIT_KEYS,
    RULE_SYNC_KEYS,
    AlertRule,
    NotificationDestination,
)
from lakealerts.values import FieldError, printable, shown

ModelT = TypeVar("ModelT", bound=BaseModel)

# Keys the table has but a user does not write: read-only on import.
RULE_IGNORED_KEYS = RULE_AUDIT_KEYS | RULE_SYNC_KEYS | {"schedule_description", "next_fire_times"}
DESTINATION_IGNORED_KEYS = RULE_AUDIT_KEYS | DESTINATION_SYNC_KEYS

_LABEL_LENGTH = 200  # longer than any valid id (128), so a too-long id is still shown whole enough to find

_FIELD_HINTS: dict[str, str] = {
    "alert_id": f"use 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit ({ID_PATTERN})",
    "destination_id": f"use 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit ({ID_PATTERN})",
    "agent_domain": "use an upper-case word such as COST, SECURITY, PERFORMANCE, RELIABILITY or QUALITY",
    "query_source": "use an upper-case word such as CUSTOM",
    "threshold_operator": f"use one of {' '.join(OPERATORS)}",
    "retrigger_seconds": f"use a whole number of seconds from 0 to {MAX_RETRIGGER_SECONDS:,} (one year); "
    "0 or empty: notify once per incident",
    "schedule_timezone": "use an IANA name such as 'UTC' or 'America/Los_Angeles'",
}


@dataclass
class ParseReport(Generic[ModelT]):
    """What came out of a batch of documents: the valid models and the problems of the rejected ones."""

    valid: list[ModelT] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)


def parse_rules(documents: Iterable[Mapping[str, Any]]) -> ParseReport[AlertRule]:
    """Validate rule documents; duplicate ``alert_id``s in one batch are a problem of the later document."""
    return _parse(documents, AlertRule, "alert_id", RULE_IGNORED_KEYS)


def parse_destinations(documents: Iterable[Mapping[str, Any]]) -> ParseReport[NotificationDestination]:
    """Validate destination documents, like ``parse_rules``; their findings name a destination."""
    report = _parse(documents, NotificationDestination, "destination_id", DESTINATION_IGNORED_KEYS)
    report.problems = [replace(problem, kind=DESTINATION) for problem in report.problems]
    return report


def _parse(
    documents: Iterable[Mapping[str, Any]], model: type[ModelT], id_key: str, ignored: frozenset[str]
) -> ParseReport[ModelT]:
    report: ParseReport[ModelT] = ParseReport()
    seen: set[str] = set()
    for document in documents:
        if not isinstance(document, Mapping):
            report.problems.append(
                Finding.rejected(
                    None,
                    "<document>",
                    f"expected a mapping, got {type(document).__name__}",
                    "write each document as a mapping of column names to values",
                )
            )
            continue
        doc_id = document.get(id_key)
        rule_id = _label(doc_id)
        try:
            parsed = model.model_validate({k: v for k, v in document.items() if k not in ignored})
        except ValidationError as exc:
            report.problems.extend(_problem(rule_id, error, model, set(document)) for error in exc.errors())
            continue
        key = str(getattr(parsed, id_key))
        if key in seen:
            report.problems.append(
                Finding.rejected(
                    key,
                    id_key,
                    f"{id_key} {key!r} appears twice in the input",
                    f"give each document its own {id_key}",
                )
            )
            continue
        seen.add(key)
        report.valid.append(parsed)
    return report


def _label(value: object) -> str | None:
    """A document's id as findings name it: escaped and cut short if it is hostile, None if missing."""
    if value is None:
        return None
    return printable(value, _LABEL_LENGTH) if isinstance(value, str) else shown(value)


def _problem(rule_id: str | None, error: ErrorDetails, model: type[BaseModel], given: set[str]) -> Finding:
    """One problem per pydantic error, with the field and fix spelled out for a user."""
    field_name = ".".join(str(_label(part)) for part in error["loc"]) or "<document>"
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        return Finding.rejected(rule_id, cause.field or field_name, str(cause), cause.hint)
    if isinstance(cause, QuartzError):
        where = f" ({cause.field} field)" if cause.field and field_name == "schedule_cron" else ""
        return Finding.rejected(rule_id, field_name, f"{cause.message}{where}", cause.hint or "fix the value")
    kind = error["type"]
    if kind == "extra_forbidden":
        return Finding.rejected(
            rule_id, field_name, f"unknown key '{field_name}'", unknown_key_hint(field_name, model, given)
        )
    if kind == "missing":
        return Finding.rejected(
            rule_id,
            field_name,
            f"required key '{field_name}' is missing",
            f"add {field_name} to the document",
        )
    if kind == "enum":
        expected = (error.get("ctx") or {}).get("expected", "")
        return Finding.rejected(
            rule_id, field_name, f"{shown(error['input'])} is not a valid {field_name}", f"use one of {expected}"
        )
    message = error["msg"].removeprefix("Value error, ")
    hint = _FIELD_HINTS.get(field_name, f"give {field_name} a value of the right type")
    return Finding.rejected(rule_id, field_name, f"{message} (got {shown(error['input'])})", hint)


def unknown_key_hint(key: str, model: type[BaseModel], given: set[str]) -> str:
    """ "did you mean" over all the model's keys (:func:`closest`); the closest ones are all named."""
    known = list(model.model_fields)
    close = closest(key, known, given)
    if close:
        named = ", ".join(repr(name) for name in close[:-1]) + " or " if len(close) > 1 else ""
        named += repr(close[-1])
        return f"did you mean {named}? Otherwise remove the key"
    return "remove the key; known keys are " + ", ".join(known)


def closest(key: str, names: Iterable[str], given: Collection[str] = ()) -> list[str]:
    """The names ``key`` most likely meant (at most 4, best first; none when nothing is close): ranked by edit
    distance to the whole name or to its start (``threshhold_value`` is one edit from the start of each
    ``threshold_value_*``), a name in ``given`` (a key the document already has) counting 2 more."""
    scored = sorted(
        (min(_distance(key, name), _distance(key, name[: len(key)]) + 1) + 2 * (name in given),
         _distance(key, name), name)
        for name in names
    )  # fmt: skip
    limit = max(2, len(key) * 2 // 3)
    return [name for score, _, name in scored if score <= min(limit, scored[0][0])][:4] if scored else []


def _distance(a: str, b: str) -> int:
    """Levenshtein distance: insertions, deletions and substitutions."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]
