"""The translation cache (issue 19): one SQL text translates once per process, keyed by the dialect options too."""

from __future__ import annotations

import pytest

from lakealerts.sql.translate import cache_info, translate

pytestmark = pytest.mark.unit


def test_the_same_text_and_options_translate_once() -> None:
    sql = "SELECT percentile(x, 0.5) AS value FROM main.gold.cache_probe_once"
    first = translate(sql, {"main": "lakealerts_main"})
    hits, misses, _ = cache_info()
    again = translate(sql, {"MAIN": "lakealerts_main"})  # the same options, spelled in another case
    assert again is first and cache_info()[:2] == (hits + 1, misses)


def test_other_options_are_another_entry() -> None:
    sql = "SELECT x AS value FROM main.gold.cache_probe_options"
    aliased = translate(sql, {"main": "lakealerts_main"})
    _, misses, _ = cache_info()
    plain = translate(sql, {})
    assert cache_info()[1] == misses + 1
    assert "lakealerts_main" in aliased.sql and "lakealerts_main" not in plain.sql
