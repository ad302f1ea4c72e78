"""``system.access.audit``: the audit log (who did what, from where, and what the service answered).

Everyday events: people log in on working days and read Unity Catalog tables, run notebook commands and
start clusters; the ETL service principal logs in with its token and reads secrets; now and then someone
mistypes a password (one 401), and about once a week an admin changes a grant. Incidents of the as-of day,
early in the morning (UTC): a password-guessing burst from one address, a personal access token created
without expiry, a user added to the ``admins`` group, and a catalog-wide grant to all account users.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

from lakealerts.systables.fleet import (
    ACCOUNT_ID,
    ADHOC,
    ADMIN,
    ALICE,
    ATTACKER_IP,
    BOB,
    DAVE,
    PEOPLE,
    PROD_WORKSPACE,
    SERVICE_PRINCIPAL,
)
from lakealerts.systables.model import Incident, Row, SystemPlan, SystemTable, at, columns, hex_id, uid

# Columns and types as `DESCRIBE TABLE system.access.audit` reports them; the page documents each one.
AUDIT_DOC = "https://docs.databricks.com/aws/en/admin/system-tables/audit-logs"
AUDIT_COLUMNS = columns("""
    account_id : string
    workspace_id : string
    version : string
    event_time : timestamp
    event_date : date
    source_ip_address : string
    user_agent : string
    session_id : string
    user_identity : struct<email:string,subject_name:string>
    service_name : string
    action_name : string
    request_id : string
    request_params : map<string,string>
    response : struct<status_code:int,error_message:string,result:string>
    audit_level : string
    event_id : string
    identity_metadata : struct<run_by:string,run_as:string,acting_resource:string,run_by_display_name:string,run_as_display_name:string>
""")  # noqa: E501 - one column per line, as DESCRIBE prints it

OFFICE_IPS = tuple(f"198.51.100.{n}" for n in range(10, 20))
BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Safari/605.1.15"
SDK = "databricks-sdk-py/0.40.0 python/3.11.9 os/linux"
ATTACKER_AGENT = "python-requests/2.31.0"
FAILED_LOGINS = 45
FAILED_LOGIN_TARGETS = (ALICE, ADMIN, BOB)
READ_TABLES = ("prod.sales.orders", "prod.sales.customers", "prod.finance.ledger", "dev.scratch.events")

INCIDENTS = (
    Incident(
        "system.access.audit",
        0,
        "03:05-03:27",
        f"failed logins: {FAILED_LOGINS} accounts/login events answered 401 from {ATTACKER_IP} "
        f"({ATTACKER_AGENT}) against {', '.join(FAILED_LOGIN_TARGETS)}",
    ),
    Incident(
        "system.access.audit",
        0,
        "04:12",
        f"personal access token created without expiry: accounts/generateDbToken by {BOB}",
    ),
    Incident(
        "system.access.audit",
        0,
        "04:31",
        f"admin change: {ADMIN} adds {DAVE} to the admins group (accounts/addPrincipalToGroup, account level)",
    ),
    Incident(
        "system.access.audit",
        0,
        "04:33",
        f"permission change: {DAVE} grants ALL_PRIVILEGES on catalog prod to account users "
        "(unityCatalog/updatePermissions)",
    ),
)


def _event(
    rng: random.Random,
    when: datetime,
    who: str,
    service: str,
    action: str,
    params: dict[str, str],
    status: int = 200,
    *,
    ip: str | None = None,
    agent: str = BROWSER,
    error: str | None = None,
    result: str | None = None,
    account_level: bool = False,
) -> Row:
    identity: dict[str, Any] = {"run_by": who, "run_as": who}
    return {
        "account_id": ACCOUNT_ID,
        "workspace_id": "0" if account_level else PROD_WORKSPACE,
        "version": "2.0",
        "event_time": when,
        "event_date": when.date(),
        "source_ip_address": ip or rng.choice(OFFICE_IPS),
        "user_agent": agent,
        "session_id": hex_id(rng, 32),
        "user_identity": {"email": who, "subject_name": None},
        "service_name": service,
        "action_name": action,
        "request_id": uid(rng),
        "request_params": params,
        "response": {"status_code": status, "error_message": error, "result": result},
        "audit_level": "ACCOUNT_LEVEL" if account_level else "WORKSPACE_LEVEL",
        "event_id": hex_id(rng, 32),
        "identity_metadata": identity,
    }


def _working_time(rng: random.Random, day: date) -> datetime:
    return at(day, rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59))


def _everyday(rng: random.Random, plan: SystemPlan, back: int) -> list[Row]:
    day = plan.day(back)
    rows = []
    if day.weekday() < 5:
        for person in PEOPLE:
            rows.append(_event(rng, _working_time(rng, day), person, "accounts", "login", {"user": person}))
            for _ in range(rng.randint(2, 5)):
                table = rng.choice(READ_TABLES)
                rows.append(_event(rng, _working_time(rng, day), person, "unityCatalog", "getTable",
                                   {"full_name_arg": table}))  # fmt: skip
            for _ in range(rng.randint(1, 3)):
                rows.append(_event(rng, _working_time(rng, day), person, "notebook", "runCommand",
                                   {"notebookId": str(rng.randint(10**6, 10**7))}))  # fmt: skip
        rows.append(_event(rng, at(day, 7, 55), ALICE, "clusters", "start", {"cluster_id": "0312-094512-shared01"}))
        if rng.random() < 0.3:
            who = rng.choice(PEOPLE)
            rows.append(_event(rng, _working_time(rng, day), who, "accounts", "login", {"user": who}, 401,
                               error="Invalid credentials"))  # fmt: skip
    for hour in range(0, 24, 4):
        when = at(day, hour, 1, rng.randint(0, 59))
        rows.append(_event(rng, when, SERVICE_PRINCIPAL, "accounts", "tokenLogin", {"user": SERVICE_PRINCIPAL},
                           ip="10.0.12.7", agent=SDK))  # fmt: skip
        rows.append(_event(rng, when, SERVICE_PRINCIPAL, "secrets", "getSecret", {"scope": "etl", "key": "db"},
                           ip="10.0.12.7", agent=SDK))  # fmt: skip
    if back % 7 == 3:  # a routine grant, about once a week
        rows.append(_event(rng, at(day, 11, 20), ADMIN, "unityCatalog", "updatePermissions",
                           {"securable_type": "table", "securable_full_name": "prod.sales.orders",
                            "changes": '[{"principal":"analysts","add":["SELECT"]}]'}))  # fmt: skip
    if back == ADHOC.created_back:
        params = {"cluster_name": ADHOC.name, "node_type_id": ADHOC.node_type, "autotermination_minutes": "0"}
        result = f'{{"cluster_id":"{ADHOC.cluster_id}"}}'
        rows.append(_event(rng, at(day, 10, 12), DAVE, "clusters", "create", params, result=result))
    return rows


def _incidents(rng: random.Random, plan: SystemPlan) -> list[Row]:
    day = plan.day(0)
    rows = []
    for attempt in range(FAILED_LOGINS):
        who = FAILED_LOGIN_TARGETS[attempt % len(FAILED_LOGIN_TARGETS)]
        when = at(day, 3, 5, attempt * 29 + rng.randint(0, 9))
        rows.append(_event(rng, when, who, "accounts", "login", {"user": who}, 401, ip=ATTACKER_IP,
                           agent=ATTACKER_AGENT, error="Invalid credentials"))  # fmt: skip
    rows.append(_event(rng, at(day, 4, 12, 9), BOB, "accounts", "generateDbToken",
                       {"comment": "laptop automation", "tokenExpirationTime": "-1"},
                       result=f'{{"token_id":"{hex_id(rng, 64)}"}}'))  # fmt: skip
    rows.append(_event(rng, at(day, 4, 31, 40), ADMIN, "accounts", "addPrincipalToGroup",
                       {"targetGroupName": "admins", "targetUserName": DAVE}, account_level=True))  # fmt: skip
    rows.append(_event(rng, at(day, 4, 33, 2), DAVE, "unityCatalog", "updatePermissions",
                       {"securable_type": "catalog", "securable_full_name": "prod",
                        "changes": '[{"principal":"account users","add":["ALL_PRIVILEGES"]}]'}))  # fmt: skip
    return rows


def _audit(plan: SystemPlan) -> list[Row]:
    rng = plan.rng("access.audit")
    rows = [row for back in range(plan.days - 1, -1, -1) for row in _everyday(rng, plan, back)]
    rows.extend(_incidents(rng, plan))
    return sorted(rows, key=lambda row: row["event_time"])


AUDIT = SystemTable("access", "audit", AUDIT_DOC, AUDIT_COLUMNS, _audit)
TABLES = (AUDIT,)
