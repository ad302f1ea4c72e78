"""One error root and a few narrow subclasses.

Only the CLI maps these to exit codes (see ``lakealerts.cli``). Every error that a user can cause carries
what went wrong (``message``) and how to fix it (``hint``); rule-level errors also name the rule and field.
"""

from __future__ import annotations


class LakeAlertsError(Exception):
    """Root of every error lakealerts raises on purpose."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.hint})" if self.hint else self.message


class UsageError(LakeAlertsError):
    """Raised for bad command-line input: unknown ids, unreadable files, invalid names. Exit code 2."""


class SetupError(LakeAlertsError):
    """Raised when the environment cannot serve the command: no engine, a locked store. Exit code 2."""


class InvalidIdentifierError(UsageError, ValueError):
    """Raised when a catalog or schema name is not a plain identifier (it is never pasted into SQL)."""


class QuartzError(LakeAlertsError, ValueError):
    """Raised when a Quartz cron expression does not parse; ``field`` names the cron field at fault."""

    def __init__(self, message: str, hint: str | None = None, field: str | None = None) -> None:
        super().__init__(message, hint)
        self.field = field


class EngineError(LakeAlertsError):
    """Raised by an engine adapter when a statement fails; ``message`` keeps the engine's own text."""


class StoreLockedError(SetupError):
    """Raised when the DuckDB file stayed locked by another process for longer than the wait limit."""


class StoredRowError(SetupError):
    """Raised when a stored row no longer passes the model (someone edited the table by hand)."""


class NotFoundError(UsageError):
    """Raised when a rule or destination id is not in the store."""
