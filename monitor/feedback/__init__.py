"""Feedback from Slack: buttons on alerts, Socket Mode clicks, corrections, retraining.

    status() -> dict                  Socket Mode connection state (for the ops /healthz)
    start(config, monitor, env)       what `monitor run` starts beside the scheduler
"""

from monitor.feedback.service import Services, start
from monitor.feedback.socket import status

__all__ = ["Services", "start", "status"]
