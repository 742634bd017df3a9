"""Slack sink over slack-sdk: one post, one honest Receipt.

Automatic retries are off on purpose: chat.postMessage has no idempotency
key, so every retry goes through the outbox, which checks channel history for
the alert's metadata before posting again.
"""

from __future__ import annotations

import http.client
import json
import logging
import select
import socket
import urllib.request
from http.client import HTTPException
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from monitor.alert.format import Message
from monitor.models import Outcome, ReadBackError, Receipt

if TYPE_CHECKING:  # slack-sdk loads at the first call: a run with nothing to post skips it
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError
    from slack_sdk.web import SlackResponse

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"
EVENT_TYPE = "export_control_alert"

PERMANENT = {
    "channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "not_authed",
    "token_revoked", "token_expired", "account_inactive", "missing_scope", "no_permission",
    "restricted_action", "ekm_access_denied", "team_access_not_granted", "invalid_arguments",
}
# Slack-side trouble: the post may or may not have happened; retry after a look in history.
TRANSIENT = {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
# Slack rejected this payload's layout or size, not the alert: the outbox resends it reduced.
PAYLOAD_ERRORS = {"invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long",
                  "msg_too_long"}
AUTH_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
EXPLAIN = {
    "not_in_channel": "invite the bot with /invite @monitor in that channel",
    "channel_not_found": "no such channel, or it is private and the bot was never added — "
                         "check the name in the config and invite the bot",
    "is_archived": "the channel is archived — unarchive it or change the config",
    "invalid_auth": "the token is not valid — check SLACK_BOT_TOKEN",
    "not_authed": "no token was sent — set SLACK_BOT_TOKEN",
    "token_revoked": "the token was revoked — reinstall the app and update SLACK_BOT_TOKEN",
    "account_inactive": "the bot user was deactivated — reinstall the app",
    "missing_scope": "the app lacks a scope — add chat:write (and channels:history) and reinstall",
    "ratelimited": "Slack is rate limiting — the monitor waits and retries",
    "invalid_blocks": "Slack rejected the message layout — it was resent as plain text",
    "msg_too_long": "the message text was too long — it was resent shortened",
}


def explain(error: str) -> str:
    return f"{error}: {EXPLAIN[error]}" if error in EXPLAIN else error


def kind_of(error: str) -> Outcome:
    """Slack's considered answer (HTTP 200, ok=false) as a kind of failure.

    Repeating the same request gets the same answer, so only the listed
    Slack-side errors retry (outcome unknown); the rest are permanent.
    """
    if error in AUTH_ERRORS:
        return Outcome.AUTH
    if error == "msg_too_long":
        return Outcome.TOO_LONG
    if error in PAYLOAD_ERRORS:
        return Outcome.BAD_LAYOUT
    if error in TRANSIENT:
        return Outcome.UNKNOWN
    return Outcome.PERMANENT


def _retry_after(resp: Any) -> float | None:
    headers = getattr(resp, "headers", None) or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class KeptAlivePoster:
    """chat.postMessage over one kept-alive connection.

    slack-sdk's WebClient opens a new connection (TCP + TLS) for every call,
    which caps a channel at a few dozen posts a second.  Posting is the hot call,
    so it goes over one persistent `http.client` connection: measured on
    delivery, httpx's request machinery (URL merging, header models, h11 events)
    was over half of the time per post, http.client's a small part.  When a proxy
    applies to the API URL (HTTPS_PROXY and friends), posts go through httpx,
    which honours it.  Either way the answer is judged by slack-sdk
    (SlackResponse.validate raises the same SlackApiError), so error handling is
    shared with the rarer calls that stay on WebClient.  No retries here: a
    failed post surfaces as an exception and the outbox decides (read-back first).
    """

    def __init__(self, token: str, base_url: str, timeout: float) -> None:
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {token}",
                        "Content-Type": "application/json; charset=utf-8"}
        parts = urlsplit(self.base_url)
        self._https = parts.scheme == "https"
        self._host, self._port, self._path = parts.hostname or "", parts.port, parts.path
        self._conn: _HTTP | _HTTPS | None = None
        self._proxied = _proxy_for(self.base_url)
        self.http: httpx.Client | None = None
        if self._proxied:
            self.http = httpx.Client(base_url=self.base_url, timeout=timeout,
                                     headers=self.headers)

    def call(self, method: str, payload: dict[str, Any]) -> SlackResponse:
        from slack_sdk.web import SlackResponse

        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        if self.http is not None:
            resp = self.http.post(method, content=body)
            status, headers, raw = resp.status_code, dict(resp.headers), resp.content
        else:
            status, headers, raw = self._post(method, body)
        try:
            data = json.loads(raw)
        except ValueError:
            data = {"ok": False}
        if not isinstance(data, dict):
            data = {"ok": False}
        response = SlackResponse(client=None, http_verb="POST", api_url=self.base_url + method,
                                 req_args={}, data=data, headers=headers, status_code=status)
        # Raises SlackApiError unless ok; slack-sdk leaves validate() unannotated.
        response.validate()  # type: ignore[no-untyped-call]
        return response

    def _post(self, method: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        conn = self._connection()
        try:
            conn.request_in_one_write("POST", self._path + method, body, self.headers)
            resp = conn.getresponse()
            raw = resp.read()
        except BaseException:
            self.close()  # the connection's state is unknown: never reuse it
            raise
        if resp.will_close:
            self.close()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, raw

    def _connection(self) -> _HTTP | _HTTPS:
        conn = self._conn
        if conn is not None and conn.sock is not None and _closed_by_peer(conn.sock):
            self.close()  # the server ended the idle connection: open a new one
            conn = None
        if conn is None:
            conn = (_HTTPS if self._https else _HTTP)(self._host, self._port,
                                                      timeout=self.timeout)
            conn.connect()
            # Nagle would hold a small second segment until the server's delayed ACK.
            if conn.sock is not None:
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = conn
        return conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self.http is not None:
            self.http.close()


class _OneWrite:
    """http.client writes a request's headers and its body with two sends: two
    packets, and the server wakes twice for every post.  This collects what one
    `request` sends and writes it at once (`send` is http.client's public hook)."""

    _collected: list[bytes] | None = None

    def send(self, data: Any) -> None:
        if self._collected is not None and isinstance(data, bytes | bytearray):
            self._collected.append(bytes(data))
            return
        super().send(data)  # type: ignore[misc]

    def request_in_one_write(self, method: str, url: str, body: bytes,
                             headers: dict[str, str]) -> None:
        self._collected = []
        try:
            self.request(method, url, body, headers)  # type: ignore[attr-defined]
            data = b"".join(self._collected)
        finally:
            self._collected = None
        self.send(data)


class _HTTP(_OneWrite, http.client.HTTPConnection):
    pass


class _HTTPS(_OneWrite, http.client.HTTPSConnection):
    pass


def _closed_by_peer(sock: socket.socket) -> bool:
    """True when an idle kept-alive socket is readable: the server closed it (or
    sent something unasked), so a request on it would fail or be misread."""
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _proxy_for(url: str) -> bool:
    """Whether the environment routes `url` through a proxy (httpx's and urllib's rules)."""
    host = urlsplit(url).hostname or ""
    scheme = urlsplit(url).scheme
    return bool(urllib.request.getproxies().get(scheme)) and not urllib.request.proxy_bypass(host)


class SlackSink:
    name = "slack"
    supports_threads = True

    def __init__(self, token: str, base_url: str | None = None, timeout: int = 15,
                 feedback: bool = False) -> None:
        self.feedback = feedback  # item alerts carry feedback buttons (Socket Mode is on)
        self._token, self._timeout = token, timeout
        self._client: WebClient | None = None
        self.poster = KeptAlivePoster(token, base_url or DEFAULT_API_URL, timeout)

    @property
    def client(self) -> WebClient:
        """slack-sdk's client, for the calls other than posting (history reads, files)."""
        if self._client is None:
            from slack_sdk import WebClient

            self._client = WebClient(token=self._token, base_url=self.poster.base_url,
                                     timeout=self._timeout, retry_handlers=[])
        return self._client

    def post(self, channel: str, message: Message, *, alert_id: int | None = None,
             thread_ts: str | None = None, broadcast: bool = False,
             text_only: bool = False) -> Receipt:
        kwargs: dict[str, Any] = {"channel": channel, "text": message.text,
                                  "unfurl_links": False, "unfurl_media": False}
        if message.blocks and not text_only:
            kwargs["blocks"] = message.blocks
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
            if broadcast:
                kwargs["reply_broadcast"] = True
        if alert_id is not None:
            kwargs["metadata"] = {"event_type": EVENT_TYPE,
                                  "event_payload": {"alert_id": alert_id}}
        from slack_sdk.errors import SlackApiError

        try:
            resp = self.poster.call("chat.postMessage", kwargs)
        except SlackApiError as e:
            return self._failure(e)
        except (httpx.TransportError, HTTPException, OSError, TimeoutError) as e:
            # The request may or may not have reached Slack: the outbox treats the
            # outcome as unknown and looks in history before trying again.
            return Receipt(Outcome.UNKNOWN, error=f"connection error: {e}")
        return Receipt(ts=resp.get("ts"), channel_id=resp.get("channel"))

    def _failure(self, e: SlackApiError) -> Receipt:
        resp = e.response
        status = getattr(resp, "status_code", 200)
        error = str(resp.get("error") if hasattr(resp, "get") else "") or f"HTTP {status}"
        if status == 429 or error in ("ratelimited", "rate_limited"):
            return Receipt(Outcome.RETRY, error="ratelimited", hint=EXPLAIN["ratelimited"],
                           retry_after=_retry_after(resp) or 1.0)
        if status >= 500:
            return Receipt(Outcome.UNKNOWN, error=f"HTTP {status} {error}".strip())
        return Receipt(kind_of(error), error=error, hint=EXPLAIN.get(error))

    def find_posted(self, channel: str, alert_id: int, oldest: float,
                    thread_ts: str | None = None) -> str | None:
        """ts of a message in `channel` tagged with `alert_id`, or None if none is there.

        A thread reply is not in conversations.history (unless broadcast), so
        replies are looked up in their thread.  Raises ReadBackError when Slack
        cannot be asked (UNKNOWN: the caller must not guess then) or refuses to
        be asked (PERMANENT, e.g. no channels:history scope).
        """
        from slack_sdk.errors import SlackApiError

        try:
            return self._find_posted(channel, alert_id, oldest, thread_ts)
        except SlackApiError as e:
            error = str(e.response.get("error") or "")
            if e.response.status_code == 200 and error not in TRANSIENT:
                raise ReadBackError(Outcome.PERMANENT, explain(error)) from e
            raise ReadBackError(Outcome.UNKNOWN, f"{error or e.response.status_code}") from e
        except (OSError, HTTPException) as e:
            raise ReadBackError(Outcome.UNKNOWN, str(e)) from e

    def _find_posted(self, channel: str, alert_id: int, oldest: float,
                     thread_ts: str | None) -> str | None:
        cursor = None
        for _ in range(10):  # 2000 messages: minutes of history on any sane channel
            if thread_ts:
                resp = self.client.conversations_replies(
                    channel=channel, ts=thread_ts, oldest=f"{oldest:.6f}",
                    include_all_metadata=True, limit=200, cursor=cursor)
            else:
                resp = self.client.conversations_history(
                    channel=channel, oldest=f"{oldest:.6f}", include_all_metadata=True,
                    limit=200, cursor=cursor)
            for msg in resp.get("messages") or []:
                meta = msg.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == EVENT_TYPE and str(payload.get("alert_id")) == str(
                        alert_id):
                    return str(msg.get("ts"))
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not resp.get("has_more") or not cursor:
                return None
        return None
