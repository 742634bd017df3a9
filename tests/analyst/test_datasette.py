"""Datasette's search box on the items table, served by a real Datasette process."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.analyst.conftest import AlertLog

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())  # type: ignore[no-any-return]


@pytest.mark.skipif(shutil.which("datasette") is None and not (
    Path(sys.executable).parent / "datasette").exists(), reason="datasette is not installed")
def test_search_box_on_items(alert_log: AlertLog, tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    shutil.copy(alert_log.db, db)
    port = _free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "datasette"), str(db), "--metadata",
         str(ROOT / "config" / "datasette.yaml"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}/monitor/items.json"
        for _ in range(200):
            try:
                _get(base)
                break
            except OSError:
                time.sleep(0.1)
        for query, expected in (("出口管制", "https://mofcom.example/ga"),
                                ("輸出管理", "https://meti.example/chips"),
                                ("germanium", "https://wire.example/gallium")):
            page = _get(base + "?_shape=objects&_search=" + urllib.parse.quote(query))
            urls = {row["url"] for row in page["rows"]}  # type: ignore[index]
            assert expected in urls, (query, urls)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
