"""The ops HTTP listener: GET /healthz and GET /metrics, nothing else.

A stdlib ThreadingHTTPServer on its own daemon thread: it shares nothing with
the scheduler but the database (read through its own connection per request)
and the metrics registry, so a wedged poll cannot stop it from answering.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from monitor import logs
from monitor.ops import metrics


class ListenError(ValueError):
    """MONITOR_LISTEN / ops.listen is not host:port, or the port cannot be bound."""


def parse_listen(value: str) -> tuple[str, int]:
    """'127.0.0.1:9108', ':9108' (all interfaces), '[::1]:9108' -> (host, port)."""
    text = value.strip()
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ListenError(f"listen address {value!r}: use host:port, e.g. 127.0.0.1:9108")
    host = host.strip("[]") or "0.0.0.0"
    return host, int(port)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], health: Callable[[], dict[str, Any]]) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.health = health
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "monitor-ops"

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._send(200, generate_latest(metrics.REGISTRY), CONTENT_TYPE_LATEST)
        elif path in ("/healthz", "/health"):
            body = self.server.health()
            code = 200 if body.get("status") == "ok" else 503
            self._send(code, json.dumps(body, ensure_ascii=False).encode(), "application/json")
        else:
            self._send(404, b"not found: try /healthz or /metrics\n", "text/plain")

    def _send(self, code: int, body: bytes, content_type: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        logs.get_logger("monitor.ops").debug("ops_request", request=format % args)


class OpsServer:
    def __init__(self, listen: str, health: Callable[[], dict[str, Any]]) -> None:
        host, port = parse_listen(listen)
        try:
            self._server = _Server((host, port), health)
        except OSError as e:
            raise ListenError(f"cannot listen on {listen}: {e.strerror or e}") from e
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="ops-listener", daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"[{name}]:{port}" if ":" in name else f"{name}:{port}"

    def start(self) -> OpsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
