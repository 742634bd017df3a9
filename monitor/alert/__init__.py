"""Alerts: Block Kit formatting, chat sinks and exactly-once delivery from the outbox."""

from monitor.alert.format import Message, escape
from monitor.alert.outbox import deliver_pending
from monitor.alert.report import DeliveryReport
from monitor.alert.sinks import ConsoleSink, Sinks, build_sinks, targets_for

__all__ = ["ConsoleSink", "DeliveryReport", "Message", "Sinks", "build_sinks",
           "deliver_pending", "escape", "targets_for"]
