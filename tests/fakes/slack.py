"""A loopback fake of the Slack Web API, enough for the monitor's delivery paths.

Speaks what slack-sdk sends (POST, JSON body, Bearer token) and answers like
Slack: HTTP 200 with {"ok": false, "error": ...} for API errors, 429 with
Retry-After for rate limits.  Faults are programmed per test.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class FakeSlack:
    server: ThreadingHTTPServer | None = None
    posted: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    channel_errors: dict[str, str] = field(default_factory=dict)  # channel -> error code
    rate_limits: int = 0  # answer the next N posts with 429
    retry_after: int = 0
    server_errors: int = 0  # answer the next N posts with 503
    down: bool = False  # every post answers 503 while True
    reject_blocks: bool = False  # posts with blocks answer invalid_blocks
    on_accept: Callable[[dict[str, Any]], None] | None = None  # runs after storing, before replying
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: float = 0.0

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.posted if channel is None or m["channel"] == channel]

    def top_level(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.messages(channel) if not m.get("thread_ts")]

    def next_ts(self) -> str:
        # Real-time based like Slack's, so `oldest=` filters in history behave.
        self._ts = max(time.time(), self._ts + 0.000001)
        return f"{self._ts:.6f}"


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
                   ) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            method = self.path.rsplit("/", 1)[-1]
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ctype = self.headers.get("Content-Type", "")
            if "json" in ctype:
                body = json.loads(raw or b"{}")
            else:
                from urllib.parse import parse_qsl

                body = dict(parse_qsl(raw.decode()))
            body["_auth"] = self.headers.get("Authorization", "")
            with fake.lock:
                fake.calls.append((method, body))
            if not body["_auth"].startswith("Bearer xoxb-"):
                self._reply(200, {"ok": False, "error": "not_authed"})
                return
            if method == "auth.test":
                self._reply(200, {"ok": True, "user_id": "UBOT", "team": "T"})
            elif method == "chat.postMessage":
                self._post(body)
            elif method == "conversations.history":
                self._history(body)
            else:
                self._reply(200, {"ok": False, "error": "unknown_method"})

        def _post(self, body: dict[str, Any]) -> None:
            channel = str(body.get("channel"))
            with fake.lock:
                if fake.down or fake.server_errors > 0:
                    fake.server_errors = max(0, fake.server_errors - 1)
                    self._reply(503, {"ok": False, "error": "service_unavailable"})
                    return
                if fake.rate_limits > 0:
                    fake.rate_limits -= 1
                    self._reply(429, {"ok": False, "error": "ratelimited"},
                                {"Retry-After": str(fake.retry_after)})
                    return
                if fake.reject_blocks and body.get("blocks"):
                    self._reply(200, {"ok": False, "error": "invalid_blocks"})
                    return
                if channel in fake.channel_errors:
                    self._reply(200, {"ok": False, "error": fake.channel_errors[channel]})
                    return
                ts = fake.next_ts()
                message = {k: v for k, v in body.items() if k != "_auth"} | {"ts": ts}
                fake.posted.append(message)
            if fake.on_accept is not None:
                fake.on_accept(message)
            self._reply(200, {"ok": True, "channel": "C" + channel.strip("#").upper()[:8],
                              "ts": ts, "message": {"text": body.get("text"), "ts": ts}})

        def _history(self, body: dict[str, Any]) -> None:
            channel = str(body.get("channel"))
            oldest = float(body.get("oldest") or 0)
            with fake.lock:
                msgs = [
                    {"ts": m["ts"], "text": m.get("text"), "metadata": m.get("metadata"),
                     **({"thread_ts": m["thread_ts"]} if m.get("thread_ts") else {})}
                    for m in reversed(fake.posted)
                    if m["channel"] == channel and float(m["ts"]) >= oldest
                ]
            self._reply(200, {"ok": True, "messages": msgs, "has_more": False})

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def start_fake_slack() -> FakeSlack:
    fake = FakeSlack()
    fake.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.server.daemon_threads = True
    threading.Thread(target=fake.server.serve_forever, daemon=True).start()
    return fake


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = start_fake_slack()
    yield fake
    assert fake.server is not None
    fake.server.shutdown()
    fake.server.server_close()
