"""A loopback fake of the Slack Web API, enough for the monitor's delivery paths.

Speaks what slack-sdk sends (POST; JSON body for chat.postMessage, form body for
the read methods; `Authorization: Bearer <token>`) and answers like Slack: HTTP
200 with {"ok": false, "error": ...} for API errors, 429 with Retry-After for
rate limits, 503 during an outage.  Faults are programmed per test by setting
attributes; every accepted message is kept in `posted` (newest last).

Read-back follows Slack's split: `conversations.history` lists top-level
messages (and broadcast replies) newest first, `conversations.replies` lists a
thread, and both carry `metadata` only when `include_all_metadata` is set.  A
reconciler that looks for a thread reply in history alone would miss it, as it
would against real Slack.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl

import pytest

from tests.fakes.server import LoopbackServer

VALID_TOKEN_PREFIX = "xoxb-"
APP_TOKEN_PREFIX = "xapp-"  # apps.connections.open takes the app-level token


def _truthy(value: object) -> bool:
    return str(value).lower() in ("1", "true")


@dataclass
class FakeSlack:
    server: LoopbackServer | None = None
    posted: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # --- programmable faults (set them from the test) ---
    channel_errors: dict[str, str] = field(default_factory=dict)  # channel -> error code
    rate_limits: int = 0  # answer the next N posts with HTTP 429 ...
    retry_after: int = 0  # ... carrying this Retry-After (whole seconds, as Slack sends)
    server_errors: int = 0  # answer the next N posts with HTTP 503
    down: bool = False  # every post answers 503 while True
    outage_until: float | None = None  # every post answers 503 while clock() < this
    drop_after_accept: int = 0  # next N accepted posts: stored, then connection closed, no reply
    reject_blocks: bool = False  # posts with blocks answer invalid_blocks
    max_text: int | None = None  # longer `text` answers msg_too_long
    history_errors: int = 0  # answer the next N history/replies calls with HTTP 503
    on_accept: Callable[[dict[str, Any]], None] | None = None  # runs after storing, before replying
    clock: Callable[[], float] = time.time  # drives ts values and outage_until
    # --- Socket Mode and feedback (issue 17) ---
    socket_url: Callable[[], str] | None = None  # apps.connections.open hands this out
    connections_open_errors: int = 0  # answer the next N apps.connections.open with 503
    updates: list[dict[str, Any]] = field(default_factory=list)  # chat.update bodies
    ephemerals: list[dict[str, Any]] = field(default_factory=list)  # chat.postEphemeral bodies
    lock: threading.Lock = field(default_factory=threading.Lock)
    # files_upload_v2: file id -> {"filename", "length", "data", "title", "channel_id",
    # "thread_ts", "initial_comment", "shared"}
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ts: float = 0.0

    @property
    def url(self) -> str:
        """Base URL for `WebClient(base_url=...)`, ending in /api/."""
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Every accepted message (oldest first), optionally of one channel."""
        with self.lock:
            return [m for m in self.posted if channel is None or m["channel"] == channel]

    def top_level(self, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.messages(channel) if not m.get("thread_ts")]

    def replies(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        return [m for m in self.messages(channel) if m.get("thread_ts") == thread_ts]

    def outage(self, seconds: float) -> None:
        """Answer 503 to every post for `seconds` of `clock` time from now."""
        self.outage_until = self.clock() + seconds

    def count(self, method: str) -> int:
        with self.lock:
            return sum(1 for m, _ in self.calls if m == method)

    def next_ts(self) -> str:
        # Clock-based like Slack's (so `oldest=` filters behave) and strictly increasing.
        self._ts = max(self.clock(), self._ts + 0.000001)
        return f"{self._ts:.6f}"

    def files(self, channel_id: str | None = None) -> list[dict[str, Any]]:
        """Files shared by files.completeUploadExternal, optionally into one channel ID."""
        with self.lock:
            return [f for f in self.uploads.values() if f.get("shared")
                    and (channel_id is None or f.get("channel_id") == channel_id)]

    def channel_id(self, channel: str) -> str:
        return "C" + channel.strip("#").upper().replace("-", "")[:10]


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # like Slack: no 40 ms stall between header and body

        def _reply(self, status: int, body: dict[str, Any],
                   headers: dict[str, str] | None = None) -> None:
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
            if self.path.startswith("/upload/"):  # step 2 of files_upload_v2: no token
                self._receive_file(method, raw)
                return
            if "json" in self.headers.get("Content-Type", ""):
                body: dict[str, Any] = json.loads(raw or b"{}")
            else:
                body = dict(parse_qsl(raw.decode()))
            auth = self.headers.get("Authorization", "")
            with fake.lock:
                fake.calls.append((method, dict(body, _auth=auth)))
            token = auth.removeprefix("Bearer ").strip()
            prefix = APP_TOKEN_PREFIX if method == "apps.connections.open" else VALID_TOKEN_PREFIX
            if not token:
                self._reply(200, {"ok": False, "error": "not_authed"})
            elif not token.startswith(prefix):
                self._reply(200, {"ok": False, "error": "invalid_auth"})
            elif method == "auth.test":
                self._reply(200, {"ok": True, "url": "https://fake.slack/", "team": "Fake",
                                  "user": "monitor", "team_id": "T0", "user_id": "UBOT"})
            elif method == "chat.postMessage":
                self._post(body)
            elif method in ("conversations.history", "conversations.replies"):
                self._read(method, body)
            elif method == "files.getUploadURLExternal":
                self._upload_url(body)
            elif method == "files.completeUploadExternal":
                self._complete_upload(body)
            elif method == "apps.connections.open":
                self._open_socket()
            elif method == "chat.update":
                self._update(body)
            elif method == "chat.postEphemeral":
                with fake.lock:
                    fake.ephemerals.append(body)
                self._reply(200, {"ok": True, "message_ts": fake.next_ts()})
            else:
                self._reply(200, {"ok": False, "error": "unknown_method"})

        def _post(self, body: dict[str, Any]) -> None:
            channel = str(body.get("channel") or "")
            with fake.lock:
                if fake.down or fake.server_errors > 0 or (
                        fake.outage_until is not None and fake.clock() < fake.outage_until):
                    fake.server_errors = max(0, fake.server_errors - 1)
                    self._reply(503, {"ok": False, "error": "service_unavailable"})
                    return
                if fake.rate_limits > 0:
                    fake.rate_limits -= 1
                    self._reply(429, {"ok": False, "error": "ratelimited"},
                                {"Retry-After": str(fake.retry_after)})
                    return
                error = self._post_error(channel, body)
                if error:
                    self._reply(200, {"ok": False, "error": error})
                    return
                ts = fake.next_ts()
                message = dict(body) | {"ts": ts}
                fake.posted.append(message)
                drop = fake.drop_after_accept > 0
                fake.drop_after_accept = max(0, fake.drop_after_accept - 1)
            if fake.on_accept is not None:
                fake.on_accept(message)
            if drop:
                # Slack has the message; the client never learns it.
                self.close_connection = True
                return
            self._reply(200, {"ok": True, "channel": fake.channel_id(channel), "ts": ts,
                              "message": {"text": body.get("text"), "ts": ts}})

        def _open_socket(self) -> None:
            with fake.lock:
                failing = fake.connections_open_errors > 0
                fake.connections_open_errors = max(0, fake.connections_open_errors - 1)
            if failing or fake.socket_url is None:
                self._reply(503, {"ok": False, "error": "service_unavailable"})
                return
            self._reply(200, {"ok": True, "url": fake.socket_url()})

        def _update(self, body: dict[str, Any]) -> None:
            """chat.update: the message must exist (by channel id or name, and ts)."""
            channel, ts = str(body.get("channel") or ""), str(body.get("ts") or "")
            with fake.lock:
                fake.updates.append(body)
                found = [m for m in fake.posted if m["ts"] == ts and channel in (
                    m["channel"], fake.channel_id(m["channel"]))]
                for m in found:
                    m.update({k: body[k] for k in ("text", "blocks") if k in body})
            if not found:
                self._reply(200, {"ok": False, "error": "message_not_found"})
                return
            self._reply(200, {"ok": True, "channel": channel, "ts": ts,
                              "text": body.get("text")})

        @staticmethod
        def _post_error(channel: str, body: dict[str, Any]) -> str | None:
            if not channel:
                return "channel_not_found"
            if channel in fake.channel_errors:
                return fake.channel_errors[channel]
            if not body.get("text") and not body.get("blocks"):
                return "no_text"
            if fake.reject_blocks and body.get("blocks"):
                return "invalid_blocks"
            if fake.max_text is not None and len(str(body.get("text") or "")) > fake.max_text:
                return "msg_too_long"
            return None

        def _upload_url(self, body: dict[str, Any]) -> None:
            if not body.get("filename") or not str(body.get("length") or "").isdigit():
                self._reply(200, {"ok": False, "error": "invalid_arguments"})
                return
            with fake.lock:
                file_id = f"F{len(fake.uploads) + 1:08d}"
                fake.uploads[file_id] = {"filename": body["filename"],
                                         "length": int(body["length"]), "data": None}
            host, port = fake.server.server_address[:2]  # type: ignore[union-attr]
            self._reply(200, {"ok": True, "file_id": file_id,
                              "upload_url": f"http://{host}:{port}/upload/{file_id}"})

        def _receive_file(self, file_id: str, raw: bytes) -> None:
            with fake.lock:
                entry = fake.uploads.get(file_id)
                if entry is not None:
                    entry["data"] = raw
            data = b"OK - %d" % len(raw) if entry is not None else b"not found"
            self.send_response(200 if entry is not None else 404)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _complete_upload(self, body: dict[str, Any]) -> None:
            files = json.loads(body.get("files") or "[]")
            channel = str(body.get("channel_id") or "")
            with fake.lock:
                if channel in fake.channel_errors:
                    self._reply(200, {"ok": False, "error": fake.channel_errors[channel]})
                    return
                entries = [fake.uploads.get(str(f.get("id"))) for f in files]
                if not files or any(e is None or e["data"] is None for e in entries):
                    self._reply(200, {"ok": False, "error": "invalid_arguments"})
                    return
                for f, entry in zip(files, entries, strict=True):
                    assert entry is not None
                    entry.update(title=f.get("title"), channel_id=channel or None,
                                 thread_ts=body.get("thread_ts"),
                                 initial_comment=body.get("initial_comment"), shared=True)
            self._reply(200, {"ok": True, "files": [
                {"id": f["id"], "title": f.get("title")} for f in files]})

        def _read(self, method: str, body: dict[str, Any]) -> None:
            channel = str(body.get("channel") or "")
            with fake.lock:
                if fake.history_errors > 0:
                    fake.history_errors -= 1
                    self._reply(503, {"ok": False, "error": "service_unavailable"})
                    return
                if channel in fake.channel_errors:
                    self._reply(200, {"ok": False, "error": fake.channel_errors[channel]})
                    return
                mine = [m for m in fake.posted if m["channel"] == channel]
            oldest = float(body.get("oldest") or 0)
            latest = float(body.get("latest") or "inf")
            if method == "conversations.history":
                # Newest first; thread replies only when broadcast to the channel.
                chosen = [m for m in reversed(mine) if oldest <= float(m["ts"]) <= latest
                          and (not m.get("thread_ts") or _truthy(m.get("reply_broadcast")))]
            else:
                parent = str(body.get("ts") or "")
                chosen = [m for m in mine if m["ts"] == parent or m.get("thread_ts") == parent]
                if not chosen:
                    self._reply(200, {"ok": False, "error": "thread_not_found"})
                    return
            start = int(body.get("cursor") or 0)
            limit = int(body.get("limit") or 100)
            page = chosen[start:start + limit]
            more = start + limit < len(chosen)
            metadata = _truthy(body.get("include_all_metadata"))
            self._reply(200, {
                "ok": True, "has_more": more,
                "messages": [self._shape(m, metadata) for m in page],
                "response_metadata": {"next_cursor": str(start + limit) if more else ""},
            })

        @staticmethod
        def _shape(m: dict[str, Any], metadata: bool) -> dict[str, Any]:
            out = {"type": "message", "user": "UBOT", "ts": m["ts"], "text": m.get("text")}
            if m.get("thread_ts"):
                out["thread_ts"] = m["thread_ts"]
            if metadata and m.get("metadata"):
                out["metadata"] = m["metadata"]
            return out

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def start_fake_slack() -> FakeSlack:
    """Start a fake on 127.0.0.1 (free port) in a daemon thread; stop with stop_fake_slack."""
    fake = FakeSlack()
    fake.server = LoopbackServer(("127.0.0.1", 0), _handler(fake))
    fake.server.daemon_threads = True
    threading.Thread(target=fake.server.serve_forever, daemon=True).start()
    return fake


def stop_fake_slack(fake: FakeSlack) -> None:
    if fake.server is not None:
        fake.server.shutdown()
        fake.server.server_close()


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = start_fake_slack()
    yield fake
    stop_fake_slack(fake)
