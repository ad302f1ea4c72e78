"""Template variables as a user gives them (DESIGN §10.3): `--var NAME=VALUE` (global, repeatable) and env
`LAKEALERTS_VAR_<NAME>` render `${NAME}` in rule SQL for `validate` and `eval`; `--var` wins over env; an unknown
variable stays a finding naming it; a value that is SQL is a usage error (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lakealerts.engines.duckdb import DuckDBEngine
from tests.conftest import Cli

pytestmark = pytest.mark.e2e

RULE = {
    "alert_id": "FEATURES", "alert_name": "Feature rows", "agent_domain": "QUALITY", "severity": "WARNING",
    "alert_query_template": "SELECT SUM(value) AS v FROM ${catalog}.${feature_schema}.metrics WHERE env = ${env}",
    "threshold_column": "v", "threshold_operator": ">", "threshold_value_type": "DOUBLE",
    "threshold_value_double": 10, "schedule_cron": "0 * * * * ?", "owner": "o@example.com",
}  # fmt: skip
PROD = ["--var", "feature_schema=ml-features", "--var", "env='prod'"]


@pytest.fixture
def home(cli: Cli, tmp_path: Path) -> Cli:
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump([RULE]))
    assert cli("rules", "import", str(rules)).code == 0
    with DuckDBEngine.open(cli.home / "lakealerts.duckdb", "monitoring") as engine:
        engine.execute("CREATE SCHEMA monitoring.`ml-features`")
        engine.execute("CREATE TABLE monitoring.`ml-features`.metrics (env STRING, value DOUBLE)")
        engine.execute("INSERT INTO monitoring.`ml-features`.metrics VALUES ('prod', 40), ('dev', 2)")
    return cli


def test_var_and_env_render_for_validate_and_eval_and_var_wins(home: Cli) -> None:
    unknown = home("--var", "env='prod'", "validate", "--json")
    assert unknown.code == 1
    (finding,) = unknown.json()[0]["errors"]
    assert finding["code"] == "TEMPLATE_UNKNOWN_VARIABLE" and "${feature_schema}" in finding["message"]
    assert "--var feature_schema=VALUE" in finding["hint"] and "LAKEALERTS_VAR_feature_schema" in finding["hint"]

    assert home(*PROD, "validate").code == 0
    result = home(*PROD, "eval", "--json")
    assert result.code == 0, result.stderr
    assert [(r["state"], r["value"]) for r in result.json()] == [("TRIGGERED", 40.0)]

    env = {"LAKEALERTS_VAR_feature_schema": "ml-features", "LAKEALERTS_VAR_env": "'dev'"}
    from_env = home("eval", "--json", env=env)
    assert [(r["state"], r["value"]) for r in from_env.json()] == [("OK", 2.0)]
    flag_wins = home("--var", "env='prod'", "eval", "--json", env=env)
    assert [(r["state"], r["value"]) for r in flag_wins.json()] == [("TRIGGERED", 40.0)]


@pytest.mark.parametrize(
    ("args", "env", "named"),
    [
        (["--var", "env=x; DROP TABLE y"], {}, "--var env=x; DROP TABLE y: invalid value"),
        (["--var", "env"], {}, "expected NAME=VALUE"),
        (["--var", "catalog=x"], {}, "${catalog} is set by --catalog"),
        ([], {"LAKEALERTS_VAR_env": "1; DELETE FROM t"}, "env LAKEALERTS_VAR_env: invalid value"),
    ],
)
def test_a_value_that_is_sql_is_a_usage_error(cli: Cli, args: list[str], env: dict[str, str], named: str) -> None:
    result = cli(*args, "eval", env=env)
    assert result.code == 2, result.stderr
    assert named in result.stderr and "Traceback" not in result.stderr
