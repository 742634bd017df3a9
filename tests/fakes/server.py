"""The loopback HTTP server every fake is built on."""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from typing import Any


class LoopbackServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that stays quiet when a client hangs up on purpose.

    Tests abort downloads (size cap, deadline) and the stdlib would print a
    ConnectionResetError traceback for each; anything else is still reported.
    """

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)
