"""Quartz cron expressions in words.

Most text comes from ``cron-descriptor`` (with Quartz day-of-week numbering, 1=SUN..7=SAT). A few valid
Quartz forms it gets wrong or rejects are rewritten first or described by the short fallback here.
Input tokens are already validated and upper-cased by :mod:`lakealerts.quartz`.
"""

from __future__ import annotations

import re

from cron_descriptor import Options, get_description

__all__ = ["describe_tokens"]

_DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_DAY_NUMBERS = {name[:3].upper(): index + 1 for index, name in enumerate(_DAY_NAMES)}
_ORDINALS = ("first", "second", "third", "fourth", "fifth")


def describe_tokens(tokens: tuple[str, ...]) -> str:
    """Describe a validated, upper-cased Quartz expression given as its 6 or 7 field tokens."""
    library_tokens = _for_library(tokens)
    if library_tokens is not None:
        options = Options()
        options.day_of_week_start_index_zero = False  # Quartz: 1=SUN..7=SAT
        try:
            return str(get_description(" ".join(library_tokens), options))
        except Exception:  # the library rejects some valid Quartz forms; fall back below
            pass
    return _own_description(tokens)


def _for_library(tokens: tuple[str, ...]) -> tuple[str, ...] | None:
    """Tokens rewritten into forms the library reads right, or None when it cannot describe them."""
    dom, dow = tokens[3], tokens[5]
    if re.fullmatch(r"L-[0-9]+W", dom) and dom != "L-0W":
        return None  # the library drops the W of 'L-nW'
    rewritten = [re.sub(r"(^|,)/", r"\1*/", token) for token in tokens]  # Quartz reads '/n' as '*/n'
    rewritten[3] = {"L-0": "L", "L-0W": "LW"}.get(dom, rewritten[3])
    rewritten[5] = "7" if dow == "L" else rewritten[5]  # 'L' alone in day-of-week is Saturday
    if len(rewritten) == 7:  # the library runs 'a/n' years to 9999; Quartz stops at 2099
        rewritten[6] = re.sub(r"(^|,)([0-9]+)/", r"\1\2-2099/", rewritten[6])
    return tuple(rewritten)


def _own_description(tokens: tuple[str, ...]) -> str:
    """A plain fallback: the time of day, then the day, month and year constraints."""
    second, minute, hour, dom, month, dow = tokens[:6]
    parts = [_time_phrase(second, minute, hour), _dom_phrase(dom), _dow_phrase(dow)]
    if month != "*":
        parts.append(f"in month {month}")
    if len(tokens) == 7 and tokens[6] != "*":
        parts.append(f"in year {tokens[6]}")
    return ", ".join(part for part in parts if part)


def _time_phrase(second: str, minute: str, hour: str) -> str:
    if all(token.isdigit() for token in (second, minute, hour)):
        clock = f"{int(hour) % 12 or 12:02d}:{int(minute):02d}"
        if second != "0":
            clock += f":{int(second):02d}"
        return f"At {clock} {'AM' if int(hour) < 12 else 'PM'}"
    return f"At second {second}, minute {minute}, hour {hour}"


def _dom_phrase(dom: str) -> str:
    if dom in ("?", "*"):
        return ""
    last = re.fullmatch(r"L(?:-([0-9]+))?(W?)", dom)
    if last:
        offset = int(last[1] or 0)
        target = f"{offset} days before the last day" if offset else "the last day"
        if last[2]:
            return f"on the weekday nearest {target} of the month"
        return f"{target} of the month" if offset else "on the last day of the month"
    if dom.endswith("W"):
        return f"on the weekday nearest day {dom[:-1]} of the month"
    return f"on day {dom} of the month"


def _dow_phrase(dow: str) -> str:
    if dow in ("?", "*"):
        return ""
    if dow == "L":
        return "only on Saturday"
    special = re.fullmatch(r"([0-9]+|[A-Z]{3})(L|#([0-9]))", dow)
    if special:
        day = _DAY_NAMES[_DAY_NUMBERS.get(special[1], int(special[1]) if special[1].isdigit() else 1) - 1]
        which = "last" if special[2] == "L" else _ORDINALS[int(special[3]) - 1]
        return f"on the {which} {day} of the month"
    return f"on day-of-week {dow} (1=SUN..7=SAT)"
