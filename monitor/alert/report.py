"""What a delivery run did: the counts `monitor run` prints and the metrics export."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    waiting: int = 0  # thread replies waiting for their parent
    digested: int = 0

    def add(self, later: DeliveryReport) -> None:
        """Fold a later run into this total: counts add up, the backlog is the later one's."""
        self.sent += later.sent
        self.failed += later.failed
        self.digested += later.digested
        self.retrying, self.waiting = later.retrying, later.waiting

    def __str__(self) -> str:
        parts = [f"{self.sent} sent", f"{self.failed} failed", f"{self.retrying} retrying"]
        if self.digested:
            parts.append(f"{self.digested} held for digest")
        if self.waiting:
            parts.append(f"{self.waiting} waiting for a thread parent")
        return ", ".join(parts)
