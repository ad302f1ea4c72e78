"""The rules list's filters, search, sort and pages — one implementation for the page and ``GET /rules``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lakealerts.app.alert_center import RuleRow
from lakealerts.errors import UsageError
from lakealerts.model import AlertRule

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 100, 5000
SORTS = ("id", "name", "domain", "severity", "state", "value", "last_run", "next_run")
_SEVERITY = {"CRITICAL": 0, "WARNING": 1, "INFO": 2}
_STATE = {"TRIGGERED": 0, "ERROR": 1, "OK": 2, "UNKNOWN": 3}
STATES = tuple(_STATE)
SEVERITIES = tuple(_SEVERITY)
_FAR = datetime.max.replace(tzinfo=UTC)
_PAST = datetime.min.replace(tzinfo=UTC)


class InputError(UsageError):
    """A bad request parameter or body member; ``field`` names it (the API's finding carries it)."""

    def __init__(self, field: str, message: str, hint: str | None = None) -> None:
        """Name the parameter, what is wrong with it and how to fix it."""
        super().__init__(message, hint=hint)
        self.field = field


def choice(params: Mapping[str, str], name: str, allowed: Sequence[str]) -> str:
    """The parameter ``name`` upper-cased, "" when absent; InputError listing ``allowed`` when it is none of them."""
    value = params.get(name, "").strip().upper()
    if value and value not in allowed:
        raise InputError(name, f"{name} {params.get(name)!r} is not one of the allowed values",
                         hint=f"use one of {', '.join(allowed)} (or leave it out for any)")  # fmt: skip
    return value


def flag(params: Mapping[str, str], name: str) -> str:
    """A true/false filter as "true", "false" or "" (absent); InputError for anything else (``1``, ``yes``)."""
    value = params.get(name, "").strip().lower()
    if value not in ("", "true", "false"):
        raise InputError(name, f"{name} {params.get(name)!r} is not true or false",
                         hint=f"pass {name}=true or {name}=false (or leave it out for any)")  # fmt: skip
    return value


@dataclass(frozen=True)
class Query:
    """What the user asked for: filters (empty = any), a search text, a sort and a page."""

    state: str = ""
    domain: str = ""
    severity: str = ""
    enabled: str = ""  # "", "true", "false"
    paused: str = ""  # "", "true", "false"
    sync: str = ""  # a last_sync_status, or "NEVER"
    q: str = ""
    sort: str = "id"
    descending: bool = False
    page_size: int = DEFAULT_PAGE_SIZE
    offset: int = 0

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> Query:
        """From query parameters; UsageError names a bad one (the API answers 400)."""
        sort = params.get("sort", "id") or "id"
        descending = sort.startswith("-")
        sort = sort.lstrip("-")
        if sort not in SORTS:
            raise InputError(
                "sort", f"sort {sort!r} is not a column", hint=f"use one of {', '.join(SORTS)} (prefix - to reverse)"
            )
        return cls(
            state=choice(params, "state", STATES), domain=params.get("domain", "").upper(),
            severity=choice(params, "severity", SEVERITIES), enabled=flag(params, "enabled"),
            paused=flag(params, "paused"), sync=params.get("sync", "").upper(),
            q=params.get("q", "").strip().lower(), sort=sort, descending=descending,
            page_size=bounded(params.get("page_size"), "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE),
            offset=bounded(params.get("page_token"), "page_token", 0, 0, 10**9),
        )  # fmt: skip

    def matches(self, row: RuleRow) -> bool:
        """Whether ``row`` passes every filter and the search."""
        rule = row.stored.rule
        checks = (
            not self.state or str(row.state.state) == self.state,
            not self.domain or rule.agent_domain == self.domain,
            not self.severity or str(rule.severity) == self.severity,
            not self.enabled or rule.is_enabled == (self.enabled == "true"),
            not self.paused or (rule.pause_status == "PAUSED") == (self.paused == "true"),
            not self.sync or (row.stored.sync.last_sync_status or "NEVER") == self.sync,
            not self.q or self.q in _haystack(rule),
        )
        return all(checks)


def _haystack(rule: AlertRule) -> str:
    return " ".join(str(part) for part in (rule.alert_id, rule.alert_name, rule.alert_description or "",
                                           rule.owner or "", rule.threshold_column)).lower()  # fmt: skip


def bounded(text: str | None, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter in [low, high] (``default`` when absent); UsageError names a bad one."""
    if text in (None, ""):
        return default
    try:
        number = int(str(text))
    except ValueError:
        raise InputError(name, f"{name} {text!r} is not a whole number", hint=f"pass {name}={default}") from None
    if not low <= number <= high:
        raise InputError(name, f"{name} {number} is out of range", hint=f"use {low}..{high}")
    return number


def _key(sort: str) -> Any:
    keys: dict[str, Any] = {
        "id": lambda r: r.alert_id,
        "name": lambda r: (r.stored.rule.alert_name.lower(), r.alert_id),
        "domain": lambda r: (r.stored.rule.agent_domain, r.alert_id),
        "severity": lambda r: (_SEVERITY.get(str(r.stored.rule.severity), 9), r.alert_id),
        "state": lambda r: (_STATE.get(str(r.state.state), 9), r.alert_id),
        "value": lambda r: (_sortable(r.state.value), r.alert_id),
        "last_run": lambda r: (r.state.last_evaluated_at or _PAST, r.alert_id),
        "next_run": lambda r: (r.next_run or _FAR, r.alert_id),
    }
    return keys[sort]


def _sortable(value: Any) -> tuple[int, float, str]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, "" if value is None else str(value))


@dataclass(frozen=True)
class Page:
    """One page of matching rows, the token of the next page (None on the last) and how many matched."""

    rows: list[RuleRow]
    matched: int
    next_page_token: str | None


def select(rows: Sequence[RuleRow], query: Query) -> Page:
    """Filter, sort and cut one page."""
    chosen = sorted((r for r in rows if query.matches(r)), key=_key(query.sort), reverse=query.descending)
    end = query.offset + query.page_size
    return Page(chosen[query.offset : end], len(chosen), str(end) if end < len(chosen) else None)


def condition(rule: AlertRule) -> str:
    """The condition as people write it: ``daily_cost_usd > 5000``, ``AVG(x) >= 0.9``, ``flag IS_NULL``."""
    operand = rule.threshold_column
    if rule.aggregation_type and str(rule.aggregation_type) != "FIRST":
        operand = f"{rule.aggregation_type}({operand})"
    operator = str(rule.threshold_operator)
    if operator in ("IS_NULL", "IS_NOT_NULL"):
        return f"{operand} {operator}"
    return f"{operand} {operator} {_threshold_text(rule)}"


def threshold(rule: AlertRule) -> Any:
    """The rule's threshold value, of its type (None for IS_NULL / IS_NOT_NULL)."""
    kind = str(rule.threshold_value_type)
    if kind == "DOUBLE":
        return rule.threshold_value_double
    if kind == "BOOLEAN":
        return rule.threshold_value_bool
    return rule.threshold_value_string


def _threshold_text(rule: AlertRule) -> str:
    value = threshold(rule)
    if isinstance(value, float):
        return f"{value:g}" if abs(value) < 1e15 else str(value)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return f"'{value}'" if value is not None else "NULL"
