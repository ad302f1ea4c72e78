"""Text on its way to a terminal (issue B, C): control characters a terminal would act on are shown escaped, ESC as
the four characters ``\\x1b``, by every printer of ``cli.output``; user text is shown verbatim, a trailing backslash
included; ordinary text is byte-for-byte what it was."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from rich.console import Console

from lakealerts.cli import output
from lakealerts.cli.runtime import _short
from lakealerts.errors import LakeAlertsError
from lakealerts.findings import Finding
from lakealerts.sync.diff import Change
from lakealerts.values import one_line, terminal_text

pytestmark = pytest.mark.unit

HOSTILE = (
    "evil \x1b[2J\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ \r\x07\x08\x00\x7f\x85\x9b\u202e\u2066\u2028"
)
SHOWN = (
    "evil \\x1b[2J\\x1b]8;;http://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\ \\r\\x07\\x08\\x00\\x7f\\x85\\x9b"
    "\\u202e\\u2066\\u2028"
)
ORDINARY = "Daily cost [WARNING] 18,093.18 € — naïve \"quoted\" 'x' [/x] tab\there"
CONTROLS = {chr(code) for code in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]} | {
    *"\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
}


@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch) -> Callable[[], tuple[str, str]]:
    """``output``'s consoles as a piped run has them, writing to strings: returns (stdout, stderr) so far."""
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(output, "stdout", Console(file=out, soft_wrap=True, width=200, emoji=False))
    monkeypatch.setattr(output, "stderr", Console(file=err, soft_wrap=True, width=200, emoji=False))
    return lambda: (out.getvalue(), err.getvalue())


def no_control(text: str) -> None:
    assert not CONTROLS & set(text), repr(text)


def test_terminal_text_escapes_what_a_terminal_acts_on_and_keeps_line_feeds_and_tabs() -> None:
    assert terminal_text(HOSTILE) == SHOWN
    assert terminal_text("a\nb\tc") == "a\nb\tc"
    assert terminal_text(ORDINARY) == ORDINARY
    for char in CONTROLS:
        assert terminal_text(char) == repr(char)[1:-1]
    assert one_line("a\nb\tc\x1b") == "a\\nb\\tc\\x1b"
    assert one_line(ORDINARY.replace("\t", " ")) == ORDINARY.replace("\t", " ")


def test_table_cells_title_and_columns_are_terminal_safe(screen: Callable[[], tuple[str, str]]) -> None:
    output.table(f"title {HOSTILE}", ["col\x1b[31mred", "value"], [(HOSTILE, 1.5)])
    shown, _ = screen()
    no_control(shown)
    assert "col\\x1b[31mred" in shown and "title " + SHOWN in shown and SHOWN[:30] in shown


def test_info_problem_error_and_plan_are_terminal_safe(screen: Callable[[], tuple[str, str]]) -> None:
    output.info(f"peer says {HOSTILE}")
    output.problem(Finding.rejected(f"R-1{HOSTILE}", f"field{HOSTILE}", f"message {HOSTILE}", f"hint {HOSTILE}"))
    output.error(LakeAlertsError(f"workspace says {HOSTILE}", hint=f"hint {HOSTILE}"))
    output.plan(f"  - purge   R-1  {HOSTILE}\nPlan: 0 to create.")
    output.lines([f"FAIL {HOSTILE}"])
    shown, said = screen()
    no_control(shown + said)
    assert f"peer says {SHOWN}\n" in said
    assert f"✗ rule R-1{SHOWN}: field{SHOWN}: message {SHOWN}\n    fix: hint {SHOWN}\n" in said
    assert f"error: workspace says {SHOWN}\n  fix: hint {SHOWN}\n" in said
    assert shown == f"  - purge   R-1  {SHOWN}\nPlan: 0 to create.\nFAIL {SHOWN}\n"


@pytest.mark.parametrize("text", ["C:\\", "ends in two \\\\", "[/x] \\[bold] [link=http://x]y[/link]"])
def test_user_text_is_shown_verbatim_a_trailing_backslash_included(
    screen: Callable[[], tuple[str, str]], text: str
) -> None:
    output.error(LakeAlertsError(f"no file {text}", hint=f"write {text}"))
    output.problem(Finding.rejected("R-1", "path", f"bad {text}", f"use {text}"))
    output.info(text)
    output.table(text, [text], [(text,)])
    shown, said = screen()
    assert said == (
        f"error: no file {text}\n  fix: write {text}\n✗ rule R-1: path: bad {text}\n    fix: use {text}\n{text}\n"
    )
    assert f" {text} " in shown and shown.startswith(f"{text}\n")


def test_ordinary_text_prints_as_before(screen: Callable[[], tuple[str, str]]) -> None:
    output.table("evaluations", ["rule", "value"], [("R-001", 18093.177792999995), ("R-002", None)], whole=["rule"])
    output.error(LakeAlertsError("no rule 'X' in the store", hint="see `lakealerts rules list`"))
    shown, said = screen()
    assert shown == (
        "evaluations\n"
        "┏━━━━━━━┳━━━━━━━━━━━┓\n"
        "┃ rule  ┃ value     ┃\n"
        "┡━━━━━━━╇━━━━━━━━━━━┩\n"
        "│ R-001 │ 18,093.18 │\n"
        "│ R-002 │           │\n"
        "└───────┴───────────┘\n"
    )
    assert said == "error: no rule 'X' in the store\n  fix: see `lakealerts rules list`\n"


def test_a_colourful_terminal_still_gets_the_same_styles() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="standard", soft_wrap=True, width=200)
    original = output.stderr
    output.stderr = console
    try:
        output.error(LakeAlertsError("boom", hint="fix it"))
        output.problem(Finding.rejected("R-1", "f", "m", "h"))
    finally:
        output.stderr = original
    assert buffer.getvalue() == (
        "\x1b[31merror:\x1b[0m boom\n  fix: fix it\n"
        "\x1b[31m✗\x1b[0m rule \x1b[1mR-1\x1b[0m: \x1b[1mf\x1b[0m: m\n    fix: h\n"
    )


def test_eval_values_are_made_safe_before_they_are_shortened() -> None:
    assert _short("x" * 40) == "x" * 40
    assert _short("x" * 41) == "x" * 37 + "..."
    assert _short("a\x1b[31mb") == "a\\x1b[31mb"
    cut = _short("x" * 35 + "\x1b[31m" + "y" * 10)
    assert cut == "x" * 35 + "..." and len(cut) <= 40  # never "…\\x1" and never a raw ESC
    no_control(_short("\x1b" * 100))
    assert len(_short("\x1b" * 100)) <= 40


def test_a_diff_keeps_its_line_structure_and_escapes_the_rest() -> None:
    before = "SELECT value\nFROM t\nWHERE value > 0 AND name = 'x'\n"
    after = "SELECT value\nFROM t\x1b[2J\rforged\u202e\nWHERE value > 0 AND name = 'x'\n\tAND ok"
    text = "\n".join(Change("query_text", before, after).to_text())
    no_control(text.replace("\t", ""))
    assert text.splitlines() == [
        "query_text:",
        "    --- before",
        "    +++ after",
        "    @@ -1,3 +1,4 @@",
        "     SELECT value",
        "    -FROM t",
        "    +FROM t\\x1b[2J\\rforged\\u202e",
        "     WHERE value > 0 AND name = 'x'",
        "    +\tAND ok",
    ]
    assert Change("a\nb", "x\x1b", "y").to_text() == ['a\\nb: "x\\x1b" → "y"']  # ESC as everywhere: \\x1b
    ordinary = Change("query_text", before, before.replace("0", "10")).to_text()
    assert ordinary[-2:] == ["    -WHERE value > 0 AND name = 'x'", "    +WHERE value > 10 AND name = 'x'"]


def test_a_plan_shows_names_in_their_own_characters_and_controls_escaped() -> None:
    """A German or emoji display name reads as itself in a plan (it showed \\u00fc and \\ud83d\\udcb8 before);
    controls, C1 characters and bidi overrides still show escaped."""
    (line,) = Change("display_name", "[WARNING] Budget – über 💸", "[WARNING] b\u202e\x1b[31m\x85").to_text()
    assert line == 'display_name: "[WARNING] Budget – über 💸" → "[WARNING] b\\u202e\\x1b[31m\\x85"'


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        ("\nCatalogException: no table\nLINE 1: …", "CatalogException: no table"),
        ("word " + "x" * 300, "word " + "x" * 95 + " …"),  # no late word end: cut at 100, not after "word"
        (("a" * 70 + " ") * 3, "a" * 70 + " …"),
        ("short\r\nmore", "short"),
        (None, ""),
    ],
)
def test_the_history_error_column_shows_the_first_line_cut_sensibly(error: str | None, shown: str) -> None:
    from lakealerts.cli.runtime import _first_line

    assert _first_line(error) == shown
