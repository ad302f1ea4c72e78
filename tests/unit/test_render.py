"""Rendering rule SQL with template variables (DESIGN §10.3): the value's rendering, unknown variables as findings,
the precedence of `--var` over env, and the same rendering in the query text synced to Databricks."""

from __future__ import annotations

import pytest

from lakealerts.app.settings import template_variables
from lakealerts.errors import InvalidIdentifierError, UsageError
from lakealerts.sql.identifiers import Namespace
from lakealerts.sql.render import render, template_findings
from lakealerts.sync.mapping import MappingContext, to_alert
from tests.builders import make_rule

pytestmark = pytest.mark.unit
TEMPLATE = "SELECT x FROM ${catalog}.${feature_schema}.t WHERE env = ${env} AND n > ${ n }"


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("ml", "`ml`"),  # an identifier is quoted, like ${catalog}
        ("ml-features", "`ml-features`"),
        ("42", "42"),  # literals render as written
        ("-1.5e3", "-1.5e3"),
        ("'prod'", "'prod'"),
        ("'it''s'", "'it''s'"),
        ("TRUE", "TRUE"),
        ("null", "null"),
    ],
)
def test_a_value_renders_as_an_identifier_or_a_literal(value: str, rendered: str) -> None:
    namespace = Namespace.of("monitoring", "gold", [("feature_schema", value), ("env", value), ("n", value)])
    assert render(TEMPLATE, namespace) == (
        f"SELECT x FROM `monitoring`.{rendered}.t WHERE env = {rendered} AND n > {rendered}"
    )
    assert template_findings(TEMPLATE, namespace=namespace) == []


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("env", "x; DROP TABLE y", "invalid value"),
        ("env", "'a' OR 1=1 --'", "invalid value"),
        ("env", "'a\\'", "invalid value"),  # no backslash escapes
        ("env", "'line\nbreak'", "invalid value"),
        ("env", "x`y", "invalid value"),
        ("env", "", "invalid value"),
        ("bad-name", "1", "invalid template variable name"),
        ("1st", "1", "invalid template variable name"),
        ("gold_schema", "x", "${gold_schema} is set by --schema"),
    ],
)
def test_a_value_that_is_no_identifier_or_literal_is_refused(name: str, value: str, message: str) -> None:
    with pytest.raises(InvalidIdentifierError, match=message.replace("$", r"\$")):
        Namespace.of("monitoring", "gold", [(name, value)])


def test_an_unknown_variable_stays_a_finding_naming_it() -> None:
    namespace = Namespace.of("monitoring", "gold", [("Env", "'prod'")])
    findings = template_findings(TEMPLATE, namespace=namespace)
    assert [(f.code, f.message) for f in findings] == [
        ("TEMPLATE_UNKNOWN_VARIABLE", "unknown template variable ${feature_schema}"),
        ("TEMPLATE_UNKNOWN_VARIABLE", "unknown template variable ${env}"),
        ("TEMPLATE_UNKNOWN_VARIABLE", "unknown template variable ${n}"),
    ]
    assert "--var feature_schema=VALUE" in findings[0].hint and "LAKEALERTS_VAR_feature_schema" in findings[0].hint
    assert "did you mean ${Env}" in findings[1].hint
    assert "${feature_schema}" in render(TEMPLATE, namespace)  # left as written, never guessed


def test_var_wins_over_env_and_a_later_var_over_an_earlier_one() -> None:
    env = {"LAKEALERTS_VAR_env": "'dev'", "LAKEALERTS_VAR_feature_schema": "ml", "OTHER": "x"}
    variables = template_variables(["env='prod'", "n=1", "n=2"], env)
    assert variables == (("env", "'prod'"), ("feature_schema", "ml"), ("n", "2"))
    with pytest.raises(UsageError, match="expected NAME=VALUE"):
        template_variables(["env"], {})
    with pytest.raises(UsageError, match="env LAKEALERTS_VAR_env: invalid value"):
        template_variables([], {"LAKEALERTS_VAR_env": "1; DROP TABLE t"})


def test_the_synced_query_text_is_rendered_the_same_way() -> None:
    namespace = Namespace.of("main", "gold", [("feature_schema", "ml"), ("env", "'prod'"), ("n", "3")])
    alert = to_alert(make_rule(alert_query_template=TEMPLATE, threshold_column="x"), MappingContext(namespace, "wh"))
    assert alert.query_text == "SELECT x FROM `main`.`ml`.t WHERE env = 'prod' AND n > 3"
