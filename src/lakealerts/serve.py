"""``lakealerts serve``: the HTTP server (mounting the workspace stand-in) and the runtime's scheduler.

``serve`` is a composition of :class:`Component` s that run side by side on one asyncio loop until SIGTERM
or Ctrl-C (:func:`run_until_signalled`): the HTTP server and the scheduler (:func:`run_service`). The HTTP
server also serves the Alert Center (``lakealerts.web``) under ``/ui`` and ``/api/lakealerts/v1``.
``StandIn.start`` serves the same app from a background thread on a free loopback port (tests, quickstart).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from lakealerts.app.context import AppContext, stop_running_statements
from lakealerts.app.settings import Settings, current_user
from lakealerts.errors import SetupError
from lakealerts.standin.app import create_app
from lakealerts.standin.statements import DEFAULT_STATEMENT_TIMEOUT, StatementRunner
from lakealerts.standin.store import SERVICE_FILE, ServiceStore
from lakealerts.standin.workspace import Workspace
from lakealerts.web import SchedulerWatch, WebContext, create_web_app

if TYPE_CHECKING:
    from lakealerts.app.scheduling import StoreBatchEvaluator
    from lakealerts.runtime.ports import RuleRun

_START_TIMEOUT = 10.0


class Component(Protocol):
    """Something ``serve`` runs until asked to stop (the HTTP server; later the scheduler)."""

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, then finish cleanly."""
        ...


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: ``serve`` owns SIGTERM/SIGINT for all its components.

    (uvicorn re-raises a captured signal after shutting down, which would end the process with -15
    instead of the clean exit 0 that ``serve`` promises.)
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class HttpServer:
    """The stand-in app served by uvicorn on an already bound socket; a :class:`Component`."""

    def __init__(self, app: ASGIApp, sock: socket.socket, interrupt: Callable[[], None] = lambda: None) -> None:
        """Serve ``app`` on ``sock`` once :meth:`run` is awaited; ``interrupt`` cancels what the app runs now."""
        self.interrupt = interrupt
        config = uvicorn.Config(
            app, http="h11", ws="none", lifespan="off", log_config=None, access_log=False,
            proxy_headers=False, timeout_graceful_shutdown=5,
        )  # fmt: skip
        self._server = _Server(config)
        self._sock = sock
        host, port = sock.getsockname()[:2]
        self.url = f"http://{host}:{port}"

    @property
    def started(self) -> bool:
        """Whether the server accepts connections."""
        return bool(self._server.started)

    def request_stop(self) -> None:
        """Ask the server to finish (safe from any thread: uvicorn polls the flag)."""
        self._server.should_exit = True

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set or :meth:`request_stop` is called, then shut down gracefully."""
        serving = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        self.request_stop()
        stopping.cancel()
        await serving


def service_store_path(settings: Settings) -> Path:
    """``<home>/service.duckdb``: the stand-in's own store."""
    return settings.home / SERVICE_FILE


@dataclass(frozen=True)
class UiOptions:
    """The Alert Center beside the stand-in (DESIGN §13): the context its routes use, whether it may apply a
    plan (``--ui-allow-sync``), and the scheduler's rounds to show."""

    ctx: AppContext
    allow_sync: bool = False
    watch: SchedulerWatch = field(default_factory=SchedulerWatch)


@contextlib.contextmanager
def open_http_server(
    settings: Settings,
    token: str,
    bind: str,
    port: int,
    statement_timeout: float = DEFAULT_STATEMENT_TIMEOUT,
    ui: UiOptions | None = None,
) -> Iterator[HttpServer]:
    """The stand-in for ``settings`` bound to ``bind:port`` (0 = a free port), with the Alert Center under
    ``/ui`` and ``/api/lakealerts/v1`` when ``ui`` is given; closes its store at exit.

    Raises :class:`SetupError` when the port is taken or another server holds ``service.duckdb``.
    """
    sock = bind_socket(bind, port)
    try:
        store = ServiceStore.open(service_store_path(settings))
    except BaseException:
        sock.close()
        raise
    try:
        workspace = Workspace(store, current_user())
        statements = StatementRunner(settings.store_path, settings.catalog, statement_timeout=statement_timeout)
        app: ASGIApp = create_app(workspace, statements, token)
        if ui is not None:
            host, bound = sock.getsockname()[:2]
            web = WebContext(ui.ctx, token, _loopback_url(host, bound), ui.allow_sync, ui.watch)
            app = WithAlertCenter(create_web_app(web), app)
        yield HttpServer(app, sock, statements.interrupt)
    finally:
        sock.close()
        store.close()


class WithAlertCenter:
    """Sends ``/ui…`` and ``/api/lakealerts/…`` to the Alert Center and everything else to the stand-in, whose
    ``/api/2.0`` keeps its own contract (DESIGN §6)."""

    def __init__(self, web: ASGIApp, standin: ASGIApp) -> None:
        """Route between the two apps."""
        self.web = web
        self.standin = standin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch on the path."""
        path = scope.get("path", "")
        mine = path == "/ui" or path.startswith(("/ui/", "/api/lakealerts/"))
        await (self.web if mine else self.standin)(scope, receive, send)


def _loopback_url(host: str, port: int) -> str:
    """How this process reaches its own server (``plan`` in the UI syncs against it)."""
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; SetupError naming the fix when that fails."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY only on sockets that do, and without it every keep-alive
    # request (the SDK's session) waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SetupError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another --port (or stop the program using it), and check --bind",
        ) from exc
    sock.listen(128)
    sock.setblocking(False)
    return sock


def run_until_signalled(components: Sequence[Component], on_signal: Callable[[], object] | None = None) -> None:
    """Run ``components`` side by side until SIGTERM or SIGINT (Ctrl-C), then stop them all and return.

    ``on_signal`` runs when the signal arrives (``serve`` interrupts the rule queries in flight with it).
    If one component ends or fails, the others are stopped too; a failure is raised after they finished.
    """
    asyncio.run(_run_with_signals(components, on_signal))


async def run_components(components: Sequence[Component], stop: asyncio.Event) -> None:
    """Run ``components`` until ``stop`` is set; the first one to end sets it for the others."""

    async def run_one(component: Component) -> None:
        try:
            await component.run(stop)
        finally:
            stop.set()

    async with asyncio.TaskGroup() as group:
        for component in components:
            group.create_task(run_one(component))


async def _run_with_signals(components: Sequence[Component], on_signal: Callable[[], object] | None) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stopping() -> None:
        stop.set()
        if on_signal is not None:
            on_signal()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping)
    try:
        await run_components(components, stop)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


def run_service(
    ctx: AppContext,
    token: str,
    bind: str,
    port: int,
    *,
    scheduler: bool = True,
    max_parallel: int = 2,
    ui_allow_sync: bool = False,
) -> None:
    """Serve the stand-in and the Alert Center (and, with ``scheduler``, evaluate the rules on their
    schedules) until signalled. ``ui_allow_sync`` lets the Alert Center apply a plan."""
    settings = ctx.settings
    timeout = ctx.query_timeout or DEFAULT_STATEMENT_TIMEOUT  # the stand-in's statements, bounded like rule queries
    ui = UiOptions(ctx, ui_allow_sync, SchedulerWatch(running=scheduler))
    with open_http_server(settings, token, bind, port, timeout, ui) as http:
        ctx.progress(f"lakealerts stand-in on {http.url} (store {service_store_path(settings)}, "
                     f"statements on {settings.store_path}); stop with Ctrl-C or SIGTERM")  # fmt: skip
        ctx.progress(f"use it with: DATABRICKS_HOST={http.url} DATABRICKS_TOKEN=<token>")
        ctx.progress(f"Alert Center on {http.url}/ui/ (log in with the token); its API under "
                     f"{http.url}/api/lakealerts/v1")  # fmt: skip
        components: list[Component] = [http]
        if scheduler:
            components.append(_scheduler(ctx, max_parallel, ui.watch))
        run_until_signalled(components, on_signal=lambda: (stop_running_statements(), http.interrupt()))


@dataclass(frozen=True)
class _Watched:
    """The scheduler's batch evaluator, recording each round's start for the Alert Center's overview."""

    inner: StoreBatchEvaluator
    watch: SchedulerWatch

    def evaluate(self, alert_ids: Sequence[str], now: datetime) -> list[RuleRun]:
        """Record the round, then run it."""
        self.watch.record(now)
        return self.inner.evaluate(alert_ids, now)


def _scheduler(ctx: AppContext, max_parallel: int, watch: SchedulerWatch | None = None) -> Component:
    """The runtime's scheduler on the store, with the real clock and the context's environment."""
    from lakealerts.app.scheduling import StoreBatchEvaluator, StoreRuleSource
    from lakealerts.runtime.scheduler import SchedulerComponent, SystemClock

    ctx.progress("scheduler on: evaluating rules on their schedules (disable with --no-scheduler)")
    evaluator = StoreBatchEvaluator(ctx)
    return SchedulerComponent(
        StoreRuleSource(ctx),
        _Watched(evaluator, watch or SchedulerWatch()),
        SystemClock(ctx.clock),
        max_parallel=max_parallel,
        send_owed=evaluator.send_owed,
    )


class StandIn:
    """A stand-in running in this process, on a loopback port, in a background thread.

    ``with StandIn.start(settings, token) as standin: WorkspaceClient(host=standin.url, token=token, ...)``
    """

    def __init__(self, http: HttpServer, thread: threading.Thread, exit_stack: contextlib.ExitStack) -> None:
        """Wrap a started server (use :meth:`start`)."""
        self._http = http
        self._thread = thread
        self._exit_stack = exit_stack
        self.url = http.url

    @classmethod
    def start(
        cls, settings: Settings, token: str, *, bind: str = "127.0.0.1", port: int = 0, ui: UiOptions | None = None
    ) -> StandIn:
        """Start serving ``settings.home`` on ``bind:port`` (0 = a free port) and wait until it accepts; with
        ``ui`` the Alert Center too."""
        with contextlib.ExitStack() as stack:
            http = stack.enter_context(open_http_server(settings, token, bind, port, ui=ui))
            thread = threading.Thread(target=asyncio.run, args=(http.run(asyncio.Event()),), daemon=True)
            thread.name = f"lakealerts-standin-{http.url}"
            thread.start()
            _wait_started(http, thread)
            return cls(http, thread, stack.pop_all())
        raise AssertionError("unreachable")  # pragma: no cover - the with block returns or raises

    def stop(self) -> None:
        """Stop serving, wait for the thread, and close the service store. Stopping twice is harmless."""
        self._http.request_stop()
        self._thread.join(timeout=15)
        self._exit_stack.close()

    def __enter__(self) -> Self:
        """Return the running stand-in."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop it."""
        self.stop()


def _wait_started(http: HttpServer, thread: threading.Thread) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while not http.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            http.request_stop()
            thread.join(timeout=5)
            raise SetupError(f"the stand-in did not start on {http.url}", hint="see the log above for the cause")
        time.sleep(0.01)
