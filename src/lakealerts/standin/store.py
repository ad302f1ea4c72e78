"""The stand-in's own store: alerts, destinations and folders in ``<home>/service.duckdb``.

Only ``serve`` (or an in-process stand-in) opens this file, and holds it for its whole run; the alert rules
and the demo tables stay in ``lakealerts.duckdb``, which the stand-in never holds between requests. Every
write commits at once, so a stopped or killed server loses nothing. The store goes through the engine port
(Databricks SQL, translated), like every other table lakealerts keeps.

One store is one DuckDB connection: callers serialise access (see :class:`lakealerts.standin.workspace`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lakealerts.engines.base import Engine
from lakealerts.engines.duckdb import DuckDBEngine
from lakealerts.standin.alerts import ACTIVE, AlertRecord
from lakealerts.standin.destinations import DestinationRecord

SERVICE_FILE = "service.duckdb"
_CATALOG = "standin"
_ALERT_COLUMNS = "id, owner, create_time, update_time, lifecycle_state, evaluation_state, spec"
_DDL = (
    "CREATE TABLE IF NOT EXISTS alerts (seq BIGINT NOT NULL, id STRING NOT NULL, folder STRING NOT NULL, "
    "display_name STRING NOT NULL, owner STRING NOT NULL, create_time STRING NOT NULL, "
    "update_time STRING NOT NULL, lifecycle_state STRING NOT NULL, evaluation_state STRING NOT NULL, "
    "spec STRING NOT NULL, PRIMARY KEY (id))",
    "CREATE TABLE IF NOT EXISTS destinations (seq BIGINT NOT NULL, id STRING NOT NULL, "
    "display_name STRING NOT NULL, destination_type STRING NOT NULL, config STRING NOT NULL, PRIMARY KEY (id))",
    "CREATE TABLE IF NOT EXISTS folders (path STRING NOT NULL, PRIMARY KEY (path))",
)


class ServiceStore:
    """Rows of the stand-in's tables in and out; no rules here (see ``alerts`` / ``destinations``)."""

    def __init__(self, engine: Engine) -> None:
        """Use ``engine`` (its current catalog holds the tables); :meth:`open` is the usual way in."""
        self._engine = engine
        for statement in _DDL:
            engine.execute(statement)
        self._seq = max(self._max_seq("alerts"), self._max_seq("destinations"))

    @classmethod
    def open(cls, path: Path, *, lock_timeout: float = 10.0) -> ServiceStore:
        """Open (creating if needed) the service store file; StoreLockedError if another server holds it."""
        return cls(DuckDBEngine.open(path, _CATALOG, lock_timeout=lock_timeout))

    def close(self) -> None:
        """Close the file (releases DuckDB's lock)."""
        self._engine.close()

    # --- alerts ---------------------------------------------------------------------------------------

    def add_alert(self, record: AlertRecord, folder: str) -> None:
        """Insert a new alert under the folder identity ``folder``."""
        self._engine.execute(
            "INSERT INTO alerts (seq, id, folder, display_name, owner, create_time, update_time, lifecycle_state, "
            "evaluation_state, spec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [self._next_seq(), record.id, folder, record.display_name, record.owner, record.create_time,
             record.update_time, record.lifecycle_state, record.evaluation_state, json.dumps(record.spec)],
        )  # fmt: skip

    def save_alert(self, record: AlertRecord) -> None:
        """Overwrite an existing alert's document and state (the folder never changes)."""
        self._engine.execute(
            "UPDATE alerts SET display_name = ?, update_time = ?, lifecycle_state = ?, evaluation_state = ?, "
            "spec = ? WHERE id = ?",
            [record.display_name, record.update_time, record.lifecycle_state, record.evaluation_state,
             json.dumps(record.spec), record.id],
        )  # fmt: skip

    def get_alert(self, alert_id: str) -> AlertRecord | None:
        """The alert with ``alert_id`` (trashed ones included), or None."""
        rows = self._engine.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id = ?", [alert_id]).rows
        return _alert(rows[0]) if rows else None

    def remove_alert(self, alert_id: str) -> None:
        """Delete the alert for good (purge)."""
        self._engine.execute("DELETE FROM alerts WHERE id = ?", [alert_id])

    def list_alerts(self, after_seq: int, limit: int) -> list[tuple[int, AlertRecord]]:
        """Up to ``limit`` active alerts created after position ``after_seq``, oldest first, with positions."""
        rows = self._engine.execute(
            f"SELECT seq, {_ALERT_COLUMNS} FROM alerts WHERE seq > ? AND lifecycle_state = ? ORDER BY seq LIMIT ?",
            [after_seq, ACTIVE, limit],
        ).rows
        return [(int(row[0]), _alert(row[1:])) for row in rows]

    def active_alert_named(self, folder: str, display_name: str) -> str | None:
        """The id of the active alert called ``display_name`` in ``folder``, if there is one."""
        rows = self._engine.execute(
            "SELECT id FROM alerts WHERE folder = ? AND display_name = ? AND lifecycle_state = ? LIMIT 1",
            [folder, display_name, ACTIVE],
        ).rows
        return str(rows[0][0]) if rows else None

    # --- destinations ---------------------------------------------------------------------------------

    def add_destination(self, record: DestinationRecord) -> None:
        """Insert a new destination (its config view holds no secret)."""
        self._engine.execute(
            "INSERT INTO destinations (seq, id, display_name, destination_type, config) VALUES (?, ?, ?, ?, ?)",
            [self._next_seq(), record.id, record.display_name, record.destination_type, json.dumps(record.config)],
        )

    def save_destination(self, record: DestinationRecord) -> None:
        """Overwrite an existing destination's name and config view."""
        self._engine.execute(
            "UPDATE destinations SET display_name = ?, config = ? WHERE id = ?",
            [record.display_name, json.dumps(record.config), record.id],
        )

    def get_destination(self, destination_id: str) -> DestinationRecord | None:
        """The destination with ``destination_id``, or None."""
        rows = self._engine.execute(
            "SELECT id, display_name, destination_type, config FROM destinations WHERE id = ?", [destination_id]
        ).rows
        return _destination(rows[0]) if rows else None

    def remove_destination(self, destination_id: str) -> None:
        """Delete the destination."""
        self._engine.execute("DELETE FROM destinations WHERE id = ?", [destination_id])

    def list_destinations(self, after_seq: int, limit: int) -> list[tuple[int, DestinationRecord]]:
        """Up to ``limit`` destinations created after position ``after_seq``, oldest first, with positions."""
        rows = self._engine.execute(
            "SELECT seq, id, display_name, destination_type, config FROM destinations WHERE seq > ? "
            "ORDER BY seq LIMIT ?",
            [after_seq, limit],
        ).rows
        return [(int(row[0]), _destination(row[1:])) for row in rows]

    # --- folders --------------------------------------------------------------------------------------

    def add_folders(self, paths: Sequence[str]) -> None:
        """Record folders (folder identities, see ``alerts.folder_key``); known ones are left alone."""
        missing = [path for path in paths if not self.has_folder(path)]
        if missing:
            self._engine.execute_many("INSERT INTO folders (path) VALUES (?)", [[path] for path in missing])

    def has_folder(self, path: str) -> bool:
        """Whether ``mkdirs`` created the folder ``path``."""
        return bool(self._engine.execute("SELECT 1 FROM folders WHERE path = ?", [path]).rows)

    # --- helpers --------------------------------------------------------------------------------------

    def _max_seq(self, table: str) -> int:
        value = self._engine.execute(f"SELECT coalesce(max(seq), 0) FROM {table}").rows[0][0]
        return int(value)

    def _next_seq(self) -> int:
        # One counter for both tables: positions only order rows, and callers hold the workspace lock.
        self._seq += 1
        return self._seq


def _alert(row: Sequence[Any]) -> AlertRecord:
    alert_id, owner, create_time, update_time, lifecycle_state, evaluation_state, spec = row
    return AlertRecord(
        str(alert_id), json.loads(spec), str(owner), str(create_time), str(update_time),
        str(lifecycle_state), str(evaluation_state),
    )  # fmt: skip


def _destination(row: Sequence[Any]) -> DestinationRecord:
    destination_id, display_name, destination_type, config = row
    return DestinationRecord(str(destination_id), str(display_name), str(destination_type), json.loads(config))
