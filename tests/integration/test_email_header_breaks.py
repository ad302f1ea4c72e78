"""A query value with a Unicode line break in an e-mail subject is folded to a space and sent, never FAILED.

Python's e-mail package refuses a header holding anything ``str.splitlines()`` breaks on (U+2028, U+2029, U+0085,
\\x1c-\\x1e, not only CR and LF): the value would silence the rule's e-mail, or inject a header.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path

import pytest

from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.runtime.channels import DefaultTransport, SmtpSettings
from lakealerts.runtime.channels.email import header_value
from lakealerts.sql.identifiers import Namespace
from lakealerts.store.store import Store
from tests.builders import make_rule, run_round, store_runtime
from tests.endpoints import smtp_server

pytestmark = pytest.mark.integration
T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
LINE_BREAKS = [chr(c) for c in range(sys.maxunicode + 1) if len(f"a{chr(c)}b".splitlines()) > 1]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with DuckDBEngine.open(tmp_path / "lakealerts.duckdb", "monitoring") as engine:
        store = Store(engine, Namespace("monitoring", "gold"), "tester")
        store.init()
        yield store


def test_every_line_break_python_knows_is_folded_in_a_header() -> None:
    assert {"\u2028", "\u2029", "\x85", "\x1c", "\x1d", "\x1e"} <= set(LINE_BREAKS)
    for char in LINE_BREAKS:
        assert header_value(f"user{char}Bcc: evil@example.com") == "user Bcc: evil@example.com", repr(char)


@pytest.mark.parametrize("separator", [8232, 8233, 133, 28])
def test_a_line_separator_in_the_value_is_sent_as_a_space_without_an_extra_header(
    store: Store, tmp_path: Path, separator: int
) -> None:
    rule = make_rule(
        alert_id="HX-9",
        agent_domain="SECURITY",
        alert_query_template=f"SELECT 'user' || chr({separator}) || 'Bcc: evil@example.com' AS who",
        threshold_column="who",
        threshold_operator="IS_NOT_NULL",
        threshold_value_type="STRING",
        threshold_value_double=None,
        notification_channels=["soc@example.com"],
        use_custom_template=True,
        custom_subject_template="Login by {{QUERY_RESULT_VALUE}}",
    )
    with smtp_server() as smtp:
        transport = DefaultTransport(SmtpSettings(smtp.url, "alerts@lakealerts.test"))
        box = store_runtime(store, outbox_dir=tmp_path / "outbox", transport=transport, sender="alerts@lakealerts.test")
        (run,) = run_round(store, [rule], {}, T0, runtime=box)
        assert run.state == "TRIGGERED"
        assert [(d.status, d.attempts, d.last_error) for d in run.deliveries] == [("SENT", 1, None)]
        (mail,) = smtp.messages
    assert mail["Subject"] == "Login by user Bcc: evil@example.com"
    assert mail["Bcc"] is None and mail["To"] == "soc@example.com"
    assert sorted(mail.keys()) == ["Content-Transfer-Encoding", "Content-Type", "From", "MIME-Version", "Message-ID",
                                   "Subject", "To", "X-Lakealerts-Alert"]  # fmt: skip
    (copy,) = (tmp_path / "outbox").glob("*.eml")  # the outbox keeps the very e-mail
    kept = message_from_bytes(copy.read_bytes())
    assert kept["Subject"] == mail["Subject"] and kept["Bcc"] is None
