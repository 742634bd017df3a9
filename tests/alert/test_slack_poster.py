"""The hot post path (one kept-alive http.client connection) against the loopback fake:
same answers as the httpx path used behind proxies, a connection the server closed is
replaced before use, and a connection lost mid-post is an unknown outcome, never a retry."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest

from monitor.alert.format import Message
from monitor.alert.slack import KeptAlivePoster, SlackSink
from monitor.models import Outcome
from tests.fakes.slack import FakeSlack

TOKEN = "xoxb-test"


def _post(sink: SlackSink, text: str, alert_id: int) -> tuple[Outcome, str | None]:
    receipt = sink.post("#ec", Message(text=text, blocks=[]), alert_id=alert_id)
    return receipt.kind, receipt.error


def test_http_client_and_httpx_paths_give_the_same_answers(fake_slack: FakeSlack) -> None:
    fast = SlackSink(TOKEN, fake_slack.url)
    proxied = SlackSink(TOKEN, fake_slack.url)
    proxied.poster.http = httpx.Client(base_url=proxied.poster.base_url,
                                       headers=proxied.poster.headers)  # as behind a proxy
    fake_slack.channel_errors["#gone"] = "channel_not_found"
    for sink in (fast, proxied):
        ok = sink.post("#ec", Message(text="gallium <b>&</b> 稀土", blocks=[]), alert_id=1)
        assert ok.ok and ok.ts and ok.channel_id
        gone = sink.post("#gone", Message(text="x", blocks=[]), alert_id=2)
        assert (gone.kind, gone.error) == (Outcome.PERMANENT, "channel_not_found")
        fake_slack.rate_limits, fake_slack.retry_after = 1, 3
        limited = sink.post("#ec", Message(text="y", blocks=[]), alert_id=3)
        assert (limited.kind, limited.retry_after) == (Outcome.RETRY, 3.0)
        fake_slack.server_errors = 1
        assert sink.post("#ec", Message(text="z", blocks=[]), alert_id=4).kind is Outcome.UNKNOWN
    texts = [m["text"] for m in fake_slack.messages("#ec")]
    assert texts == ["gallium <b>&</b> 稀土"] * 2  # byte-for-byte the same body, both paths
    posts = [body for method, body in fake_slack.calls if method == "chat.postMessage"]
    assert posts[0]["metadata"] == posts[4]["metadata"]


def test_posts_reuse_one_connection(fake_slack: FakeSlack) -> None:
    sink = SlackSink(TOKEN, fake_slack.url)
    sink.post("#ec", Message(text="a", blocks=[]), alert_id=1)
    conn = sink.poster._conn
    for i in range(20):
        assert sink.post("#ec", Message(text=f"m{i}", blocks=[]), alert_id=i + 2).ok
    assert sink.poster._conn is conn and len(fake_slack.messages("#ec")) == 21


class _OneShot(BaseHTTPRequestHandler):
    """Answers each post, then closes the connection (an idle timeout on the server), or
    (when `drop`) reads the request and closes without an answer."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[str]] = []
    drop = False

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.seen.append(self.path)
        if self.drop:
            self.close_connection = True
            return
        body = b'{"ok": true, "channel": "C1", "ts": "1.000001"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        # No "Connection: close": the client believes the connection stays open.
        self.connection.shutdown(socket.SHUT_RDWR)
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def closing_server() -> tuple[str, type[_OneShot]]:
    handler = type("H", (_OneShot,), {"seen": [], "drop": False})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/", handler
    server.shutdown()
    server.server_close()


def test_a_connection_the_server_closed_is_replaced_not_failed(
        closing_server: tuple[str, type[_OneShot]]) -> None:
    url, handler = closing_server
    poster = KeptAlivePoster(TOKEN, url, timeout=5)
    for i in range(3):
        # An idle timeout closes a connection long before the next post; the pause lets
        # the server's FIN arrive (a FIN still in flight is the unknown-outcome case below).
        time.sleep(0.1)
        assert poster.call("chat.postMessage", {"channel": "#ec", "text": str(i)})["ok"]
    assert len(handler.seen) == 3  # each post reached the server exactly once


def test_a_connection_lost_mid_post_is_an_unknown_outcome(
        closing_server: tuple[str, type[_OneShot]]) -> None:
    url, handler = closing_server
    handler.drop = True
    sink = SlackSink(TOKEN, url)
    receipt = sink.post("#ec", Message(text="x", blocks=[]), alert_id=1)
    assert receipt.kind is Outcome.UNKNOWN and "connection error" in (receipt.error or "")
    assert len(handler.seen) == 1  # not retried here: the outbox reads history first


def test_a_post_is_one_write(fake_slack: FakeSlack) -> None:
    """Headers and body leave in one send: one packet, one wake-up of the server."""
    poster = KeptAlivePoster(TOKEN, fake_slack.url, timeout=5)
    conn = poster._connection()
    writes: list[int] = []
    real = conn.sock

    class Counting:
        def sendall(self, data: bytes) -> None:
            writes.append(len(data))
            real.sendall(data)

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

    conn.sock = Counting()  # type: ignore[assignment]
    assert poster.call("chat.postMessage", {"channel": "#ec", "text": "one write"})["ok"]
    assert len(writes) == 1 and writes[0] > 200  # request line, headers and the JSON body
    conn.sock = real
