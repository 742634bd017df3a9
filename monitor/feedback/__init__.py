"""Feedback from Slack: buttons on alerts, Socket Mode clicks, corrections, retraining.

    status() -> dict                  Socket Mode connection state
    health() -> (ok, detail)          the same as an ops /healthz check
    start(config, monitor, env)       what `monitor run` starts beside the scheduler
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.feedback.service import Services, start
    from monitor.feedback.socket import health, status

__all__ = ["Services", "health", "start", "status"]

# Resolved at first use (PEP 562): `monitor run` reads the active model's path from
# `feedback.versions` without loading Socket Mode and retraining.
_HOMES = {"Services": "service", "start": "service", "health": "socket", "status": "socket"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
