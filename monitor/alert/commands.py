"""`monitor send-test CHANNEL`: prove the Slack setup with one sample alert."""

from __future__ import annotations

import os

import click

from monitor.alert.format import item_message
from monitor.alert.sinks import build_sinks
from monitor.alert.slack import explain
from monitor.config import load_config
from monitor.console import EXIT_NO, EXIT_UNUSABLE, config_option, fail
from monitor.errors import ConfigError

SAMPLE = {
    "title": "Test alert: MOFCOM announces export controls on sample items",
    "url": "https://example.org/export-control-monitor/test",
    "source": "send-test",
    "published": None,
    "lang": "en",
    "score": 0.99,
    "topic": ["new_restriction"], "item": ["dual_use"], "jurisdiction": ["CN"],
    "why": ["this is a test message from `monitor send-test`"],
    "summary": "If you can read this, the monitor can post to this channel.",
    "facts": {"announcements": ["MOFCOM 2025 No. 0 (sample)"]},
}


@click.command("send-test")
@click.argument("channel")
@config_option
def send_test(channel: str) -> None:
    """Post a sample alert to CHANNEL and explain the outcome."""
    try:
        cfg = load_config()
    except ConfigError as e:
        fail(f"error: {e}", EXIT_UNUSABLE)
    sinks = build_sinks(cfg, dict(os.environ))
    receipt = sinks.slack.post(channel, item_message(SAMPLE, "classifier"))
    if receipt.ok:
        where = "Slack" if sinks.slack.name == "slack" else "the console (no SLACK_BOT_TOKEN)"
        click.echo(f"ok: posted to {channel} via {where}"
                   + (f", ts {receipt.ts}" if receipt.ts else ""))
        return
    fail(f"failed: {explain(receipt.error or 'unknown error')}", EXIT_NO)


COMMANDS = [send_test]
