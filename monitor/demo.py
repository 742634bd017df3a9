"""`make demo`: serve the bundled sample feeds on 127.0.0.1 and run one real pass.

The sample feeds in demo/feeds/ carry `{{ago:2h}}` placeholders so their items
are always inside the backlog window; they are rendered once at start, so the
second request for a feed gets a 304 like a real server would.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from monitor.config import parse_duration

ROOT = Path(__file__).resolve().parent.parent
FEEDS = ROOT / "demo" / "feeds"
PORT = 18765
_AGO = re.compile(r"\{\{ago:([0-9]+[smhd])\}\}")
_TYPES = {".xml": "application/rss+xml; charset=utf-8",
          ".atom": "application/atom+xml; charset=utf-8"}


def render(text: str, iso_dates: bool, now: datetime) -> str:
    def sub(m: re.Match[str]) -> str:
        when = now - timedelta(seconds=parse_duration(m.group(1)))
        return when.strftime("%Y-%m-%dT%H:%M:%SZ") if iso_dates else format_datetime(when)

    return _AGO.sub(sub, text)


def load_feeds(folder: Path = FEEDS, now: datetime | None = None) -> dict[str, bytes]:
    now = now or datetime.now(UTC)
    return {
        f"/{p.name}": render(p.read_text(encoding="utf-8"), p.suffix == ".atom", now).encode()
        for p in sorted(folder.iterdir()) if p.suffix in _TYPES
    }


def serve(feeds: dict[str, bytes], port: int = PORT) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = feeds.get(self.path)
            if body is None:
                self.send_error(404, "no such demo feed")
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", _TYPES[Path(self.path).suffix])
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    try:
        server = serve(load_feeds())
    except OSError as e:
        print(f"demo: cannot listen on 127.0.0.1:{PORT}: {e.strerror or e}", file=sys.stderr)
        return 1
    env = dict(os.environ, MONITOR_CONFIG=str(ROOT / "config" / "demo.yaml"),
               MONITOR_DB=str(ROOT / "data" / "demo" / "monitor.db"))
    shutil.rmtree(ROOT / "data" / "demo", ignore_errors=True)
    if not env.get("SLACK_BOT_TOKEN"):
        print("SLACK_BOT_TOKEN is not set: alerts are printed here instead of posted.\n")
    monitor = [sys.executable, "-m", "monitor"]
    try:
        print("$ monitor run --once   (first pass: sample feeds served from 127.0.0.1)")
        subprocess.run([*monitor, "run", "--once"], env=env, cwd=ROOT, check=True)
        print("\n$ monitor run --once   (second pass: nothing new, conditional GET answers 304)")
        subprocess.run([*monitor, "run", "--once"], env=env, cwd=ROOT, check=True)
        print("\n$ monitor log")
        subprocess.run([*monitor, "log"], env=env, cwd=ROOT, check=True)
        print("\n$ monitor sources")
        subprocess.run([*monitor, "sources"], env=env, cwd=ROOT, check=True)
    except subprocess.CalledProcessError as e:
        print(f"demo: step failed with exit code {e.returncode}", file=sys.stderr)
        return e.returncode or 1
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
