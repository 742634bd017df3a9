"""What `monitor run` starts beside its scheduler, and stops on shutdown."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from monitor.config import Config
from monitor.feedback.retrain import Retrainer
from monitor.feedback.socket import FeedbackListener

log = logging.getLogger(__name__)


@dataclass
class Services:
    listener: FeedbackListener | None = None
    retrainer: Retrainer | None = None
    stops: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for stop in reversed(self.stops):
            try:
                stop()
            except Exception:  # shutting down: report and go on stopping the rest
                log.exception("error while stopping feedback services")


def start(config: Callable[[], Config], monitor: Any, env: Mapping[str, str],
          classifier_for: Callable[[Config], Any] | None = None) -> Services:
    """Socket Mode when SLACK_APP_TOKEN (and SLACK_BOT_TOKEN) are set; retraining when
    the config has `retrain:`.  `monitor.classifier` is replaced when the CURRENT model
    changes (a retrain, or `monitor model use`)."""
    services = Services()
    cfg = config()
    app_token = env.get("SLACK_APP_TOKEN", "").strip()
    bot_token = env.get("SLACK_BOT_TOKEN", "").strip()
    if app_token and not bot_token:
        log.warning("SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: alerts go to the "
                    "console, so there are no feedback buttons to click")
    elif app_token:
        listener = FeedbackListener(app_token, bot_token, cfg.database,
                                    api_url=env.get("SLACK_API_URL") or None)
        listener.start()
        services.listener = listener
        services.stops.append(listener.stop)
    if classifier_for is not None:
        # Also without `retrain:`: it follows `monitor model use` (a rollback) from a shell.
        load = classifier_for

        def swap() -> None:
            monitor.set_classifier(load(config()))
            log.info("classifier now %s", getattr(monitor.classifier, "version", "?"))

        retrainer = Retrainer(config, swap)
        retrainer.start()
        services.retrainer = retrainer
        services.stops.append(retrainer.stop)
    return services
