"""A threaded HTTP server on 127.0.0.1 whose routes can misbehave on purpose.

Routes serve fixed bytes with an ETag (and answer If-None-Match with 304), or
fail, redirect, hang, trickle, or stream forever.  Hanging handlers wait on
an Event that the fixture sets at teardown, so no test leaves a thread asleep.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.fakes.server import LoopbackServer

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
FIXTURES = SHARED / "fixtures"


def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {FIXTURES} (check out ../shared)")
    return FIXTURES


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str | None = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    hang: bool = False  # accept, then never answer (until teardown)
    trickle: float = 0.0  # seconds between single bytes of the body
    endless: bool = False  # stream chunks forever (size-cap test)


@dataclass
class Server:
    httpd: LoopbackServer
    stop: threading.Event
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, body: bytes | str = b"", **kw: object) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(body=data, **kw)  # type: ignore[arg-type]
        return self.url(path)

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]


def _handler(state: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.hang:
                state.stop.wait(60)
                return
            etag = '"' + hashlib.sha1(route.body).hexdigest()[:12] + '"'
            if route.etag and route.status == 200 and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(route.status)
            if route.content_type:
                self.send_header("Content-Type", route.content_type)
            if route.etag and route.status == 200:
                self.send_header("ETag", etag)
            for k, v in route.headers.items():
                self.send_header(k, v)
            try:
                if route.endless:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = b"<item>" + b"x" * 65530 + b"</item>"
                    while not state.stop.is_set():
                        self.wfile.write(chunk)
                    return
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                if route.trickle:
                    for i in range(len(route.body)):
                        if state.stop.wait(route.trickle):
                            return
                        self.wfile.write(route.body[i:i + 1])
                        self.wfile.flush()
                    return
                self.wfile.write(route.body)
            except OSError:
                pass  # the client gave up (cap or deadline): that is the point

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(httpd=None, stop=threading.Event())  # type: ignore[arg-type]
    state.httpd = LoopbackServer(("127.0.0.1", 0), _handler(state))
    state.httpd.daemon_threads = True
    thread = threading.Thread(target=state.httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    state.stop.set()
    state.httpd.shutdown()
    state.httpd.server_close()
