"""Hostile input is a finding, never a crash (issue 13): a corpus of control characters, NaN and infinities, huge
numbers, deep nesting, duplicate keys and ``${env:}`` placements, generated with hypothesis.

Each case asserts the three promises: no exception escapes (no traceback), no invalid value reaches a model that could
be stored, and the problem names the rule, the field and the fix.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lakealerts.app.files import MAX_DEPTH, read_documents
from lakealerts.documents import parse_destinations, parse_rules
from lakealerts.errors import UsageError
from lakealerts.model import MAX_RETRIGGER_SECONDS, AlertRule, NotificationDestination
from lakealerts.secrets import SecretResolutionError, resolve_config
from lakealerts.values import LINE_CONTROLS, TEXT_CONTROLS
from tests.builders import BASE_RULE

pytestmark = pytest.mark.unit
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

ONE_LINE_FIELDS = (
    "alert_name", "owner", "custom_subject_template", "threshold_column", "source_artifact_name", "schedule_cron",
    "schedule_timezone",
)  # fmt: skip
MULTI_LINE_FIELDS = ("alert_query_template", "alert_description", "custom_body_template")
CONTROLS = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]] + ["\u2028", "\u2029"]
controls = st.sampled_from(CONTROLS)
clean = (
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=12).map(str.strip).filter(bool)
)


def with_control(text: str, char: str, where: int) -> str:
    """``text`` with ``char`` inside it (never at an end, where stripping would remove a whitespace control)."""
    cut = 1 + where % len(text)
    return f"{text[:cut]}{char}{text[cut:]}x"


def destination(**overrides: Any) -> dict[str, Any]:
    """A valid WEBHOOK destination document with ``overrides``."""
    return {"destination_id": "hook", "destination_name": "Hook", "destination_type": "WEBHOOK", "owner": "o",
            "config_json": {"url": "${env:HOOK_URL}"}, **overrides}  # fmt: skip


def only_problem(report: Any, rule_id: str | None) -> Any:
    """The first problem of a rejected document; it names the rule (``rule_id``; None: any), a field and a fix,
    and holds no control character however hostile the input."""
    assert report.valid == [], "a hostile value reached a model that would be stored"
    assert report.problems, "rejected without a finding"
    problem = report.problems[0]
    assert rule_id is None or problem.rule_id == rule_id
    assert problem.rule_id and problem.field and problem.message and problem.hint
    assert not LINE_CONTROLS.search(f"{problem.rule_id}{problem.field}{problem.message}{problem.hint}")
    return problem


def assert_clean(rule: AlertRule) -> None:
    """What a stored rule may hold: one-line fields without controls, text without NUL, a finite threshold."""
    for name in ONE_LINE_FIELDS:
        assert not LINE_CONTROLS.search(getattr(rule, name) or "")
    for name in MULTI_LINE_FIELDS:
        assert not TEXT_CONTROLS.search(getattr(rule, name) or "")
    assert rule.threshold_value_double is None or math.isfinite(rule.threshold_value_double)
    assert all(not LINE_CONTROLS.search(k + v) for k, v in rule.tags.items())


# --- control characters ---------------------------------------------------------------------------------------


@FAST
@given(field=st.sampled_from(ONE_LINE_FIELDS), text=clean, char=controls, where=st.integers(0, 50))
def test_a_control_character_in_a_one_line_field_is_refused(field: str, text: str, char: str, where: int) -> None:
    problem = only_problem(parse_rules([{**BASE_RULE, field: with_control(text, char, where)}]), "BASE-1")
    assert problem.field == field
    assert "control characters" in problem.hint


@FAST
@given(text=clean, char=controls, where=st.integers(0, 50), spot=st.sampled_from(["key", "value"]))
def test_a_control_character_in_a_tag_or_channel_is_refused(text: str, char: str, where: int, spot: str) -> None:
    hostile = with_control(text, char, where)
    tags = {hostile: "v"} if spot == "key" else {"team": hostile}
    problem = only_problem(parse_rules([{**BASE_RULE, "tags": tags}]), "BASE-1")
    assert problem.field.startswith("tags.")
    channel = only_problem(parse_rules([{**BASE_RULE, "notification_channels": [f"ops{char}@example.com"]}]), "BASE-1")
    assert channel.field.startswith("notification_channels")


@FAST
@given(field=st.sampled_from(MULTI_LINE_FIELDS), text=clean, where=st.integers(0, 50))
def test_multi_line_fields_keep_line_breaks_and_tabs_but_never_nul(field: str, text: str, where: int) -> None:
    base = {**BASE_RULE, "use_custom_template": field == "custom_body_template"}
    sql = "SELECT value AS value\n\tFROM t\r\n"
    value = sql if field == "alert_query_template" else with_control(text, "\n", where) + "\t."
    (rule,) = parse_rules([{**base, field: value}]).valid
    assert "\n" in getattr(rule, field)
    problem = only_problem(parse_rules([{**base, field: with_control(value, "\x00", where)}]), "BASE-1")
    assert problem.field == field and "NUL" in problem.message


def test_the_messages_name_the_character_and_its_position() -> None:
    (problem,) = parse_rules([{**BASE_RULE, "alert_name": "Cost\r\nBcc: all@example.com"}]).problems
    assert problem.field == "alert_name"
    assert problem.message == "contains a carriage return (\\r) at position 5"


@FAST
@given(char=controls, text=clean)
def test_a_hostile_id_is_named_escaped_and_cut_short(char: str, text: str) -> None:
    alert_id = f"R{char}{text}" + "x" * 500
    problem = only_problem(parse_rules([{**BASE_RULE, "alert_id": alert_id}]), None)
    assert problem.field == "alert_id"
    assert problem.rule_id.startswith("R") and len(problem.rule_id) <= 200 and problem.rule_id.endswith("…")


@FAST
@given(
    field=st.sampled_from(["destination_name", "owner", "config_json.url", "config_json.username", "tags.team"]),
    char=controls,
)
def test_a_control_character_in_a_destination_is_refused(field: str, char: str) -> None:
    document = destination()
    value = f"a{char}b"
    if field.startswith("config_json."):
        document["config_json"] = {**document["config_json"], field.split(".")[1]: value}
    elif field == "tags.team":
        document["tags"] = {"team": value}
    else:
        document[field] = value
    problem = only_problem(parse_destinations([document]), "hook")
    assert problem.field == field


# --- numbers ---------------------------------------------------------------------------------------------------


@FAST
@given(
    value=st.one_of(
        st.sampled_from([math.nan, math.inf, -math.inf, "nan", "NaN", "inf", "-Infinity", "1e999", -(10**400)]),
        st.integers(400, 6000).map(lambda n: 10**n),
        st.integers(310, 6000).map(lambda n: "9" * n),
    )
)
def test_a_threshold_that_is_not_a_finite_double_is_refused(value: Any) -> None:
    problem = only_problem(parse_rules([{**BASE_RULE, "threshold_value_double": value}]), "BASE-1")
    assert problem.field == "threshold_value_double"
    assert "finite" in problem.hint and len(problem.message) < 200


@FAST
@given(value=st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_double_is_a_threshold(value: float) -> None:
    (rule,) = parse_rules([{**BASE_RULE, "threshold_value_double": value}]).valid
    assert rule.threshold_value_double == value


@FAST
@given(seconds=st.one_of(st.integers(-(10**30), -1), st.integers(MAX_RETRIGGER_SECONDS + 1, 10**5000)))
def test_retrigger_seconds_outside_zero_to_one_year_is_refused(seconds: int) -> None:
    problem = only_problem(parse_rules([{**BASE_RULE, "retrigger_seconds": seconds}]), "BASE-1")
    assert problem.field == "retrigger_seconds"
    assert "31,536,000 (one year)" in problem.hint and len(problem.message) < 200


def test_retrigger_seconds_of_one_year_is_fine() -> None:
    (rule,) = parse_rules([{**BASE_RULE, "retrigger_seconds": MAX_RETRIGGER_SECONDS}]).valid
    assert rule.retrigger_seconds == MAX_RETRIGGER_SECONDS


# --- files: huge numbers, nesting, duplicate keys ----------------------------------------------------------------


def read_refused(path: Path, text: str) -> str:
    """The UsageError read_documents gives for ``text`` (any other exception fails the test)."""
    path.write_text(text)
    with pytest.raises(UsageError) as refused:
        read_documents(path)
    return str(refused.value)


@FAST
@given(digits=st.integers(4301, 6000), field=st.sampled_from(["threshold_value_double", "retrigger_seconds"]))
def test_an_integer_with_thousands_of_digits_names_file_line_rule_and_key(
    tmp_path: Path, digits: int, field: str
) -> None:
    text = f"- alert_id: R-1\n  alert_name: x\n  {field}: {'7' * digits}\n"
    message = read_refused(tmp_path / "rules.yaml", text)
    assert str(tmp_path / "rules.yaml") in message and "line 3" in message
    assert "rule R-1" in message and field in message and f"{digits} digits" in message


@FAST
@given(depth=st.sampled_from([MAX_DEPTH + 1, 1_000, 100_000]), kind=st.sampled_from(["json", "yaml", "block"]))
def test_deep_nesting_is_a_usage_error_naming_the_file(tmp_path: Path, depth: int, kind: str) -> None:
    if kind == "json":
        text = '[{"alert_id": "R-1", "tags": ' + '{"a": ' * depth + "1" + "}" * depth + "}]"
    elif kind == "yaml":
        text = "[" * depth + "]" * depth
    else:
        text = "".join("  " * level + "a:\n" for level in range(min(depth, 200))) + "  " * 200 + "1\n"
    message = read_refused(tmp_path / f"deep.{kind}", text)
    assert f"deep.{kind}" in message and f"nested more than {MAX_DEPTH} levels" in message


@FAST
@given(key=st.sampled_from(["severity", "alert_name", "a"]), nested=st.booleans())
def test_a_duplicate_key_names_file_key_line_and_rule(tmp_path: Path, key: str, nested: bool) -> None:
    body = f"  tags:\n    {key}: one\n    {key}: two\n" if nested else f"  {key}: one\n  {key}: two\n"
    message = read_refused(tmp_path / "rules.yaml", "- alert_id: R-9\n" + body)
    line = 4 if nested else 3
    assert f"line {line}," in message and f"key '{key}' appears twice" in message and "rule R-9" in message


def test_duplicate_keys_in_json_are_refused_too(tmp_path: Path) -> None:
    message = read_refused(tmp_path / "d.json", '{"destination_id": "d", "owner": "a", "owner": "b"}')
    assert "d.json" in message and "key 'owner' appears twice" in message and "destination d" in message


def test_merge_keys_and_plain_aliases_still_read(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("- &base {alert_id: A, owner: o}\n- {<<: *base, alert_id: B}\n")
    assert read_documents(path) == [{"alert_id": "A", "owner": "o"}, {"alert_id": "B", "owner": "o"}]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: &a [1, *a]\n", "refers to a value that contains it"),
        ("".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10) if i else '1'}]\n" for i in range(9)), "aliases"),
        ("- alert_id: R-1\n  owner: 2025-13-45\n", "cannot be read as a timestamp"),
    ],
    ids=["self-reference", "billion laughs", "impossible date"],
)
def test_other_unbuildable_yaml_is_a_usage_error(tmp_path: Path, text: str, fragment: str) -> None:
    assert fragment in read_refused(tmp_path / "x.yaml", text)


# --- secret references -----------------------------------------------------------------------------------------

names = st.from_regex(r"[A-Z][A-Z0-9_]{0,12}", fullmatch=True).filter(
    lambda name: not name.startswith(("DATABRICKS_", "LAKEALERTS_"))
)
reserved = st.tuples(st.sampled_from(["DATABRICKS_", "LAKEALERTS_", "databricks_"]), names).map("".join)
affixes = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=10)


@FAST
@given(name=names, prefix=affixes, suffix=affixes, field=st.sampled_from(["url", "username", "password"]))
def test_a_reference_inside_a_longer_value_is_refused_on_import_and_never_resolved(
    name: str, prefix: str, suffix: str, field: str
) -> None:
    value = f"{prefix}${{env:{name}}}{suffix}"
    if not (prefix or suffix):
        value = f"https://x/${{env:{name}}}"
    config = {"url": "${env:HOOK_URL}", field: value}
    problem = only_problem(parse_destinations([destination(config_json=config)]), "hook")
    assert problem.field == f"config_json.{field}" and "whole value" in problem.hint
    with pytest.raises(SecretResolutionError) as refused:
        resolve_config(config, "destination hook", {name: "LEAKED", "HOOK_URL": "https://h"})
    assert "destination hook" in str(refused.value) and "LEAKED" not in str(refused.value)


@FAST
@given(name=reserved, field=st.sampled_from(["url", "password"]))
def test_lakealerts_own_credentials_are_never_a_reference(name: str, field: str) -> None:
    config = {"url": "${env:HOOK_URL}", field: f"${{env:{name}}}"}
    problem = only_problem(parse_destinations([destination(config_json=config)]), "hook")
    assert problem.field == f"config_json.{field}" and "own credential" in problem.message
    with pytest.raises(SecretResolutionError, match="destination hook"):
        resolve_config(config, "destination hook", {name: "LEAKED", "HOOK_URL": "https://h"})


@FAST
@given(name=names)
def test_a_whole_reference_in_a_secret_field_resolves(name: str) -> None:
    config = {"url": f"${{env:{name}}}", "username": "{{secrets/scope/user}}", "password": "plain"}
    (parsed,) = parse_destinations([destination(config_json=config)]).valid
    resolved = resolve_config(parsed.config_json, "hook", {name: "https://h"}, lambda scope, key: f"{scope}.{key}")
    assert resolved == {"url": "https://h", "username": "scope.user", "password": "plain"}


@pytest.mark.parametrize(
    "document",
    [
        {**BASE_RULE, "notification_channels": ["${env:OPS}@example.com"]},
        {"destination_id": "mail", "destination_name": "M", "destination_type": "EMAIL", "owner": "o",
         "config_json": {"addresses": ["${env:OPS}@example.com"]}},
        destination(config_json={"url": "${env:HOOK_URL}", "password": "${ env:PW }"}),
        destination(config_json={"url": "${env:HOOK_URL}", "password": "***"}),
        destination(config_json={"url": ["${env:HOOK_URL}"]}),
    ],
    ids=["in a channel", "in a non-secret field", "malformed", "the print mask", "not text"],
)  # fmt: skip
def test_references_out_of_place_are_refused(document: dict[str, Any]) -> None:
    parse = parse_rules if "alert_id" in document else parse_destinations
    problem = only_problem(parse([document]), document.get("alert_id", document.get("destination_id")))
    assert problem.field.startswith(("notification_channels", "config_json"))


@pytest.mark.parametrize(
    ("text", "reason"),
    [("[" * 100_000, "nested too deeply"), ('{"url": ' + "1" * 5000 + "}", "a number too long"), ("{", "Expecting")],
)
def test_config_json_as_hostile_json_text_is_a_finding(text: str, reason: str) -> None:
    problem = only_problem(parse_destinations([destination(config_json=text)]), "hook")
    assert problem.field == "config_json" and reason in problem.message


def test_plain_secrets_are_masked_and_references_kept() -> None:
    config = {"url": "https://hooks.example/T/SECRET", "username": "${env:HOOK_USER}", "password": "hunter2"}
    (parsed,) = parse_destinations([destination(config_json=config)]).valid
    assert parsed.masked_config() == {"url": "***", "username": "${env:HOOK_USER}", "password": "***"}
    email = NotificationDestination.model_validate(
        {"destination_id": "m", "destination_name": "M", "destination_type": "EMAIL", "owner": "o",
         "config_json": {"addresses": ["ops@example.com"]}}
    )  # fmt: skip
    assert email.masked_config() == {"addresses": ["ops@example.com"]}


# --- the whole corpus at once ------------------------------------------------------------------------------------

hostile_values = st.one_of(
    controls.map(lambda c: f"a{c}b"),
    st.sampled_from([math.nan, math.inf, -math.inf, 10**5000, -(10**400), "1e999", "${env:DATABRICKS_TOKEN}"]),
    st.sampled_from(["https://x/${env:HOOK}", "{{secrets/a/b}}x", "", " ", "\x00", "***"]),
    st.recursive(st.integers(), lambda inner: st.lists(inner, max_size=3), max_leaves=5),
)
rule_fields = st.sampled_from([*AlertRule.model_fields, "unknown_key"])


@settings(max_examples=150, deadline=None)
@given(changes=st.dictionaries(rule_fields, hostile_values, min_size=1, max_size=4))
def test_no_hostile_document_crashes_or_is_stored(changes: dict[str, Any]) -> None:
    report = parse_rules([{**BASE_RULE, **changes}])
    for rule in report.valid:
        assert_clean(rule)
    for problem in report.problems:
        assert problem.field and problem.message and problem.hint
        json.dumps(problem.to_problem_dict())  # printable as --json, whatever the input was


@FAST
@given(text=st.text(st.characters(codec="utf-8"), max_size=30))
def test_json_written_by_any_json_writer_reads_back_the_same_text(tmp_path: Path, text: str) -> None:
    """``json.dumps`` escapes a character beyond the BMP as a UTF-16 pair (an emoji in a rule name, as
    ``rules list --json`` writes it): it reads back as that one character, not two lone surrogates."""
    path = tmp_path / "rules.json"
    path.write_text(json.dumps([{**BASE_RULE, "alert_name": text or "x", "tags": {text: text}}]))
    (document,) = read_documents(path)
    assert document["alert_name"] == (text or "x") and document["tags"] == {text: text}


def test_an_emoji_name_from_json_imports_and_a_lone_surrogate_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps([{**BASE_RULE, "alert_name": "Budget \U0001f4b8"}]))
    parsed = parse_rules(read_documents(path))
    assert parsed.problems == [] and parsed.valid[0].alert_name == "Budget \U0001f4b8"
    path.write_text('[{"alert_id": "A", "alert_name": "lone \\ud83d here"}]')
    assert [p.field for p in parse_rules(read_documents(path)).problems if p.field == "alert_name"] == ["alert_name"]


@pytest.mark.parametrize(
    ("message", "first"),
    [
        (
            'Catalog Error: no table "x"!\nDid you mean "y"?\n\nLINE 1: SELECT …\n   ^',
            'Catalog Error: no table "x"!\nDid you mean "y"?',
        ),
        ("\n\nafter a blank start\r\n\r\nLINE 1", "after a blank start"),
        ("one paragraph", "one paragraph"),
        (None, ""),
    ],
)
def test_the_first_paragraph_of_an_engine_message(message: str | None, first: str) -> None:
    from lakealerts.values import first_paragraph

    assert first_paragraph(message) == first
