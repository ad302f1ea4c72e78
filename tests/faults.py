"""A real HTTP proxy that injects faults in front of the workspace stand-in (no mocks: the SDK talks HTTP to it).

Each request draws its fault from a seeded stream *per HTTP method*, so the faults a run's POSTs meet are the
same from run to run whatever the thread interleaving. Faults happen either before the request reaches the
stand-in, or after it (the nasty case: the workspace did the work, the client sees an error or nothing):

- ``THROTTLED`` 429 and ``UNAVAILABLE`` 503 with ``Retry-After: 1`` (the SDK retries both, POST included);
- ``INTERNAL_ERROR`` 500 (the SDK does not retry it; our adapter retries it for GET/PATCH/DELETE only);
- ``DROP`` closes the socket without an answer (the SDK retries connection errors);
- ``SLOW`` answers after ``slow_seconds`` (set it above the client's ``http_timeout_seconds``).

The proxy also counts API calls (for the benchmark) and can add a fixed latency to every request.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Hop-by-hop headers are the proxy's own business; everything else passes through unchanged.
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade", "host"})
_ID_SEGMENT = re.compile(r"/[0-9a-fA-F-]{16,}(?=/|$)")


class Fault(StrEnum):
    """What the proxy does to one request instead of (or besides) forwarding it faithfully."""

    NONE = "none"
    THROTTLED = "429"
    UNAVAILABLE = "503"
    INTERNAL_ERROR = "500"
    DROP = "drop"
    SLOW = "slow"


_STATUS = {Fault.THROTTLED: 429, Fault.UNAVAILABLE: 503, Fault.INTERNAL_ERROR: 500}
_ERROR_CODE = {429: "REQUEST_LIMIT_EXCEEDED", 503: "TEMPORARILY_UNAVAILABLE", 500: "INTERNAL_ERROR"}


@dataclass(frozen=True)
class Injection:
    """One drawn fault and whether it strikes after the stand-in has done the work."""

    fault: Fault
    after: bool = False

    @property
    def label(self) -> str:
        """``500-after``, ``drop-before``, ``none`` …: how the proxy's counters name it."""
        if self.fault is Fault.NONE:
            return self.fault.value
        return f"{self.fault.value}-{'after' if self.after else 'before'}"


@dataclass
class _Stream:
    """One method's fault stream: a seeded generator and the combinations it has still to deal out once."""

    generator: random.Random
    pending: list[Injection]


@dataclass
class FaultSchedule:
    """A deterministic fault stream: each request is faulty with probability ``rate``, from one seeded
    ``random.Random`` per HTTP method. Each method's first faulty requests deal out every kind × before/after
    once (in a seeded order), so a short run meets them all; later ones are drawn uniformly. Only ``/api/``
    paths are ever faulted."""

    seed: int
    rate: float
    kinds: tuple[Fault, ...] = (Fault.THROTTLED, Fault.UNAVAILABLE, Fault.INTERNAL_ERROR, Fault.DROP, Fault.SLOW)
    _streams: dict[str, _Stream] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def draw(self, method: str, path: str) -> Injection:
        """The fault for the next ``method`` request to ``path``."""
        if not path.startswith("/api/") or self.rate <= 0:
            return Injection(Fault.NONE)
        with self._lock:
            stream = self._streams.get(method) or self._new_stream(method)
            if stream.generator.random() >= self.rate:
                return Injection(Fault.NONE)
            if stream.pending:
                return stream.pending.pop()
            return Injection(stream.generator.choice(self.kinds), after=stream.generator.random() < 0.5)

    def _new_stream(self, method: str) -> _Stream:
        generator = random.Random(f"{self.seed}:{method}")
        every = [Injection(kind, after) for kind in self.kinds for after in (False, True)]
        generator.shuffle(every)
        self._streams[method] = _Stream(generator, every)
        return self._streams[method]


NO_FAULTS = FaultSchedule(seed=0, rate=0.0)


def route_of(method: str, path: str) -> str:
    """``POST /api/2.0/alerts``, ``PATCH /api/2.0/alerts/{id}``: a request's endpoint, ids and query dropped."""
    return f"{method} {_ID_SEGMENT.sub('/{id}', urlsplit(path).path)}"


@dataclass
class FaultProxy:
    """A loopback proxy to ``upstream`` that injects ``schedule``'s faults; start it with :func:`fault_proxy`."""

    upstream: str
    schedule: FaultSchedule = field(default_factory=lambda: NO_FAULTS)
    slow_seconds: float = 2.5
    latency_seconds: float = 0.0
    url: str = ""
    calls: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    _in_flight: int = 0
    _lock: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @property
    def api_calls(self) -> int:
        """Requests to ``/api/`` endpoints received so far (what a workspace would count and rate-limit)."""
        return sum(count for route, count in self.calls.items() if " /api/" in route)

    def reset_counts(self) -> None:
        """Forget the counted calls and injected faults (between benchmark phases)."""
        with self._lock:
            self.calls.clear()
            self.injected.clear()

    def wait_idle(self, timeout: float = 15.0) -> None:
        """Wait until no request is in flight, so a slow request cannot land after the caller looks."""
        with self._lock:
            if not self._lock.wait_for(lambda: self._in_flight == 0, timeout):
                raise TimeoutError(f"the proxy still has {self._in_flight} requests in flight")

    def begin(self, method: str, path: str) -> Injection:
        """Count a request and draw its fault."""
        injection = self.schedule.draw(method, path)
        with self._lock:
            self._in_flight += 1
            self.calls[route_of(method, path)] += 1
            if injection.fault is not Fault.NONE:
                self.injected[f"{method} {injection.label}"] += 1
        return injection

    def end(self) -> None:
        """A request is finished (answered, dropped or abandoned)."""
        with self._lock:
            self._in_flight -= 1
            self._lock.notify_all()


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    """Forwards one client connection's requests to the upstream over one kept-alive upstream connection."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # an idle kept-alive client connection frees its thread eventually
    server: _ProxyServer
    _connection: http.client.HTTPConnection | None = None

    def setup(self) -> None:
        """Send small writes at once: Nagle plus the client's delayed ACK would add ~40 ms to every answer."""
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().setup()

    def do_GET(self) -> None:
        """Forward (or fault) a GET; ``http.server`` dispatches on these names."""
        self._proxy()

    def do_POST(self) -> None:
        """Forward (or fault) a POST."""
        self._proxy()

    def do_PATCH(self) -> None:
        """Forward (or fault) a PATCH."""
        self._proxy()

    def do_DELETE(self) -> None:
        """Forward (or fault) a DELETE."""
        self._proxy()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the proxy's counters say what happened."""

    def _proxy(self) -> None:
        proxy = self.server.proxy
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        injection = proxy.begin(self.command, self.path)
        try:
            self._serve(proxy, injection, body)
        except OSError:  # the client gave up (timeout) or the upstream went away: nothing left to answer
            self.close_connection = True
        finally:
            proxy.end()

    def _serve(self, proxy: FaultProxy, injection: Injection, body: bytes) -> None:
        if proxy.latency_seconds:
            time.sleep(proxy.latency_seconds)
        if injection.fault is Fault.NONE:
            self._reply(self._forward(body))
            return
        answer = self._forward(body) if injection.after else None
        if injection.fault is Fault.DROP:
            self._drop()
        elif injection.fault is Fault.SLOW:
            time.sleep(proxy.slow_seconds)
            self._reply(answer or self._forward(body))
        else:
            self._reply(_error(_STATUS[injection.fault]))

    def _forward(self, body: bytes) -> _Answer:
        """The stand-in's answer to this request (a ConnectionError, an OSError, when it cannot be had)."""
        reused = self._connection is not None
        try:
            return self._exchange(body)
        except (OSError, http.client.HTTPException):
            self._close_upstream()
            if not reused:
                raise ConnectionError("the upstream did not answer") from None
        # The stand-in closes kept-alive connections after a few idle seconds; a request sent on such a stale
        # connection never reached it, so sending it again on a fresh one is what any client library does.
        try:
            return self._exchange(body)
        except (OSError, http.client.HTTPException):
            self._close_upstream()
            raise ConnectionError("the upstream did not answer") from None

    def _exchange(self, body: bytes) -> _Answer:
        upstream = self._upstream()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        upstream.request(self.command, self.path, body=body or None, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP | {"content-length"}]
        return _Answer(response.status, kept, payload)

    def _reply(self, answer: _Answer) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)
        self.wfile.flush()

    def _drop(self) -> None:
        """Close the socket without a word, as a broken load balancer does."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _upstream(self) -> http.client.HTTPConnection:
        connection = self._connection
        if connection is None:
            parts = urlsplit(self.server.proxy.upstream)
            connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
            self._connection = connection
        return connection

    def _close_upstream(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def finish(self) -> None:
        """Close the upstream connection with the client's."""
        self._close_upstream()
        super().finish()


def _error(status: int) -> _Answer:
    """A Databricks-shaped error body (the SDK maps ``error_code`` to its exception classes)."""
    code = _ERROR_CODE[status]
    body = json.dumps({"error_code": code, "message": f"injected {status} by the fault proxy"}).encode()
    headers = [("Content-Type", "application/json")]
    if status in (429, 503):
        headers.append(("Retry-After", "1"))  # the shortest wait a client honours: keeps the tests quick
    return _Answer(status, headers, body)


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, proxy: FaultProxy) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.proxy = proxy


@contextmanager
def fault_proxy(
    upstream: str,
    schedule: FaultSchedule = NO_FAULTS,
    *,
    slow_seconds: float = 2.5,
    latency_seconds: float = 0.0,
) -> Iterator[FaultProxy]:
    """Serve a :class:`FaultProxy` to ``upstream`` on a free loopback port for the ``with`` block."""
    proxy = FaultProxy(upstream, schedule, slow_seconds, latency_seconds)
    server = _ProxyServer(proxy)
    host, port = server.server_address[:2]
    proxy.url = f"http://{host!s}:{port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def counts_by_route(proxy: FaultProxy) -> Mapping[str, int]:
    """The API calls received, per endpoint (``GET /api/2.0/alerts`` …)."""
    return {route: count for route, count in sorted(proxy.calls.items()) if " /api/" in route}
