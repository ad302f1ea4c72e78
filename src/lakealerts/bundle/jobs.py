"""The bundle's jobs as library calls: one function per atomic job, called by its notebook with widget values.

Every function takes an engine (the port: Spark in a notebook, DuckDB in tests) and the job's parameters as
the notebook's widgets give them — text — and runs the application's use case on a context over that engine
(:meth:`lakealerts.app.context.AppContext.for_engine`). Names are validated before any SQL is written;
"bool-ish" text (``true``/``false``, ``yes``/``no``, ``1``/``0``) becomes a bool; anything else is a
:class:`UsageError` naming the widget. Each returns a small status dict that the notebook hands to
``dbutils.notebook.exit``.

A job fails only on environment errors (raised as they are), when a success rate falls below its threshold, or
when a file shipped with the bundle holds a document the import rejects (:class:`JobFailedError`). Invalid rules
are findings: the validation job records them and succeeds; the deploy job skips them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lakealerts.app import setup
from lakealerts.app.context import AppContext, Clock, RemoteOptions, utc_now
from lakealerts.app.destinations import import_destinations
from lakealerts.app.rules import ImportReport, import_rules
from lakealerts.app.sync import sync_alerts, sync_destinations_only
from lakealerts.app.validate import validate_store
from lakealerts.catalog.seeding import default_destination
from lakealerts.engines.base import Engine
from lakealerts.errors import LakeAlertsError, UsageError
from lakealerts.secrets import SecretReader
from lakealerts.sync.policy import DEFAULT_PARENT_PATH, DEFAULT_SUCCESS_THRESHOLD, DeletePolicy, SyncOptions
from lakealerts.sync.status import SyncStatus

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from lakealerts.app.sync import SyncResult

_TRUE = frozenset({"true", "t", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "off", ""})
_WAREHOUSE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_LISTED = 20  # ids listed in a status; the tables hold the rest
#: The files a shipped folder contributes (``rules/*.yaml`` …), imported in name order.
RULE_FILE_SUFFIXES = (".yaml", ".yml", ".json")


class JobFailedError(LakeAlertsError):
    """Raised when a job's success rate is below its threshold; ``status`` is what the job would have returned."""

    def __init__(self, message: str, status: dict[str, Any]) -> None:
        super().__init__(message, hint="see the rule outcomes in alert_configurations and alert_sync_metrics")
        self.status = status


# --- the jobs ----------------------------------------------------------------------------------------------


def setup_tables(engine: Engine, catalog: str, gold_schema: str, *, user: str | None = None) -> dict[str, Any]:
    """``alerting_tables_job``: create the schema and every table; add columns missing from older versions."""
    ctx = _context(engine, catalog, gold_schema, user=user)
    report = setup.init_tables(ctx).report
    return _status("tables", ctx, created_tables=report.created_tables, added_columns=report.added_columns)


def seed_rules(
    engine: Engine,
    catalog: str,
    gold_schema: str,
    force: str | bool = "false",
    email: str = "",
    *,
    user: str | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """``alerting_seed_job``: the 29 pre-built rules (missing ones, or all with ``force``) and ``default_email``."""
    restore, address = parse_bool(force, "force"), str(email).strip() or None
    if address is not None:
        default_destination(address)  # UsageError for a widget value that is no address, before any SQL
    ctx = _context(engine, catalog, gold_schema, user=user, clock=clock)
    report = setup.seed(ctx, force=restore, email=address).report
    return _status(
        "seed",
        ctx,
        inserted=len(report.inserted),
        restored=len(report.restored),
        unchanged=len(report.unchanged),
        destination=report.destination,
    )


def import_rule_files(
    engine: Engine,
    catalog: str,
    gold_schema: str,
    rules_dir: str = "",
    destinations_dir: str = "",
    *,
    user: str | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """``alerting_import_job``: upsert the destination files, then the rule files shipped with the bundle.

    Each folder's ``*.yaml``, ``*.yml`` and ``*.json`` files are imported in name order by the app's use cases,
    exactly as ``lakealerts destinations import`` and ``lakealerts rules import`` do: all files of a folder are
    read before any of them is stored (an unreadable one is a UsageError), destinations first so that the rules'
    channels name stored destinations. An empty widget skips that folder; a folder that does not exist is a
    UsageError naming the widget. A rejected document fails the job (:class:`JobFailedError`, after the valid
    ones are stored, like the CLI's exit 1), so a mistyped key never goes unnoticed in a deploy.
    """
    folders = {"destinations_dir": parse_folder(destinations_dir, "destinations_dir"),
               "rules_dir": parse_folder(rules_dir, "rules_dir")}  # fmt: skip
    files = {widget: shipped_files(folder) for widget, folder in folders.items()}
    ctx = _context(engine, catalog, gold_schema, user=user, clock=clock)
    reports = {
        "destinations": import_destinations(ctx, files["destinations_dir"]) if files["destinations_dir"] else None,
        "rules": import_rules(ctx, files["rules_dir"]) if files["rules_dir"] else None,
    }
    counts = {what: _import_counts(report) for what, report in reports.items()}
    rejected = [problem.to_problem_dict() for report in reports.values() if report for problem in report.rejected]
    shipped = [f"{path.parent.name}/{path.name}" for paths in files.values() for path in paths]
    status = _status("import", ctx, files=shipped[:_LISTED], **counts, rejected=rejected[:_LISTED])
    if rejected:
        failed = {**status, "status": "FAILED"}
        raise JobFailedError(f"import: {len(rejected)} problems in the shipped files: {failed}", failed)
    return status


def validate_rules_job(
    engine: Engine, catalog: str, gold_schema: str, *, user: str | None = None, clock: Clock = utc_now
) -> dict[str, Any]:
    """``alerting_validation_job``: check every rule (static, then on the engine) and record the results.

    Invalid rules are findings, not a failure: the job succeeds and names them.
    """
    ctx = _context(engine, catalog, gold_schema, user=user, clock=clock)
    run = validate_store(ctx)  # the engine checks run on the notebook's engine, the store's own
    report, invalid = run.report, sorted(run.report.invalid_ids)
    return _status(
        "validation",
        ctx,
        run_id=run.run_id,
        checked=len(report.results),
        valid=len(report.results) - len(invalid),
        invalid=len(invalid),
        invalid_ids=invalid[:_LISTED],
    )


def sync_notifications(
    engine: Engine,
    catalog: str,
    gold_schema: str,
    dry_run: str | bool = "false",
    min_success_rate: str | float = str(DEFAULT_SUCCESS_THRESHOLD),
    *,
    client: WorkspaceClient | None = None,
    secret_reader: SecretReader | None = None,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """``alerting_notifications_job``: sync notification destinations only (secrets resolved just before use).

    Fails when fewer than ``min_success_rate`` of the destinations synced.
    """
    dry, threshold = parse_bool(dry_run, "dry_run"), parse_rate(min_success_rate, "min_success_rate")
    ctx = _context(engine, catalog, gold_schema, user=user, clock=clock, env=env, secret_reader=secret_reader,
                   client=client)  # fmt: skip
    result = sync_destinations_only(_with_tables(ctx), RemoteOptions(), dry_run=dry)
    failed = sorted(d.destination_id for d in result.failed)
    status = _status("notifications", ctx, run_id=result.run_id, dry_run=dry, destinations=len(result.destinations),
                     failed=len(failed), failed_ids=failed[:_LISTED], success_rate=result.success_rate)  # fmt: skip
    return _checked(status, result.success_rate, threshold)


def deploy_alerts(
    engine: Engine,
    catalog: str,
    gold_schema: str,
    warehouse_id: str,
    dry_run: str | bool = "false",
    delete_policy: str = DeletePolicy.keep.value,
    parent_path: str = DEFAULT_PARENT_PATH,
    min_success_rate: str | float = str(DEFAULT_SUCCESS_THRESHOLD),
    *,
    client: WorkspaceClient | None = None,
    secret_reader: SecretReader | None = None,
    env: Mapping[str, str] | None = None,
    user: str | None = None,
    clock: Clock = utc_now,
) -> dict[str, Any]:
    """``alerting_deploy_job``: destinations, then every valid rule to SQL Alerts V2; invalid rules are skipped.

    Fails when the success rate is below ``min_success_rate``. ``dry_run`` plans and records only metrics.
    """
    dry, threshold = parse_bool(dry_run, "dry_run"), parse_rate(min_success_rate, "min_success_rate")
    policy, folder = parse_delete_policy(delete_policy), parse_parent_path(parent_path)
    options = SyncOptions(parse_warehouse_id(warehouse_id) or "", folder, policy, dry)
    ctx = _context(engine, catalog, gold_schema, user=user, clock=clock, env=env, secret_reader=secret_reader,
                   client=client)  # fmt: skip
    result = sync_alerts(_with_tables(ctx), RemoteOptions(), options)
    return _checked(_deploy_status(ctx, result), result.success_rate, threshold)


def _deploy_status(ctx: AppContext, result: SyncResult) -> dict[str, Any]:
    """The deploy job's status: the plan's counts, the failed rules and the success rate."""
    plan = result.plan
    failed = sorted(o.alert_id for o in result.outcomes if o.alert_id and o.status == SyncStatus.FAILED)
    return _status(
        "deploy", ctx, run_id=result.run_id, dry_run=result.dry_run, create=len(plan.create),
        update=len(plan.update), delete=len(plan.delete), unchanged=len(plan.unchanged), skipped=len(plan.skipped),
        invalid=sum(1 for s in plan.skipped if s.status == SyncStatus.INVALID), failed=len(failed),
        failed_ids=failed[:_LISTED], success_rate=result.success_rate,
    )  # fmt: skip


# --- widget values -----------------------------------------------------------------------------------------


def parse_bool(value: str | bool, widget: str) -> bool:
    """A widget's bool-ish text as a bool (true/false, yes/no, 1/0, on/off; empty is false)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UsageError(f"widget {widget} must be true or false, got {value!r}", hint=f"set {widget} to true or false")


def parse_rate(value: str | float, widget: str) -> float:
    """A success-rate threshold between 0 and 1."""
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise UsageError(f"widget {widget} must be a number from 0 to 1, got {value!r}", hint=f"e.g. {widget}=0.9")
    return rate


def parse_delete_policy(value: str) -> DeletePolicy:
    """``keep``, ``trash`` or ``purge`` (any case)."""
    try:
        return DeletePolicy(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(p.value for p in DeletePolicy)
        raise UsageError(f"widget delete_policy must be one of {choices}, got {value!r}", hint="use keep") from None


def parse_warehouse_id(value: str) -> str | None:
    """A warehouse id (letters, digits, ``_``/``-``), or None when empty."""
    text = str(value or "").strip()
    if text and not _WAREHOUSE_ID.fullmatch(text):
        raise UsageError(
            f"widget warehouse_id is not a SQL warehouse id: {value!r}",
            hint="use the id from the warehouse's URL or connection details",
        )
    return text or None


def parse_parent_path(value: str) -> str:
    """An absolute workspace folder without ``..`` (alerts outside it are never touched)."""
    text = str(value or "").strip().rstrip("/")
    if not text.startswith("/") or ".." in text.split("/"):
        raise UsageError(
            f"widget parent_path must be an absolute workspace folder, got {value!r}",
            hint=f"e.g. {DEFAULT_PARENT_PATH}",
        )
    return text


def parse_folder(value: str, widget: str) -> Path | None:
    """A folder of shipped files (``${workspace.file_path}/rules``), or None when the widget is empty."""
    text = str(value or "").strip()
    if not text:
        return None
    folder = Path(text)
    if not folder.is_dir():
        raise UsageError(
            f"widget {widget} is not a folder: {text!r}",
            hint=f"ship the folder with the bundle (it is synced to ${{workspace.file_path}}), or set {widget} "
            "to an empty value to import nothing from it",
        )
    return folder


def shipped_files(folder: Path | None) -> list[Path]:
    """The rule or destination files of ``folder`` (``*.yaml``, ``*.yml``, ``*.json``), in name order."""
    if folder is None:
        return []
    return sorted(path for path in folder.iterdir() if path.is_file() and path.suffix.lower() in RULE_FILE_SUFFIXES)


# --- helpers -----------------------------------------------------------------------------------------------


def _context(
    engine: Engine, catalog: str, gold_schema: str, *, env: Mapping[str, str] | None = None, **parts: Any
) -> AppContext:
    """The job's context over the notebook's engine on ``catalog.gold_schema`` (validated before any SQL).

    Secrets come from ``env`` (default: the process environment) and the notebook's secret reader; without a
    ``client`` the SDK authenticates as the job's identity by itself.
    """
    return AppContext.for_engine(engine, catalog, gold_schema, env=os.environ if env is None else env, **parts)


def _with_tables(ctx: AppContext) -> AppContext:
    """``ctx`` once its tables are known to exist: a SetupError naming ``alerting_tables_job`` otherwise, before
    any workspace call."""
    with ctx.store():
        pass
    return ctx


def _import_counts(report: ImportReport | None) -> dict[str, int]:
    """An import's counts for a job status (zeros when the folder was skipped or empty)."""
    if report is None:
        return {"inserted": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    return {"inserted": report.inserted, "updated": report.updated, "unchanged": report.unchanged,
            "rejected": report.rejected_documents}  # fmt: skip


def _status(job: str, ctx: AppContext, **details: Any) -> dict[str, Any]:
    namespace = ctx.namespace
    return {"job": job, "status": "SUCCEEDED", "namespace": f"{namespace.catalog}.{namespace.schema}", **details}


def _checked(status: dict[str, Any], rate: float, threshold: float) -> dict[str, Any]:
    """The status, or JobFailedError when the success rate is below the threshold."""
    if rate < threshold:
        failed = {**status, "status": "FAILED"}
        raise JobFailedError(f"{status['job']}: success rate {rate:.0%} is below {threshold:.0%}: {failed}", failed)
    return status
