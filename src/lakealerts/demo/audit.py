"""``audit_log``: who did what from where, like ``system.access.audit`` (user identity flattened).

Bulk rows are harmless: users reading non-sensitive objects from the eight office IPs during business
hours (07:00-20:00 UTC). The security signals are a fixed number of rows per day, independent of
``--rows``: a few failed logins an hour, four admin actions and up to three permission changes a day, an
ETL service principal reading a secret 2-6 times an hour and the PII table twice a night, 0-4 on-call
sessions at night, and one login from each office IP every day (so every office IP is "known").

The incidents on the as-of day: 120 failed logins from the unknown IP 203.0.113.66 between 03:00 and
03:50, and an analyst reading ``prod.pii.customers`` three times in the afternoon.
"""

from __future__ import annotations

from lakealerts.demo.hashing import choice
from lakealerts.demo.model import (
    HISTORY_DAYS,
    PARAMS_CTE,
    DemoPlan,
    DemoTable,
    Fragment,
    columns,
    date_at,
    select,
    timestamp_at,
    values_cte,
)

ATTACKER_IP = "203.0.113.66"
BRUTE_FORCE_ATTEMPTS = 120
PII_TABLE = "prod.pii.customers"
PII_READER = "analyst7@example.com"
ETL_PRINCIPAL = "sp-etl-pipelines"
OFFICE_IPS = 8
USERS = 40

# (key, service_name, action_name, request_object): what everyday users do.
BENIGN_ACTIONS = (
    (0, "unityCatalog", "getTable", "prod.sales.orders"),
    (1, "unityCatalog", "getTable", "prod.sales.customers"),
    (2, "notebook", "runCommand", None),
    (3, "clusters", "get", None),
    (4, "unityCatalog", "listTables", "prod.sales"),
    (5, "databrickssql", "commandSubmit", None),
    (6, "workspace", "getStatus", None),
    (7, "dashboards", "getDashboard", None),
)
# (key, service_name, action_name): actions only workspace admins take.
ADMIN_ACTIONS = (
    (0, "accounts", "addPrincipalToGroup"),
    (1, "accounts", "createUser"),
    (2, "workspace", "changeWorkspaceAcl"),
    (3, "workspace", "workspaceConfEdit"),
)

COLUMNS = columns(
    ("event_id", "STRING", "Unique id of the audit event."),
    ("event_time", "TIMESTAMP", "When the request was made."),
    ("event_date", "DATE", "Day of event_time (UTC)."),
    ("workspace_id", "STRING", "Workspace of the request."),
    ("service_name", "STRING", "Service called, e.g. accounts, unityCatalog, secrets."),
    ("action_name", "STRING", "Action taken, e.g. login, getTable, getSecret, updatePermissions."),
    ("user_email", "STRING", "user_identity.email: a user's e-mail or a service principal's name."),
    ("identity_type", "STRING", "USER or SERVICE_PRINCIPAL."),
    ("source_ip_address", "STRING", "IP address the request came from."),
    ("user_agent", "STRING", "Client that sent the request."),
    ("request_object", "STRING", "What the request was about: a table, a secret scope/key, a group."),
    ("response_status_code", "INT", "HTTP status of the response: 200 ok, 401/403 refused."),
    ("response_error_message", "STRING", "Error message of a refused request, else NULL."),
)
_NAMES = tuple(column.name for column in COLUMNS)
_NULL = "CAST(NULL AS STRING)"


def _user(key: str) -> str:
    return f"concat('user', lpad(CAST({key} AS STRING), 2, '0'), '@example.com')"


def _office_ip(key: str) -> str:
    return f"concat('10.20.0.', CAST(10 + {key} AS STRING))"


def _event(prefix: str, key: str, day_back: str, seconds: str, **values: str) -> dict[str, str]:
    """The columns every part shares, from a unique key, a day and seconds after midnight."""
    defaults = {
        "event_id": f"concat('{prefix}-', lpad(CAST({key} AS STRING), 10, '0'))",
        "event_time": timestamp_at(day_back, seconds),
        "event_date": date_at(day_back),
        "workspace_id": f"concat('ws-', CASE {key} % 4 WHEN 0 THEN 'analytics' WHEN 1 THEN 'data-eng' "
        "WHEN 2 THEN 'ml' ELSE 'finance' END)",
        "identity_type": "'USER'",
        "user_agent": "'Mozilla/5.0'",
        "request_object": _NULL,
        "response_status_code": "200",
        "response_error_message": _NULL,
    }
    return {**defaults, **values}


def _bulk() -> str:
    """Everyday activity, business hours only, from the office IPs."""
    values = _event(
        "evt",
        "r.id",
        f"r.id % {HISTORY_DAYS}",
        f"25200 + {choice('r.id', 11, 46800)}",
        service_name="a.service_name",
        action_name="a.action_name",
        user_email=_user(choice("r.id", 12, USERS)),
        source_ip_address=_office_ip(choice("r.id", 13, OFFICE_IPS)),
        request_object="a.request_object",
        user_agent=f"CASE {choice('r.id', 14, 3)} WHEN 0 THEN 'Mozilla/5.0' WHEN 1 THEN 'Databricks-JDBC' "
        "ELSE 'databricks-sdk-py' END",
    )
    source = (
        f"range(?) AS r(id) JOIN benign AS a ON a.action_key = {choice('r.id', 15, len(BENIGN_ACTIONS))} "
        "CROSS JOIN params AS p"
    )
    return select(_NAMES, values, source)


def _failed_logins() -> str:
    """0-3 failed logins in every hour of every day: people mistype passwords."""
    cell = "(s.id div 3)"
    values = _event(
        "fail",
        "s.id",
        f"{cell} div 24",
        f"({cell} % 24) * 3600 + {choice('s.id', 21, 3600)}",
        service_name="'accounts'",
        action_name="'login'",
        user_email=_user(choice("s.id", 22, USERS)),
        source_ip_address=_office_ip(choice("s.id", 23, OFFICE_IPS)),
        response_status_code="401",
        response_error_message="'Invalid credentials'",
    )
    source = f"range({HISTORY_DAYS * 24 * 3}) AS s(id) CROSS JOIN params AS p"
    return select(_NAMES, values, source, where=f"s.id % 3 < {choice(cell, 24, 4)}")


def _office_logins() -> str:
    """One login from every office IP every day, so none of them ever looks new."""
    values = _event(
        "login",
        "s.id",
        f"s.id div {OFFICE_IPS}",
        f"28800 + (s.id % {OFFICE_IPS}) * 60",
        service_name="'accounts'",
        action_name="'login'",
        user_email=_user(f"s.id % {OFFICE_IPS}"),
        source_ip_address=_office_ip(f"s.id % {OFFICE_IPS}"),
    )
    return select(_NAMES, values, f"range({HISTORY_DAYS * OFFICE_IPS}) AS s(id) CROSS JOIN params AS p")


def _admin_actions() -> str:
    """Four admin actions a day, between 09:00 and 17:00."""
    values = _event(
        "admin",
        "s.id",
        "s.id div 4",
        f"(9 + {choice('s.id', 31, 8)}) * 3600 + {choice('s.id', 32, 3600)}",
        service_name="a.service_name",
        action_name="a.action_name",
        user_email="'admin@example.com'",
        source_ip_address=_office_ip("0"),
        request_object="'group:data-analysts'",
    )
    source = (
        f"range({HISTORY_DAYS * 4}) AS s(id) JOIN admin_actions AS a "
        f"ON a.action_key = {choice('s.id', 33, len(ADMIN_ACTIONS))} CROSS JOIN params AS p"
    )
    return select(_NAMES, values, source)


def _permission_changes() -> str:
    """0-3 grants a day on Unity Catalog tables."""
    values = _event(
        "perm",
        "s.id",
        "s.id div 3",
        f"(10 + {choice('s.id', 41, 7)}) * 3600 + {choice('s.id', 42, 3600)}",
        service_name="'unityCatalog'",
        action_name="'updatePermissions'",
        user_email="'data-owner@example.com'",
        source_ip_address=_office_ip("1"),
        request_object="'prod.sales.orders'",
    )
    source = f"range({HISTORY_DAYS * 3}) AS s(id) CROSS JOIN params AS p"
    return select(_NAMES, values, source, where=f"s.id % 3 < {choice('s.id div 3', 43, 4)}")


def _service_principal() -> str:
    """The ETL service principal: 2-6 secret reads an hour, and two PII reads a night at 02:00."""
    cell = "(s.id div 6)"
    secret = _event(
        "secret",
        "s.id",
        f"{cell} div 24",
        f"({cell} % 24) * 3600 + {choice('s.id', 51, 3600)}",
        service_name="'secrets'",
        action_name="'getSecret'",
        user_email=f"'{ETL_PRINCIPAL}'",
        identity_type="'SERVICE_PRINCIPAL'",
        source_ip_address="'10.30.0.5'",
        user_agent="'Databricks-Runtime'",
        request_object="'prod-etl/warehouse-password'",
    )
    secrets = select(
        _NAMES,
        secret,
        f"range({HISTORY_DAYS * 24 * 6}) AS s(id) CROSS JOIN params AS p",
        where=f"s.id % 6 < 2 + {choice(cell, 52, 5)}",
    )
    pii = _event(
        "sppii",
        "s.id",
        "s.id div 2",
        "7200 + (s.id % 2) * 1800",
        service_name="'unityCatalog'",
        action_name="'getTable'",
        user_email=f"'{ETL_PRINCIPAL}'",
        identity_type="'SERVICE_PRINCIPAL'",
        source_ip_address="'10.30.0.5'",
        user_agent="'Databricks-Runtime'",
        request_object=f"'{PII_TABLE}'",
    )
    reads = select(_NAMES, pii, f"range({HISTORY_DAYS * 2}) AS s(id) CROSS JOIN params AS p")
    return f"{secrets}\nUNION ALL\n{reads}"


def _on_call() -> str:
    """0-4 night-time sessions of the on-call engineer (22:00-06:00)."""
    pick = choice("s.id", 61, 8)
    values = _event(
        "oncall",
        "s.id",
        "s.id div 4",
        f"(CASE WHEN {pick} < 2 THEN 22 + {pick} ELSE {pick} - 2 END) * 3600 + {choice('s.id', 62, 3600)}",
        service_name="'notebook'",
        action_name="'runCommand'",
        user_email="'oncall@example.com'",
        source_ip_address=_office_ip("2"),
    )
    source = f"range({HISTORY_DAYS * 4}) AS s(id) CROSS JOIN params AS p"
    return select(_NAMES, values, source, where=f"s.id % 4 < {choice('s.id div 4', 63, 5)}")


def _incidents() -> str:
    """As-of day: a password-guessing burst from an unknown IP, and an analyst reading the PII table."""
    burst = _event(
        "attack",
        "s.id",
        "0",
        "10800 + s.id * 25",
        service_name="'accounts'",
        action_name="'login'",
        user_email=_user(f"s.id % {USERS}"),
        source_ip_address=f"'{ATTACKER_IP}'",
        user_agent="'python-requests/2.31.0'",
        response_status_code="401",
        response_error_message="'Invalid credentials'",
    )
    pii = _event(
        "pii",
        "s.id",
        "0",
        "50400 + s.id * 600",
        service_name="'unityCatalog'",
        action_name="'getTable'",
        user_email=f"'{PII_READER}'",
        source_ip_address=_office_ip("3"),
        request_object=f"'{PII_TABLE}'",
    )
    return (
        select(_NAMES, burst, f"range({BRUTE_FORCE_ATTEMPTS}) AS s(id) CROSS JOIN params AS p")
        + "\nUNION ALL\n"
        + select(_NAMES, pii, "range(3) AS s(id) CROSS JOIN params AS p")
    )


def body(plan: DemoPlan) -> Fragment:
    """The rows of ``audit_log`` for ``plan``."""
    benign = values_cte("benign", ("action_key", "service_name", "action_name", "request_object"), BENIGN_ACTIONS)
    admin = values_cte("admin_actions", ("action_key", "service_name", "action_name"), ADMIN_ACTIONS)
    parts = (
        _bulk(),
        _failed_logins(),
        _office_logins(),
        _admin_actions(),
        _permission_changes(),
        _service_principal(),
        _on_call(),
        _incidents(),
    )
    sql = f"WITH {PARAMS_CTE},\n{benign},\n{admin}\n" + "\nUNION ALL\n".join(parts)
    return Fragment(sql, (*plan.base_params, plan.rows_per_event_table))


TABLE = DemoTable(
    name="audit_log",
    modelled_on="system.access.audit (user_identity flattened to user_email / identity_type)",
    description="Requests to the workspace and account APIs: who, what, from where, and the answer.",
    columns=COLUMNS,
    order_by=("event_id",),
    body=body,
)
