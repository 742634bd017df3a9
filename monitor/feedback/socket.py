"""Socket Mode inside `monitor run`: Slack pushes clicks over a WebSocket the monitor opens,
so no public HTTP endpoint is needed.

slack-sdk's builtin SocketModeClient does the protocol and reconnects on its own
(on close, on a stale ping, on Slack's `disconnect` envelope).  This module adds
what the monitor needs around it: the first connection retried with backoff (the
client itself only reconnects once it has connected), the ack sent before any
work, and a connection state that the ops /healthz can show (`status()`).
"""

from __future__ import annotations

import logging
import threading
import urllib.error
from collections.abc import Callable
from datetime import datetime, timedelta
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from monitor.alert.slack import AUTH_ERRORS, DEFAULT_API_URL, explain
from monitor.feedback.handler import FeedbackHandler
from monitor.store import iso, parse_iso, utcnow

log = logging.getLogger(__name__)

FIRST_BACKOFF, MAX_BACKOFF = 1.0, 300.0

_lock = threading.Lock()
_current: FeedbackListener | None = None


def status() -> dict[str, Any]:
    """Connection state for /healthz: {"enabled": False} when Socket Mode is off."""
    with _lock:
        listener = _current
    return listener.state() if listener is not None else {"enabled": False}


DOWN_GRACE = timedelta(minutes=5)  # reconnects take seconds; minutes down is an outage


def health() -> tuple[bool, str]:
    """The /healthz check: fine when off or connected, failing after DOWN_GRACE down."""
    st = status()
    if not st.get("enabled"):
        return True, "off (no SLACK_APP_TOKEN)"
    if st.get("connected"):
        return True, f"connected since {st.get('connected_since')}"
    down = st.get("down_since")
    since = parse_iso(down) if down else None
    if since is not None and utcnow() - since < DOWN_GRACE:
        return True, f"reconnecting since {down}"
    return False, f"Socket Mode down since {down}: {st.get('last_error') or 'no connection'}"


class FeedbackListener:
    def __init__(self, app_token: str, bot_token: str, db_path: str, *,
                 api_url: str | None = None, ping_interval: float = 5.0,
                 clock: Callable[[], datetime] = utcnow) -> None:
        base = api_url or DEFAULT_API_URL
        self.app_token = app_token
        self.ping_interval = ping_interval
        self.clock = clock
        # Feedback calls are edits (chat.update) and notes: safe to retry once on a reset.
        self.web = WebClient(token=bot_token, base_url=base, timeout=10)
        self.handler = FeedbackHandler(db_path, self.web, clock)
        self._opener = WebClient(base_url=base, timeout=10)  # apps.connections.open only
        self.client: SocketModeClient | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()
        self._connected_since: str | None = None
        self._down_since: str | None = iso(clock())
        self._hellos = 0
        self._clicks = 0
        self._last_click: str | None = None
        self._last_error: str | None = None

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> None:
        global _current
        self.client = SocketModeClient(
            app_token=self.app_token, web_client=self._opener, auto_reconnect_enabled=True,
            ping_interval=self.ping_interval, logger=logging.getLogger("monitor.feedback.sdk"),
            on_close_listeners=[self._on_close], on_error_listeners=[self._on_error])
        self.client.message_listeners.append(self._on_message)
        self.client.socket_mode_request_listeners.append(self._on_request)
        with _lock:
            _current = self
        self._thread = threading.Thread(target=self._connect_loop, name="slack-socket-mode",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        global _current
        self._stop.set()
        if self.client is not None:
            self.client.close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with _lock:
            if _current is self:
                _current = None
        log.info("Slack Socket Mode closed")

    def _connect_loop(self) -> None:
        """Connect once; after that the client's own monitor thread keeps reconnecting."""
        assert self.client is not None
        delay = FIRST_BACKOFF
        while not self._stop.is_set():
            try:
                self.client.connect_to_new_endpoint()
                if self.client.is_connected() or self.client.current_app_monitor_started:
                    return  # from here on the client's monitor thread reconnects
                error = "WebSocket handshake failed"
            except SlackApiError as e:
                code = str(e.response.get("error") or e.response.status_code)
                if code in AUTH_ERRORS:
                    self._note_error(f"apps.connections.open refused SLACK_APP_TOKEN: "
                                     f"{explain(code)}; feedback buttons will not work")
                    log.error("%s", self._last_error)
                    return
                error = f"apps.connections.open: {code}"
            except (urllib.error.URLError, HTTPException, OSError, ValueError) as e:
                error = f"cannot reach Slack: {e}"
            self._note_error(error)
            log.warning("Slack Socket Mode not connected (%s); retrying in %.0fs", error, delay)
            self._stop.wait(delay)
            delay = min(MAX_BACKOFF, delay * 2)

    # -- client callbacks -----------------------------------------------------
    def _on_message(self, _client: Any, message: dict[str, Any], _raw: str | None) -> None:
        if message.get("type") == "hello":
            with self._state_lock:
                self._hellos += 1
                self._connected_since = iso(self.clock())
                self._down_since = None
                self._last_error = None
            log.info("Slack Socket Mode connected%s",
                     " again" if self._hellos > 1 else "")

    def _on_close(self, code: int, reason: str | None) -> None:
        # The client reconnects before it calls this listener: only a failed one is "down".
        if self.client is not None and self.client.is_connected():
            return
        with self._state_lock:
            self._connected_since = None
            self._down_since = self._down_since or iso(self.clock())

    def _on_error(self, error: Exception) -> None:
        self._note_error(f"{type(error).__name__}: {error}")

    def _note_error(self, error: str) -> None:
        with self._state_lock:
            self._last_error = error

    def _on_request(self, client: Any, req: SocketModeRequest) -> None:
        # Ack first, whatever the envelope is: an unacknowledged envelope is resent.
        try:
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
        except Exception as e:  # the socket died meanwhile: Slack resends, dedupe holds
            log.warning("could not acknowledge envelope %s (%s); Slack will resend it",
                        req.envelope_id, e)
        if req.type != "interactive" or not isinstance(req.payload, dict):
            return
        try:
            outcomes = self.handler.handle(req.envelope_id, req.payload)
        except Exception:  # one bad click must not stop the listener
            log.exception("feedback envelope %s could not be processed", req.envelope_id)
            return
        if outcomes:
            with self._state_lock:
                self._clicks += sum(1 for o in outcomes if o == "recorded")
                self._last_click = iso(self.clock())

    # -- state ----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        connected = self.client is not None and self.client.is_connected()
        with self._state_lock:
            if not connected and self._down_since is None:
                self._down_since = iso(self.clock())
            return {
                "enabled": True,
                "connected": bool(connected and self._hellos),
                "connected_since": self._connected_since if connected else None,
                "down_since": None if connected else self._down_since,
                "reconnects": max(0, self._hellos - 1),
                "clicks_recorded": self._clicks,
                "last_click_at": self._last_click,
                "last_error": self._last_error,
            }
