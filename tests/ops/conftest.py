"""A real `monitor run` subprocess with its stderr collected line by line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate: Callable[[], Any], limit: float = 90.0) -> Any:
    # A safety net against a hung test, not a performance assertion.
    end = time.monotonic() + limit
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return None


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "MONITOR_", "LOG_"))}
    env.update(MONITOR_CONFIG=str(tmp_path / "monitor.yaml"),
               MONITOR_DB=str(tmp_path / "monitor.db"), **extra)
    return env


def monitor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@dataclass
class Running:
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in list(self.lines)]

    def event(self, name: str) -> dict[str, Any] | None:
        return next((e for e in self.events() if e.get("event") == name), None)

    def stop(self) -> tuple[str, int]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, _ = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        return out, int(self.proc.returncode)


def start_run(env: dict[str, str]) -> Running:
    proc = subprocess.Popen([sys.executable, "-m", "monitor", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run = Running(proc)

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            run.lines.append(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return run
