"""Where alerts go: Slack when a token is set, else the console; plus apprise targets."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TextIO

from monitor.alert.format import Message, plain
from monitor.alert.slack import SlackSink
from monitor.config import Config
from monitor.models import Outcome, Receipt
from monitor.seams import Sink
from monitor.secrets import target_ref

SLACK = "slack"


class ConsoleSink:
    """No token: print what would have been posted; the log still records it as sent."""

    name = "console"
    supports_threads = False
    feedback = False

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def post(self, channel: str, message: Message, *, alert_id: int | None = None,
             thread_ts: str | None = None, broadcast: bool = False,
             text_only: bool = False) -> Receipt:
        out = self.stream or sys.stdout
        thread = " (thread reply)" if thread_ts else ""
        print(f"── alert → {channel}{thread}\n{plain(message.text)}\n", file=out, flush=True)
        return Receipt()


class AppriseSink:
    """Teams, Discord, e-mail, webhooks …: one apprise URL per sink, no read-back."""

    name = "apprise"
    supports_threads = False
    feedback = False

    def __init__(self, url: str) -> None:
        import apprise  # start-up time: ~0.2 s, and many installs post to Slack only

        self.url = url
        self.apprise = apprise.Apprise()
        self.valid = bool(self.apprise.add(url))

    def post(self, channel: str, message: Message, *, alert_id: int | None = None,
             thread_ts: str | None = None, broadcast: bool = False,
             text_only: bool = False) -> Receipt:
        if not self.valid:
            return Receipt(Outcome.PERMANENT, error=f"invalid apprise URL for {channel}")
        body = plain(message.text)
        title, _, rest = body.partition("\n")
        ok = self.apprise.notify(title=title[:250], body=rest or title)
        if ok:
            return Receipt()
        # apprise cannot tell a refusal from a lost answer: retry with backoff
        return Receipt(Outcome.UNKNOWN, error="apprise delivery failed")


class UnconfiguredSink:
    """An alert whose apprise target is no longer in the config: nothing to send it with."""

    name = "apprise"
    supports_threads = False
    feedback = False

    def post(self, channel: str, message: Message, *, alert_id: int | None = None,
             thread_ts: str | None = None, broadcast: bool = False,
             text_only: bool = False) -> Receipt:
        return Receipt(Outcome.PERMANENT,
                       error=f"apprise target of {channel} is no longer in the config")


@dataclass
class Sinks:
    slack: Sink
    extra: dict[str, Sink] = field(default_factory=dict)  # target ref (apprise:<hash>) -> sink

    def for_target(self, target: str, config: Config | None = None) -> Sink:
        """The sink of a stored target; apprise URLs are looked up in `config` by hash."""
        if target == SLACK:
            return self.slack
        if target not in self.extra:
            url = _configured_url(config, target) if config is not None else None
            self.extra[target] = AppriseSink(url) if url else UnconfiguredSink()
        return self.extra[target]


def _configured_url(config: Config, ref: str) -> str | None:
    return next((url for ch in config.channels.values() for url in ch.targets
                 if target_ref(url) == ref), None)


def build_sinks(config: Config, env: Mapping[str, str]) -> Sinks:
    """Slack with a token (else the console), plus one apprise sink per configured URL."""
    token = env.get("SLACK_BOT_TOKEN", "").strip()
    feedback = bool(env.get("SLACK_APP_TOKEN", "").strip())  # buttons only with Socket Mode
    slack: Sink = (SlackSink(token, env.get("SLACK_API_URL") or None, feedback=feedback)
                   if token else ConsoleSink())
    extra: dict[str, Sink] = {target_ref(url): AppriseSink(url)
                              for ch in config.channels.values() for url in ch.targets}
    return Sinks(slack=slack, extra=extra)


def targets_for(config: Config, channel: str) -> list[str]:
    """Every delivery target of a channel: Slack (or console) plus its apprise targets.

    Apprise targets are returned as references (`apprise:<hash>`): these are
    what the outbox stores, so the URL and its credentials stay in the config.
    """
    return [SLACK, *(target_ref(url) for url in config.channel_settings(channel).targets)]
