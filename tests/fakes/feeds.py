"""A programmable feed server on 127.0.0.1 for end-to-end and source tests.

Each path serves bytes with an ETag and answers If-None-Match with 304, like a
well-behaved publisher; a path can instead fail (status), hang, trickle, stream
forever or serve junk.  Waiting handlers wait on an Event the fixture sets at
teardown, so no test leaves a thread asleep.  POSTs are recorded (webhooks).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler

import pytest

from tests.fakes.server import LoopbackServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str | None = "application/rss+xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    # seconds to wait before answering; True: accept, then never answer (until teardown)
    hang: float | bool = 0.0
    trickle: float = 0.0  # seconds between single bytes of the body
    endless: bool = False  # stream chunks forever (size-cap test)


@dataclass
class FeedServer:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    server: LoopbackServer | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def set(self, path: str, body: bytes | str = b"", **kw: object) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(body=data, **kw)  # type: ignore[arg-type]
        return self.url(path)

    def hits(self, path: str) -> list[dict[str, str]]:
        return [h for p, h in self.requests if p == path]


def _handler(state: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            # Webhook receiver for apprise targets (json://, form://).
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace")
            headers = {k.lower(): v for k, v in self.headers.items()} | {"_body": body}
            state.requests.append((self.path, headers))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def do_GET(self) -> None:
            state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = state.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.hang is True:
                state.stop.wait(60)
                return
            if route.hang and state.stop.wait(route.hang):
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
            with contextlib.suppress(OSError):  # the client gave up (size cap, deadline)
                self._body(route)

        def _body(self, route: Route) -> None:
            if route.endless:
                self.send_header("Connection", "close")
                self.end_headers()
                chunk = b"<item>" + b"x" * 65530 + b"</item>"
                while not state.stop.is_set():
                    self.wfile.write(chunk)
                return
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            if not route.trickle:
                self.wfile.write(route.body)
                return
            for i in range(len(route.body)):
                if state.stop.wait(route.trickle):
                    return
                self.wfile.write(route.body[i:i + 1])
                self.wfile.flush()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer()
    state.server = LoopbackServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=state.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    state.stop.set()
    state.server.shutdown()
    state.server.server_close()


def rss(items: list[dict[str, object]], title: str = "Test feed") -> str:
    """A small RSS 2.0 document; items carry title, link, guid, summary, published."""
    parts = []
    for it in items:
        published = it.get("published")
        date = f"<pubDate>{format_datetime(published)}</pubDate>" if isinstance(
            published, datetime) else ""
        parts.append(
            f"<item><title>{_x(it['title'])}</title><link>{_x(it.get('link', ''))}</link>"
            f"<guid isPermaLink=\"false\">{_x(it.get('guid', it['title']))}</guid>{date}"
            f"<description>{_x(it.get('summary', ''))}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{_x(title)}</title><link>http://127.0.0.1/</link><description>t</description>"
        + "".join(parts) + "</channel></rss>"
    )


def _x(value: object) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
