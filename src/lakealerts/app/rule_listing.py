"""``rules list`` as a table: the stored rows, shown without loading the rule model for rows it checked before.

The rule model (pydantic) costs ~70 ms of a command's start-up, as much as Python, DuckDB and opening the store
together. A listing must still name a row broken by hand in SQL, so every row goes through the model once; the
digest of a row that passed (and shows the same through the model as stored) is then kept in a memo under
``<home>/cache``, and a later listing shows such rows as they are stored, without the model.

A digest covers every column of the row (values and their types) and a fingerprint of what checks it (the
files of this package, Python's and the validating libraries' versions, the time-zone files), so a changed row,
a sync's write-back or another version of the code checks the row again. The memo is a cache: missing,
unreadable or foreign lines mean "check"; failing to write it changes nothing else. It only decides what this
table shows — ``rules list --json``, ``eval``, ``sync`` and ``validate`` always load rules through the model.
Whoever can write the memo can also write the store it describes (both live under the home).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lakealerts
from lakealerts.app.context import AppContext
from lakealerts.findings import Finding

if TYPE_CHECKING:
    from lakealerts.model import StoredRule

_DIGEST_LENGTH = 64  # hex of SHA-256
_MEMO_PREFIX = "checked-rules-"


@dataclass(frozen=True)
class RuleSummary:
    """The columns ``rules list`` shows for one rule."""

    alert_id: str
    alert_name: str
    agent_domain: str
    severity: str
    schedule_cron: str
    schedule_timezone: str
    is_enabled: bool
    last_sync_status: str | None

    @classmethod
    def of_row(cls, row: Mapping[str, Any]) -> RuleSummary:
        """The summary of a stored row, as stored."""
        return cls(*(row[name] for name in _SUMMARY_COLUMNS))

    @classmethod
    def of_rule(cls, stored: StoredRule) -> RuleSummary:
        """The summary of a rule the model loaded."""
        rule = stored.rule
        return cls(
            rule.alert_id,
            rule.alert_name,
            rule.agent_domain,
            rule.severity.value,
            rule.schedule_cron,
            rule.schedule_timezone,
            rule.is_enabled,
            stored.sync.last_sync_status,
        )


_SUMMARY_COLUMNS = tuple(RuleSummary.__dataclass_fields__)


@dataclass(frozen=True)
class RuleSummaries:
    """Every readable rule's summary (by ``alert_id``), and a problem per row the model rejects."""

    rules: list[RuleSummary]
    problems: list[Finding]
    checked: int  # rows that went through the model in this listing (the others were in the memo)


def summarize_rules(ctx: AppContext) -> RuleSummaries:
    """The rules' summaries, in the store's order; rows the memo does not vouch for are checked by the model (a
    rejected row is named in ``problems`` and left out, as in ``rules list --json``)."""
    with ctx.store() as store:
        rows = store.rule_rows()
    memo = _memo_path(ctx)
    known = _read_memo(memo) if memo is not None else frozenset()
    digests = [row_digest(row) for row in rows]
    summaries: list[RuleSummary] = []
    problems: list[Finding] = []
    vouched: list[str] = []
    checked = 0
    for row, digest in zip(rows, digests, strict=True):
        as_stored = RuleSummary.of_row(row)
        if digest in known:
            summaries.append(as_stored)
            vouched.append(digest)
            continue
        checked += 1
        stored, row_problems = _check(row)  # this row's own verdict (its id may read differently through the model)
        if stored is None:
            problems.extend(row_problems)
            continue
        through_model = RuleSummary.of_rule(stored)
        summaries.append(through_model)
        if through_model == as_stored:  # shown the same without the model: the memo may vouch for it
            vouched.append(digest)
    if memo is not None and checked:
        _write_memo(memo, vouched)
    return RuleSummaries(summaries, problems, checked)


def _check(row: dict[str, Any]) -> tuple[StoredRule | None, list[Finding]]:
    from lakealerts.store.store import rule_of_row  # loads the model: only for a row the memo does not vouch for

    return rule_of_row(row)


def row_digest(row: Mapping[str, Any]) -> str:
    """SHA-256 of every column of ``row`` — names, values and their Python types (``repr``: the text
    ``'2026-01-01'`` and the date 2026-01-01 differ) — and of the code that checks it (:func:`code_fingerprint`)."""
    text = repr(sorted(row.items()))
    return hashlib.sha256(f"{code_fingerprint()}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()


@cache
def code_fingerprint() -> str:
    """What decides whether the model accepts a row: the size and modification time of every file of this
    package; the Python version; the versions of pydantic, pydantic-core, annotated-types and tzdata; and the
    time-zone search path with its directories' modification times (a time zone is valid when a file names it).
    Stats and installed metadata only: no import of the model, a few milliseconds."""
    import zoneinfo  # here, not at the top: importing this module stays cheap

    package = Path(lakealerts.__file__).parent
    lines = [lakealerts.__version__, sys.version, *(f"{name}={_installed(name)}" for name in _DEPENDENCIES)]
    for path in [*sorted(package.rglob("*.py")), *(Path(directory) for directory in zoneinfo.TZPATH)]:
        try:
            status = path.stat()
        except OSError:
            lines.append(f"{path}: missing")
            continue
        lines.append(f"{path}:{status.st_size}:{status.st_mtime_ns}")
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogatepass")).hexdigest()


_DEPENDENCIES = ("pydantic", "pydantic-core", "annotated-types", "tzdata")


def _installed(distribution: str) -> str:
    import importlib.metadata  # ~15 ms to import, already loaded by DuckDB when a listing asks

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _memo_path(ctx: AppContext) -> Path | None:
    """One memo per store file and namespace; none for an engine the context does not own (a notebook's)."""
    if ctx.engine is not None:
        return None
    where = f"{ctx.settings.store_path.resolve()}\n{ctx.namespace.qualified}"
    return ctx.settings.cache_dir / f"{_MEMO_PREFIX}{hashlib.sha256(where.encode()).hexdigest()[:16]}"


def _read_memo(path: Path) -> frozenset[str]:
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return frozenset()
    return frozenset(line for line in text.split("\n") if len(line) == _DIGEST_LENGTH and _is_hex(line))


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def _write_memo(path: Path, digests: Iterable[str]) -> None:
    """Replace the memo in one step (a reader sees the old file or the new one); a failure is ignored."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="ascii") as file:
                file.write("".join(f"{digest}\n" for digest in sorted(set(digests))))
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError:
        pass  # a read-only home: the next listing checks again
