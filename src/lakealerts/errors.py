"""One error root and a few narrow subclasses.

Only the CLI maps these to exit codes (see ``lakealerts.cli``). Every error that a user can cause carries
what went wrong (``message``) and how to fix it (``hint``); rule-level errors also name the rule and field.
"""

from __future__ import annotations

from typing import ClassVar


class LakeAlertsError(Exception):
    """Root of every error lakealerts raises on purpose.

    ``code`` is the stable name a script reads from ``{"error": {"code", "message", "hint"}}`` with ``--json``.
    """

    code: ClassVar[str] = "ERROR"

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.hint})" if self.hint else self.message


class UsageError(LakeAlertsError):
    """Raised for bad command-line input: unknown ids, unreadable files, invalid names. Exit code 2."""

    code: ClassVar[str] = "USAGE"


class SetupError(LakeAlertsError):
    """Raised when the environment cannot serve the command: no engine, a locked store. Exit code 2."""

    code: ClassVar[str] = "SETUP"


class InvalidIdentifierError(UsageError, ValueError):
    """Raised when a catalog or schema name is not a plain identifier (it is never pasted into SQL)."""

    code: ClassVar[str] = "INVALID_NAME"


class QuartzError(LakeAlertsError, ValueError):
    """Raised when a Quartz cron expression does not parse; ``field`` names the cron field at fault."""

    code: ClassVar[str] = "INVALID_CRON"

    def __init__(self, message: str, hint: str | None = None, field: str | None = None) -> None:
        super().__init__(message, hint)
        self.field = field


class EngineError(LakeAlertsError):
    """Raised by an engine adapter when a statement fails; ``message`` keeps the engine's own text."""

    code: ClassVar[str] = "ENGINE"


class StoreLockedError(SetupError):
    """Raised when the DuckDB file stayed locked by another process for longer than the wait limit."""

    code: ClassVar[str] = "STORE_LOCKED"


class StoredRowError(SetupError):
    """Raised when a stored row no longer passes the model (someone edited the table by hand)."""

    code: ClassVar[str] = "STORED_ROW_INVALID"


class NotFoundError(UsageError):
    """Raised when a rule or destination id is not in the store."""

    code: ClassVar[str] = "NOT_FOUND"
