"""The channel registry: one kind per destination type, the outbox's copies, dispatch by type (no I/O)."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from lakealerts.model import DestinationType
from lakealerts.runtime.channels import (
    KINDS,
    PAGERDUTY_URL,
    Channel,
    DeliveryError,
    DeliverySettings,
    RegistryTransport,
    SkippedDelivery,
    SmtpSettings,
    kind_of,
)
from lakealerts.runtime.messages import Message

pytestmark = pytest.mark.unit
MESSAGE = Message(
    alert_id="COST-1", alert_name="Spend", state="TRIGGERED", previous_state="OK", value=9000, condition="value >",
    threshold=5000.0, evaluated_at=datetime(2026, 11, 27, 8, 0, tzinfo=UTC), subject="[WARNING] Spend is TRIGGERED",
    body="Value: 9000\nOwner: o", severity="WARNING",
)  # fmt: skip
HTTP_CONFIGS: dict[DestinationType, dict[str, Any]] = {
    DestinationType.SLACK: {"url": "https://hooks.example/services/SECRET"},
    DestinationType.MICROSOFT_TEAMS: {"url": "https://teams.example/SECRET"},
    DestinationType.WEBHOOK: {"url": "https://hook.example/SECRET", "username": "bot", "password": "pw"},
    DestinationType.PAGERDUTY: {"integration_key": "SECRET"},
}


class RecordingSession(requests.Session):
    """Records posts instead of sending them; answers with ``status`` or raises ``error``."""

    def __init__(self) -> None:
        super().__init__()
        self.status = 202
        self.error: requests.RequestException | None = None
        self.posts: list[tuple[str, dict[str, Any]]] = []

    def post(self, url: Any, data: Any = None, json: Any = None, **kwargs: Any) -> requests.Response:
        self.posts.append((url, {"json": json, **kwargs}))
        if self.error is not None:
            raise self.error
        response = requests.Response()
        response.status_code = self.status
        return response


def test_every_destination_type_has_exactly_one_kind() -> None:
    assert Counter(kind.type for kind in KINDS.values()) == Counter(DestinationType)
    assert all(kind_of(kind_type).type is kind_type for kind_type in DestinationType)


def test_only_pagerduty_resolves_on_recovery() -> None:
    assert {kind.type for kind in KINDS.values() if kind.resolves_on_recovery} == {DestinationType.PAGERDUTY}


@pytest.mark.parametrize("kind_type", list(HTTP_CONFIGS))
def test_http_kinds_copy_the_message_as_json_without_the_config(kind_type: DestinationType) -> None:
    suffix, content = kind_of(kind_type).copy(
        "ignored@x.test", Channel("ops", kind_type, HTTP_CONFIGS[kind_type]), MESSAGE
    )
    assert suffix == ".json" and b"SECRET" not in content
    expected = (
        '{\n  "channel": "ops",\n  "type": "<type>",\n  "alert_id": "COST-1",\n  "alert_name": "Spend",\n'
        '  "state": "TRIGGERED",\n  "previous_state": "OK",\n  "value": 9000,\n  "condition": "value >",\n'
        '  "threshold": 5000.0,\n  "evaluated_at": "2026-11-27T08:00:00+00:00",\n'
        '  "subject": "[WARNING] Spend is TRIGGERED",\n  "body": "Value: 9000\\nOwner: o"\n}'
    )
    assert content == expected.replace("<type>", kind_type.value).encode()


def test_email_copy_is_the_email_itself() -> None:
    channel = Channel("ops", DestinationType.EMAIL, {"addresses": ["a@x.test", "b@x.test"]})
    suffix, content = kind_of(DestinationType.EMAIL).copy("alerts@x.test", channel, MESSAGE)
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert suffix == ".eml" and parsed["From"] == "alerts@x.test" and parsed["To"] == "a@x.test, b@x.test"
    assert parsed["Subject"] == MESSAGE.subject and parsed["X-Lakealerts-Alert"] == "COST-1"
    assert parsed.get_content() == MESSAGE.body + "\n"


def test_transport_dispatches_by_type_and_names_only_the_host() -> None:
    session = RecordingSession()
    transport = RegistryTransport(DeliverySettings(pagerduty_url="https://pd.test/enqueue", session=session))
    for kind_type, config in HTTP_CONFIGS.items():
        transport.send(Channel("c", kind_type, {}), config, MESSAGE, "trigger")
    hosts = ["hooks.example/services", "teams.example", "hook.example"]
    assert [url for url, _ in session.posts] == [*(f"https://{h}/SECRET" for h in hosts), "https://pd.test/enqueue"]
    slack, _, webhook, pagerduty = (sent for _, sent in session.posts)
    assert slack["json"] == {"text": "*[WARNING] Spend is TRIGGERED*\nValue: 9000\nOwner: o"}
    assert webhook["auth"] == ("bot", "pw") and pagerduty["json"]["dedup_key"] == "lakealerts-COST-1"
    session.status = 500
    with pytest.raises(DeliveryError, match=r"^HTTP 500 from hooks\.example$"):
        transport.send(Channel("c", DestinationType.SLACK, {}), HTTP_CONFIGS[DestinationType.SLACK], MESSAGE, "ok")
    session.error = requests.ConnectionError("cannot reach https://hooks.example/services/SECRET")
    with pytest.raises(DeliveryError, match=r"^ConnectionError posting to hooks\.example$"):
        transport.send(Channel("c", DestinationType.SLACK, {}), HTTP_CONFIGS[DestinationType.SLACK], MESSAGE, "ok")


def test_email_without_smtp_url_is_skipped() -> None:
    with pytest.raises(SkippedDelivery, match="no LAKEALERTS_SMTP_URL"):
        RegistryTransport().send(
            Channel("a@x.test", DestinationType.EMAIL, {}), {"addresses": ["a@x.test"]}, MESSAGE, "trigger"
        )


def test_delivery_settings_from_env() -> None:
    assert DeliverySettings.from_env({}).smtp == SmtpSettings(None, "lakealerts@localhost")
    assert DeliverySettings.from_env({"LAKEALERTS_PAGERDUTY_URL": ""}).pagerduty_url == PAGERDUTY_URL
    env = {
        "LAKEALERTS_SMTP_URL": "smtps://h",
        "LAKEALERTS_SMTP_FROM": "f@x.test",
        "LAKEALERTS_PAGERDUTY_URL": "http://pd",
    }
    settings = DeliverySettings.from_env(env)
    assert settings.smtp == SmtpSettings("smtps://h", "f@x.test") and settings.pagerduty_url == "http://pd"


def test_header_values_never_carry_control_characters() -> None:
    """CR/LF in a rendered subject cannot inject a header (import refuses them; sending folds them too)."""
    from datetime import UTC, datetime

    from lakealerts.runtime.channels import email_message
    from lakealerts.runtime.messages import Message

    message = Message("A\r\nBcc: x@evil.test", "n", "TRIGGERED", "OK", 1, "v >", 0, datetime(2026, 1, 1, tzinfo=UTC),
                      "hi\r\nBcc: victim@evil.test\x00", "body", "WARNING", "id-1")  # fmt: skip
    email = email_message("me@example.com", ["ops@example.com"], message)
    assert email["Subject"] == "hi Bcc: victim@evil.test" and email["Bcc"] is None
    assert email["X-Lakealerts-Alert"] == "A Bcc: x@evil.test" and email["Message-ID"] == "<id-1@lakealerts>"


def test_an_smtp_password_never_reaches_an_error() -> None:
    from datetime import UTC, datetime

    import pytest as _pytest

    from lakealerts.runtime.channels import DeliveryError, DeliverySettings, SmtpSettings, kind_of
    from lakealerts.runtime.messages import Message

    settings = DeliverySettings(SmtpSettings("smtp://bob:hunter2/x@127.0.0.1:2525"))
    message = Message("A", "n", "TRIGGERED", "OK", 1, "v >", 0, datetime(2026, 1, 1, tzinfo=UTC), "s", "b", "INFO")
    with _pytest.raises(DeliveryError) as raised:
        kind_of(DestinationType.EMAIL).send({"addresses": ["ops@example.com"]}, message, "trigger", settings)
    assert "hunter2" not in str(raised.value) and "bob" not in str(raised.value)
