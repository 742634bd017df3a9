"""A programmable feed server on 127.0.0.1 for end-to-end tests.

Each path serves bytes with an ETag and answers If-None-Match with 304, like a
well-behaved publisher; a path can instead fail (status), hang, or serve junk.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
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
    content_type: str = "application/rss+xml; charset=utf-8"
    hang: float = 0.0  # seconds to sleep before answering (a hanging server)
    etag: bool = True


@dataclass
class FeedServer:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    server: LoopbackServer | None = None

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
            if route.hang:
                time.sleep(route.hang)
            etag = '"' + hashlib.sha1(route.body).hexdigest()[:12] + '"'
            if route.etag and route.status == 200 and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            if route.etag:
                self.send_header("ETag", etag)
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up (timeout tests)
                self.wfile.write(route.body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer()
    state.server = LoopbackServer(("127.0.0.1", 0), _handler(state))
    state.server.daemon_threads = True
    thread = threading.Thread(target=state.server.serve_forever, daemon=True)
    thread.start()
    yield state
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
