"""Feedback from Slack: buttons on alerts, Socket Mode clicks, corrections, retraining.

    status() -> dict                  Socket Mode connection state
    health() -> (ok, detail)          the same as an ops /healthz check
    start(config, monitor, env)       what `monitor run` starts beside the scheduler
"""

from monitor.feedback.service import Services, start
from monitor.feedback.socket import health, status

__all__ = ["Services", "health", "start", "status"]
