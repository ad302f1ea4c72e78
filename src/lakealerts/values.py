"""Value rules for hostile input, used by the model's fields: control characters and finite numbers.

A name, an id or an e-mail subject with a CR, LF or NUL in it breaks headers, logs and terminals downstream, so
such values are refused where they enter (the model's field types check them with ``valid_line``, ``valid_text``
and ``valid_double``), and shown escaped wherever a refused value is quoted (``printable``, ``shown``) and
wherever text reaches a terminal (``terminal_text``, ``one_line``). Pure: no I/O, and no pydantic (the CLI's
printers use it).
"""

from __future__ import annotations

import math
import re
import reprlib
from decimal import Decimal
from typing import Any


class FieldError(ValueError):
    """A value rule broken, raised inside a validator: names the field at fault (None: the field being validated)
    and the fix."""

    def __init__(self, field: str | None, message: str, hint: str) -> None:
        super().__init__(message)
        self.field = field
        self.hint = hint


# One-line values: no C0/C1 control character at all, nor the Unicode line and paragraph separators.
LINE_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Multi-line text (SQL, descriptions, bodies): tabs and line breaks are fine, NUL and other controls are not.
TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NAMES = {"\n": "a line feed (\\n)", "\r": "a carriage return (\\r)", "\t": "a tab (\\t)", "\x00": "a NUL byte (\\x00)"}
LINE_HINT = (
    "write it on one line without tabs, line breaks or other control characters "
    "(only alert_query_template, alert_description and custom_body_template may span lines)"
)
TEXT_HINT = "remove the control character; line breaks and tabs are fine here, NUL and other control bytes are not"
SHOWN_LENGTH = 80
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother, _SHORT.maxlong = 3, SHOWN_LENGTH, SHOWN_LENGTH, SHOWN_LENGTH


def control_problem(value: str, multiline: bool = False) -> str | None:
    """What is wrong with ``value`` (e.g. ``contains a line feed (\\n) at position 4``), or None when it is clean."""
    found = (TEXT_CONTROLS if multiline else LINE_CONTROLS).search(value)
    if found is None:
        return None
    char = found.group()
    name = _NAMES.get(char, f"the control character U+{ord(char):04X}")
    return f"contains {name} at position {found.start() + 1}"


def _escaped(match: re.Match[str]) -> str:
    return repr(match.group())[1:-1]  # ESC -> \x1b, CR -> \r, RLO -> \u202e: one escape for every printer


def printable(text: str, limit: int = SHOWN_LENGTH) -> str:
    """``text`` safe to print in one line: control characters escaped (``\\n``, ``\\x00``), cut at ``limit``."""
    escaped = LINE_CONTROLS.sub(_escaped, text)
    return escaped if len(escaped) <= limit else escaped[: limit - 1] + "…"


# What a terminal acts on instead of showing: C0 controls (ESC starts colour, cursor and OSC 8 hyperlink sequences),
# DEL, C1 controls, the Unicode line and paragraph separators, and the bidi embeddings, overrides and isolates
# (U+202A-U+202E, U+2066-U+2069) that reorder how the rest of a line is displayed.
_TERMINAL = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"  # lone surrogates: unprintable
TERMINAL_CONTROLS = re.compile(f"[\x00-\x08\x0b-\x1f{_TERMINAL}]")  # tab and line feed are text
ONE_LINE_CONTROLS = re.compile(f"[\x00-\x1f{_TERMINAL}]")  # on one line, tab and line feed are escaped too


def terminal_text(text: str) -> str:
    """``text`` safe to write to a terminal: every control character a terminal would act on shown escaped
    (ESC as the four characters ``\\x1b``), line feeds and tabs kept, nothing cut. Ordinary text is unchanged."""
    return TERMINAL_CONTROLS.sub(_escaped, text)


def one_line(text: str) -> str:
    """``text`` safe to print inside one line of a listing (a name in a plan): like ``terminal_text``, with line
    feeds and tabs escaped too, so it can never start a line of its own. Nothing cut."""
    return ONE_LINE_CONTROLS.sub(_escaped, text)


_BLANK_LINE = re.compile(r"\r?\n[ \t]*\r?\n")


def first_paragraph(text: str | None) -> str:
    """The first paragraph of a message that holds text, without the blank space around it (an engine error
    adds the SQL and a caret after a blank line: people need what comes before)."""
    return next((part.strip() for part in _BLANK_LINE.split(text or "") if part.strip()), "")


def shown(value: object, limit: int = SHOWN_LENGTH) -> str:
    """``repr(value)`` cut at ``limit``; an integer too long to print is described by its size instead."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 3_000:
        return f"a whole number of about {digits(value)} digits"
    try:
        text = _SHORT.repr(value)  # depth- and size-limited: hostile nesting costs nothing here
    except (ValueError, RecursionError):  # e.g. an integer nested in a list, beyond Python's int-to-str limit
        return f"a {type(value).__name__} too large to show"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def digits(value: int) -> int:
    """How many decimal digits ``value`` has (approximately for huge ones; never converts it to text)."""
    return int(abs(value).bit_length() * math.log10(2)) + 1


def double_problem(value: object) -> str | None:
    """Why ``value`` is not a finite double (NaN, an infinity, or beyond ±1.8e308), or None.

    Values that are not numbers at all are left to the model's own type check.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            return f"is a whole number of about {digits(value)} digits, beyond the range of a double (±1.8e308)"
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    if math.isnan(number):
        return "must be a number, not NaN"
    if math.isinf(number):
        spelled = str(value).strip().lower().lstrip("+-.")
        if spelled.startswith("inf"):
            return "must be finite, not infinity"
        return "is beyond the range of a double (±1.8e308)"
    return None


DOUBLE_HINT = (
    "use a finite number between -1.7976931348623157e308 and 1.7976931348623157e308, e.g. 5000 or 0.25 "
    "(IS_NULL and IS_NOT_NULL take no value)"
)


def valid_line(value: str) -> str:
    """Names, ids, subjects, tags: one line, no control character (they end up in headers and logs)."""
    problem = control_problem(value)
    if problem:
        raise FieldError(None, problem, LINE_HINT)
    return value


def valid_text(value: str) -> str:
    """SQL, descriptions and bodies may span lines; NUL and other control bytes are still refused."""
    problem = control_problem(value, multiline=True)
    if problem:
        raise FieldError(None, problem, TEXT_HINT)
    return value


def valid_double(value: Any) -> Any:
    """A DOUBLE threshold is a finite double: no NaN, no infinity, no 5,000-digit number."""
    problem = double_problem(value)
    if problem:
        raise FieldError(None, problem, DOUBLE_HINT)
    return value
