"""Benchmark: the Alert Center's rules page with 2,000 rules (one page, every row rendered), against the JSON
list of the same rules from the same server in the same run (the baseline: same store reads, no HTML).

Run: .venv/bin/python bench/bench_ui.py [--rules N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from bench.bench_validate import generated_rules
from lakealerts.app import rules, setup
from lakealerts.app.context import AppContext
from lakealerts.app.files import dump_yaml
from lakealerts.app.settings import Settings
from lakealerts.serve import StandIn, UiOptions

TOKEN = "bench-token"


def timed(action: Callable[[], object], runs: int = 5) -> float:
    """Best of ``runs`` wall times of ``action`` (seconds), after one warm-up."""
    action()
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    """Store N rules, serve them, time the page and the JSON list."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rules", type=int, default=2000)
    count = parser.parse_args().rules
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        ctx = AppContext(settings=Settings(home=home), user="bench", env={})
        setup.init_tables(ctx)
        source = Path(tmp) / "rules.yaml"
        source.write_text(dump_yaml([r.model_dump(mode="json") for r in generated_rules(count)]), encoding="utf-8")
        rules.import_rules(ctx, [source])
        with StandIn.start(ctx.settings, TOKEN, ui=UiOptions(ctx)) as standin:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {TOKEN}"
            page_url = f"{standin.url}/ui/rules?page_size={count}"
            json_url = f"{standin.url}/api/lakealerts/v1/rules?page_size={count}"

            def page() -> None:
                answer = session.get(page_url, timeout=60)
                assert answer.status_code == 200 and answer.text.count('class="rule-row"') == count

            def listing() -> None:
                answer = session.get(json_url, timeout=60)
                assert answer.status_code == 200 and len(answer.json()["rules"]) == count

            html_s, json_s = timed(page), timed(listing)
    verdict = "under" if html_s < 0.3 else "OVER"
    print(f"rules page, {count} rules: {html_s * 1000:.0f} ms ({verdict} the 300 ms target); "
          f"JSON list of the same rules: {json_s * 1000:.0f} ms; ratio page/JSON {html_s / json_s:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
