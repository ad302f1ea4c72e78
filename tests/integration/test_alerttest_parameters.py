"""The test runner binds the pinned clock and the fixtures' rows as parameters (so a rule's text is translated
once, not per tick): the answers must equal those of the portable rewrite with everything inline."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lakealerts.alerttest.runner import FixtureEngine
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.errors import EngineError
from lakealerts.sql.clock import pin_clock, pin_clock_as_parameters
from lakealerts.sql.identifiers import Namespace
from lakealerts.sql.rewrite import Fixture, inject_fixtures

pytestmark = pytest.mark.integration

NAMESPACE = Namespace("monitoring", "gold")
USAGE = Fixture(
    ("monitoring", "gold", "usage"),
    (("day", "DATE"), ("at", "TIMESTAMP"), ("cost", "DECIMAL(38,18)"), ("n", "INT"), ("ok", "BOOLEAN"),
     ("sku", "STRING"), ("ratio", "DOUBLE")),
    ((date(2026, 3, 9), datetime(2026, 3, 9, 23, 30, tzinfo=UTC), 6100.5, 3, True, "JOBS", 0.25),
     (date(2026, 3, 10), datetime(2026, 3, 10, 1, 0, tzinfo=UTC), "0.000000000000000001", None, False, "it's", None),
     (date(2026, 3, 10), None, None, 7, None, None, 1e-3)),
)  # fmt: skip
NESTED = Fixture(
    ("monitoring", "gold", "tagged"),
    (("day", "DATE"), ("tags", "MAP<STRING,STRING>")),
    ((date(2026, 3, 10), {"team": "a"}), (date(2026, 3, 9), {"team": "b"})),
)
QUERIES = [
    "SELECT day, SUM(cost) * 1.1 AS c, AVG(cost) AS a, COUNT(n) AS k, MAX(sku) AS s, BOOL_OR(ok) AS b, "
    "SUM(ratio) AS r FROM usage WHERE day >= date_sub(CURRENT_DATE(), 1) GROUP BY day ORDER BY day",
    "SELECT COUNT(*) AS n FROM usage u JOIN usage v ON u.day = v.day WHERE u.at < CURRENT_TIMESTAMP()",
    "SELECT day, CAST('2026-03-10' AS DATE) = day AS literal_day FROM usage ORDER BY day, literal_day",
    "SELECT t.tags['team'] AS team, COUNT(*) AS n FROM tagged t JOIN usage u ON u.day = t.day "
    "WHERE t.day = CURRENT_DATE() GROUP BY 1",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("at", [datetime(2026, 3, 10, 12, tzinfo=UTC), datetime(2026, 3, 11, 0, 30, tzinfo=UTC)])
def test_bound_rows_and_clock_answer_like_the_inline_rewrite(query: str, at: datetime) -> None:
    assert _bound_and_inline(query, at, [USAGE, NESTED]) is None


def _bound_and_inline(query: str, at: datetime, fixtures: list[Fixture]) -> str | None:
    """None when the rule's query answers the same bound (as a test runs it) and inline; else the difference."""
    pinned = pin_clock(query, at)
    inline = DuckDBEngine.memory("monitoring")
    bound = FixtureEngine(DuckDBEngine.memory("monitoring"), fixtures, NAMESPACE, "UTC", (query, lambda: at))
    with inline, bound:
        answers = []
        for engine, sql in ((inline, inject_fixtures(pinned, fixtures, "monitoring", "gold")), (bound, pinned)):
            try:
                answers.append(engine.execute(sql))
            except EngineError as error:
                answers.append(error.message.split(":")[0])  # the kind of error, not DuckDB's wording
        if bound._bound(pinned) is None and "$" not in query:  # the rule's own query takes the bound path
            return "not bound"
        return None if answers[0] == answers[1] else f"{answers[0]} != {answers[1]}"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT SUM(cost) AS c -- was: CAST('2026-01-01' AS DATE)\nFROM usage WHERE day = CURRENT_DATE()",
        "/* CAST('2026-01-01' AS DATE) */ SELECT COUNT(*) AS n FROM usage",
        "SELECT COUNT(*) AS `CAST('2026-03-10' AS DATE)` FROM usage WHERE day = CURRENT_DATE()",
        "SELECT SUM(cost) AS c FROM usage WHERE day = CAST($1 AS DATE) AND day <= CURRENT_DATE()",  # stray marker
        "SELECT COUNT(*) AS n, $2 AS leak FROM usage WHERE day = CURRENT_DATE()",
        "SELECT " + " + ".join(["(SELECT SUM(cost) FROM usage)"] * 12) + " AS c",  # 12 references
    ],
)
def test_what_a_rule_writes_is_never_taken_for_the_pinned_clock(query: str) -> None:
    simple = Fixture(("monitoring", "gold", "usage"), (("day", "DATE"), ("cost", "DOUBLE")),
                     ((date(2026, 3, 10), 1.5), (date(2026, 3, 9), 2.5)))  # fmt: skip
    assert _bound_and_inline(query, datetime(2026, 3, 10, 12, tzinfo=UTC), [simple]) is None


def test_every_instant_of_a_rule_shares_one_text() -> None:
    query = "SELECT COUNT(*) AS n FROM usage WHERE day = CURRENT_DATE() AND at < now()"
    prepared = [pin_clock_as_parameters(query, datetime(2026, 3, d, h, tzinfo=UTC)) for d in (9, 10) for h in (0, 5)]
    texts = {p[0] for p in prepared if p is not None}
    assert texts == {"SELECT COUNT(*) AS n FROM usage WHERE day = CAST($1 AS DATE) AND at < CAST($2 AS TIMESTAMP)"}


@pytest.mark.parametrize(
    "query", ["SELECT 'lakealerts_pinned_date_4f1c' AS x", r"SELECT 'lakealerts_pinned_\date_4f1c' AS x",
              r"SELECT 'lakealerts_pinned_\u0064ate_4f1c' AS x, CURRENT_DATE() AS d"],
)  # fmt: skip
def test_a_rule_naming_the_clock_token_is_refused_however_it_is_escaped(query: str) -> None:
    with pytest.raises(ValueError, match="reserves for pinning the clock"):
        pin_clock(query, datetime(2026, 3, 10, tzinfo=UTC))


def test_a_session_is_its_own_connection_and_leaves_the_database_open() -> None:
    database = DuckDBEngine.memory("monitoring")
    with database:
        first, second = database.session(), database.session()
        first.execute("CREATE TEMP TABLE scratch AS SELECT 1 AS x")  # a temp table lives in its connection only
        with pytest.raises(EngineError):
            second.execute("SELECT x FROM scratch")
        first.close()
        assert second.execute("SELECT 41 + 1 AS answer").rows == ((42,),)
        assert database.execute("SELECT current_database() AS db").rows == (("monitoring",),)
