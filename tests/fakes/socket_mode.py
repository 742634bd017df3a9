"""A loopback Socket Mode endpoint: a WebSocket server speaking Slack's envelope protocol.

What it does, as Slack does: greets each new connection with `hello`; sends
`interactive` envelopes (block_actions payloads) with an `envelope_id` and, for
redeliveries, `retry_attempt` / `retry_reason`; expects the client to answer
each with `{"envelope_id": …}`; can ask the client to reconnect (`disconnect`)
or drop the TCP connection without a word.  The matching `apps.connections.open`
lives in tests/fakes/slack.py and hands out this server's ws:// URL.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve


@dataclass
class FakeSocketMode:
    server: Server | None = None
    connections: list[ServerConnection] = field(default_factory=list)
    acks: dict[str, float] = field(default_factory=dict)  # envelope_id -> monotonic time
    sent: dict[str, float] = field(default_factory=dict)  # envelope_id -> monotonic time
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket={uuid.uuid4().hex}"

    @property
    def live(self) -> ServerConnection | None:
        with self.lock:
            return self.connections[-1] if self.connections else None

    def _handle(self, conn: ServerConnection) -> None:
        with self.lock:
            self.connections.append(conn)
        conn.send(json.dumps({"type": "hello", "num_connections": 1,
                              "debug_info": {"host": "fake-socket-mode"},
                              "connection_info": {"app_id": "A0FAKE"}}))
        try:
            for raw in conn:
                msg = json.loads(raw)
                with self.lock:
                    self.received.append(msg)
                    if msg.get("envelope_id"):
                        self.acks.setdefault(str(msg["envelope_id"]), time.monotonic())
        except (ConnectionClosed, OSError, ValueError):
            pass

    def send_interactive(self, payload: dict[str, Any], envelope_id: str | None = None,
                         retry_attempt: int = 0) -> str:
        """Send one `interactive` envelope on the newest connection; returns its id."""
        envelope_id = envelope_id or uuid.uuid4().hex
        conn = self.wait_connected()
        with self.lock:
            self.sent.setdefault(envelope_id, time.monotonic())
        conn.send(json.dumps({
            "envelope_id": envelope_id, "type": "interactive", "payload": payload,
            "accepts_response_payload": False, "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else ""}))
        return envelope_id

    def ask_to_reconnect(self, reason: str = "refresh_requested") -> None:
        conn = self.wait_connected()
        conn.send(json.dumps({"type": "disconnect", "reason": reason,
                              "debug_info": {"host": "fake-socket-mode"}}))

    def drop(self) -> None:
        """Cut the newest connection without a close frame, as a network failure would."""
        conn = self.wait_connected()
        conn.socket.shutdown(socket.SHUT_RDWR)
        conn.socket.close()

    def wait_connected(self, count: int = 1, tries: int = 600) -> ServerConnection:
        """Wait until `count` connections were made (bounded number of tries)."""
        wait_for(lambda: len(self.connections) >= count, what=f"{count} connection(s)",
                 tries=tries)
        conn = self.live
        assert conn is not None
        return conn

    def wait_ack(self, envelope_id: str) -> float:
        """Seconds from sending the envelope to its acknowledgement."""
        wait_for(lambda: envelope_id in self.acks, what=f"ack of {envelope_id}")
        with self.lock:
            return self.acks[envelope_id] - self.sent[envelope_id]


def wait_for(check: Callable[[], bool], what: str, tries: int = 600,
             pause: float = 0.05) -> None:
    """Poll `check` a bounded number of times (no wall-clock assertion, just a cap)."""
    for _ in range(tries):
        if check():
            return
        time.sleep(pause)
    raise AssertionError(f"gave up waiting for {what}")


def block_actions(item_id: str, action_id: str, *, user: str = "U0ANALYST",
                  channel: str = "CEXPORTCONT", message: dict[str, Any] | None = None,
                  topic: str | None = None) -> dict[str, Any]:
    """A block_actions payload as Slack sends it for a click on one of our alert's controls."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": f"feedback:{item_id}",
                              "action_ts": f"{time.time():.6f}"}
    if topic is not None:
        action |= {"type": "static_select", "selected_option": {
            "text": {"type": "plain_text", "text": topic}, "value": topic}}
    else:
        action |= {"type": "button", "value": item_id,
                   "text": {"type": "plain_text", "text": action_id}}
    msg = message or {"ts": "1.000001", "text": "alert", "blocks": []}
    return {
        "type": "block_actions", "user": {"id": user, "username": "analyst", "team_id": "T0"},
        "api_app_id": "A0FAKE", "team": {"id": "T0", "domain": "fake"},
        "container": {"type": "message", "message_ts": msg["ts"], "channel_id": channel,
                      "is_ephemeral": False},
        "channel": {"id": channel, "name": "export-controls"},
        "message": msg, "response_url": "https://hooks.invalid/actions/T0/1/x",
        "trigger_id": "1.2.3", "actions": [action],
    }


def start_fake_socket_mode() -> FakeSocketMode:
    fake = FakeSocketMode()
    fake.server = serve(fake._handle, "127.0.0.1", 0)
    threading.Thread(target=fake.server.serve_forever, daemon=True).start()
    return fake


def stop_fake_socket_mode(fake: FakeSocketMode) -> None:
    if fake.server is not None:
        fake.server.shutdown()


@pytest.fixture
def fake_socket_mode() -> Iterator[FakeSocketMode]:
    fake = start_fake_socket_mode()
    yield fake
    stop_fake_socket_mode(fake)
