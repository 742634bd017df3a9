"""Datasette as analysts run it: a real process on 127.0.0.1 over a real database file.

The file is deliberately not called monitor.db: the queries must not depend on
the database's name.  Every canned query and every table is fetched.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

pytest.importorskip("datasette", reason="datasette is in requirements-dev.lock")

ROOT = Path(__file__).resolve().parents[2]
SPEC = yaml.safe_load((ROOT / "config" / "datasette.yaml").read_text(encoding="utf-8"))
QUERIES = SPEC["review"]["queries"]
EXPECT = {"recent_alerts": 2, "undelivered": 1, "unhealthy_sources": 1, "near_misses": 1,
          "by_label": 2, "stories": 1, "corrections_log": 1,
          "slack_feedback": 0, "feedback_by_week": 1}
FILLED = {"near_misses": {"min_score": "0.35"}, "by_label": {"label": "CN"}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(db: Path) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", str(db),
         "--metadata", str(ROOT / "config" / "datasette.yaml"),
         "--plugins-dir", str(ROOT / "config" / "datasette-plugins"),
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return proc, f"http://127.0.0.1:{port}"


def _ready(client: httpx.Client, proc: subprocess.Popen[str]) -> None:
    # A safety net against a hung start, not a performance assertion.
    for _ in range(300):
        if proc.poll() is not None:
            raise AssertionError(f"datasette exited: {proc.stdout.read() if proc.stdout else ''}")
        try:
            if client.get("/-/versions.json").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("datasette never answered")


def test_every_query_and_table_over_http(db_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "review-copy.db"
    shutil.copy(db_path, db)
    for suffix in ("-wal", "-shm"):
        if Path(str(db_path) + suffix).exists():
            shutil.copy(str(db_path) + suffix, str(db) + suffix)
    proc, base = _serve(db)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            _ready(client, proc)
            info = client.get("/review-copy.json").json()
            assert {q["name"] for q in info["queries"]} == set(QUERIES)
            tables = [t["name"] for t in info["tables"]]
            views = [v if isinstance(v, str) else v["name"] for v in info.get("views") or []]
            assert "alert_log" in views and {"items", "alerts", "sources"} <= set(tables)
            for name in sorted(QUERIES):
                # a blank form (what the browser sends first) gets the defaults
                blank = {p: "" for p in FILLED.get(name, {})}
                r = client.get(f"/review-copy/{name}.json",
                               params={**blank, "_shape": "array"})
                assert r.status_code == 200, (name, r.text[:300])
                assert len(r.json()) == EXPECT[name], name
            for name, params in FILLED.items():
                r = client.get(f"/review-copy/{name}.json",
                               params={**params, "_shape": "array"})
                assert r.status_code == 200, (name, r.text[:300])
                assert r.json(), name
            for table in tables + views:
                r = client.get(f"/review-copy/{table}.json", params={"_size": "5"})
                assert r.status_code == 200, (table, r.text[:300])
            page = client.get("/review-copy/alert_log")
            assert page.status_code == 200 and "One row per item alert" in page.text
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
