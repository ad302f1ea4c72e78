"""The test runner binds the pinned clock and the fixtures' rows as parameters (so a rule's text is translated
once, not per tick): the answers must equal those of the portable rewrite with everything inline."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lakealerts.alerttest.runner import FixtureEngine
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.sql.clock import as_parameters, pin_clock
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
    pinned = pin_clock(query, at)
    inline = DuckDBEngine.memory("monitoring")
    with inline, FixtureEngine(DuckDBEngine.memory("monitoring"), [USAGE, NESTED], NAMESPACE, "UTC") as engine:
        expected = inline.execute(inject_fixtures(pinned, [USAGE, NESTED], "monitoring", "gold"))
        assert engine.execute(pinned) == expected
        assert engine.execute(pinned) == expected  # the second tick reuses the prepared text


def test_every_instant_of_a_rule_shares_one_text() -> None:
    query = "SELECT COUNT(*) AS n FROM usage WHERE day = CURRENT_DATE() AND at < now()"
    texts = {as_parameters(pin_clock(query, datetime(2026, 3, d, h, tzinfo=UTC)))[0] for d in (9, 10) for h in (0, 5)}
    assert texts == {"SELECT COUNT(*) AS n FROM usage WHERE day = CAST($1 AS DATE) AND at < CAST($2 AS TIMESTAMP)"}


def test_a_rule_naming_the_clock_token_is_refused() -> None:
    with pytest.raises(ValueError, match="reserves for pinning the clock"):
        pin_clock("SELECT 'lakealerts_pinned_date_4f1c' AS x", datetime(2026, 3, 10, tzinfo=UTC))
