"""Real loopback endpoints for notification tests: an HTTP recorder and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Request:
    """One request the recorder received."""

    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class HttpRecorder:
    """Answers 200 to every POST, except paths listed in ``failing`` (500); records every request it answers.
    A request to a path in ``hanging`` is held unanswered (and unrecorded) until ``release`` is set."""

    url: str
    requests: list[Request] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    hanging: set[str] = field(default_factory=set)
    held: threading.Event = field(default_factory=threading.Event)  # set while a request is being held
    release: threading.Event = field(default_factory=threading.Event)

    def on(self, path: str) -> list[Request]:
        """Requests received on ``path``."""
        return [r for r in self.requests if r.path == path]


@contextmanager
def http_recorder() -> Iterator[HttpRecorder]:
    """An HTTP server on a free loopback port, recording JSON POSTs."""
    recorder = HttpRecorder("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path in recorder.hanging:
                recorder.held.set()
                recorder.release.wait(timeout=60)
                return  # no answer: the sender sees its connection drop
            recorder.requests.append(Request(self.path, dict(self.headers), json.loads(raw or b"null")))
            status = 500 if self.path in recorder.failing else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@dataclass
class SmtpServer:
    """A real SMTP server on loopback; ``messages`` are the parsed e-mails it accepted."""

    url: str
    inbox: _Inbox

    @property
    def messages(self) -> list[Message]:
        """E-mails received so far."""
        return self.inbox.messages


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """aiosmtpd on a free loopback port."""
    inbox = _Inbox()
    with socket.socket() as probe:  # aiosmtpd cannot start on port 0: take a free port first
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(f"smtp://127.0.0.1:{controller.port}", inbox)
    finally:
        controller.stop()
