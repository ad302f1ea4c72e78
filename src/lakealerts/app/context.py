"""The composition root: one :class:`AppContext` per process says where the tables are, which engine opens
them, what time it is, who acts, and how to reach a workspace. Use cases take it; tests ``replace()`` a part.

The CLI builds it from flags and the environment; the bundle's jobs from a notebook's engine and widgets;
``serve`` once for the scheduler and the web routes. Nothing below ``app/`` reads the clock or ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lakealerts.app.settings import Settings, current_user
from lakealerts.engines.base import Engine
from lakealerts.errors import SetupError
from lakealerts.secrets import SecretReader
from lakealerts.sql.identifiers import Namespace

if TYPE_CHECKING:  # the store, the engines and the SDK are imported when a use case opens them, not with the CLI
    from databricks.sdk import WorkspaceClient

    from lakealerts.runtime.channels import Transport
    from lakealerts.store.store import Store
    from lakealerts.sync.remote import RemoteWorkspace

Clock = Callable[[], datetime]
EngineOpener = Callable[[], AbstractContextManager[Engine]]


def utc_now() -> datetime:
    """The real clock: the one place that reads the time."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class RemoteOptions:
    """How to reach a workspace: ``--host`` (token auth) or the SDK's own chain (``--profile``, env)."""

    host: str | None = None
    profile: str | None = None
    timeout: float = 60.0


@dataclass(frozen=True)
class AppContext:
    """Everything a use case needs from the outside world, built once per process."""

    settings: Settings = field(default_factory=Settings)
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    clock: Clock = utc_now
    user: str | None = None  # None: the engine's idea of the user (Spark), else LAKEALERTS_USER / the OS user
    engine: EngineOpener | None = None  # None: the embedded DuckDB file under --home
    secret_reader: SecretReader | None = None  # dbutils.secrets.get inside a notebook
    client: WorkspaceClient | None = None  # a ready client (a job's own identity, a test's stand-in)
    transport: Transport | None = None  # None: the channels' real transport, configured from env
    query_timeout: float | None = 60.0  # seconds per rule query (DESIGN §10.1); None: unbounded
    progress: Callable[[str], None] = field(default=lambda _message: None)

    @classmethod
    def for_engine(cls, engine: Engine, catalog: str, schema: str, **parts: Any) -> AppContext:
        """A context over an engine someone else owns (a notebook's Spark session); it is never closed here."""
        settings = Settings(catalog=str(catalog).strip(), schema=str(schema).strip())
        return cls(settings=settings, engine=lambda: nullcontext(engine), **parts)

    def replace(self, **changes: Any) -> AppContext:
        """This context with some parts swapped (tests, a job's clock, a CLI's progress printer)."""
        return dataclasses.replace(self, **changes)

    def now(self) -> datetime:
        """The time, from the context's clock."""
        return self.clock()

    @property
    def namespace(self) -> Namespace:
        """The validated ``catalog.schema`` of the tables."""
        return self.settings.namespace

    @contextmanager
    def store(
        self, *, require_tables: bool = True, read_only: bool = False, write_catalogs: Collection[str] = ()
    ) -> Iterator[Store]:
        """The tables, open for one operation only (DuckDB allows one writing process per file).

        ``read_only`` sessions share the file with other readers (``rules list`` beside ``serve``'s queries).
        The other catalogs under ``<home>/catalogs`` are attached read-only; ``write_catalogs`` names those
        this session writes (created when missing).
        With ``require_tables`` a namespace without tables is a clear error that says to run ``init``.
        Sessions of one process take turns: DuckDB attaches a file once per process at a time.
        """
        from lakealerts.store.store import Store
        from lakealerts.store.tables import ALERT_CONFIGURATIONS

        namespace = self.namespace
        with _SESSION_TURN, self._open_engine(read_only, write_catalogs) as engine, _running(engine):
            store = Store(engine, namespace, self.user or _engine_user(engine) or current_user())
            if require_tables and engine.table_columns(namespace.catalog, namespace.schema,
                                                       ALERT_CONFIGURATIONS.name) is None:  # fmt: skip
                raise SetupError(f"no lakealerts tables in {namespace.catalog}.{namespace.schema}{self._where()}",
                                 hint=self._init_hint())  # fmt: skip
            yield store

    def workspace(self, remote: RemoteOptions) -> RemoteWorkspace:
        """The workspace (the SDK's services behind our retrying facade): the context's client, or the services
        sync uses on one new ``ApiClient`` (the SDK's auth and retries, without loading its other services)."""
        from lakealerts.sync.client import connect
        from lakealerts.sync.remote import RemoteWorkspace

        if self.client is not None:
            return RemoteWorkspace(self.client)
        return RemoteWorkspace(connect(remote.host, remote.profile, remote.timeout, env=self.env))

    def _open_engine(self, read_only: bool, write_catalogs: Collection[str] = ()) -> AbstractContextManager[Engine]:
        if self.engine is not None:
            return self.engine()
        from lakealerts.engines.duckdb import DuckDBEngine

        path = self.settings.store_path
        if read_only and not path.exists():  # nothing to read yet: let a writer create it (and say "init")
            read_only = False
        return DuckDBEngine.open(
            path,
            self.namespace.catalog,
            read_only=read_only,
            catalogs_dir=self.settings.catalogs_dir,
            write_catalogs=write_catalogs,
        )

    def _where(self) -> str:
        return "" if self.engine is not None else f" under {self.settings.home}"

    def _init_hint(self) -> str:
        if self.engine is not None:
            return "run alerting_tables_job (or the orchestrator) first, with the same catalog and gold_schema"
        return "run `lakealerts init` first (or pass the --home/--catalog/--schema you used)"


# One store session at a time per process (RLock: a use case may read inside another's session on one thread).
_SESSION_TURN = threading.RLock()
_OPEN_ENGINES: set[Engine] = set()
_OPEN_LOCK = threading.Lock()


@contextmanager
def _running(engine: Engine) -> Iterator[None]:
    """Keep track of the engines in use, so a shutdown can interrupt what they run."""
    with _OPEN_LOCK:
        _OPEN_ENGINES.add(engine)
    try:
        yield
    finally:
        with _OPEN_LOCK:
            _OPEN_ENGINES.discard(engine)


_STOPPING = threading.Event()


def stop_running_statements() -> int:
    """The process is stopping (SIGTERM): interrupt every statement it runs on a store, and let no new rule
    query start (:func:`stopping`). Returns how many engines were interrupted."""
    _STOPPING.set()
    with _OPEN_LOCK:
        engines = list(_OPEN_ENGINES)
    for engine in engines:
        engine.interrupt()
    return len(engines)


def stopping() -> bool:
    """Whether :func:`stop_running_statements` was called in this process."""
    return _STOPPING.is_set()


def _engine_user(engine: Engine) -> str | None:
    """The engine's idea of who runs it (Spark: ``current_user()``), when it has one."""
    who = getattr(engine, "current_user", None)
    return who() if callable(who) else None
