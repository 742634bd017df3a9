"""Poll cycles of `monitor run`: when one ends, the poll_cycle event and housekeeping run.

Sources are polled on their own schedules, so a "cycle" is counted, not scheduled:
it ends when every enabled source has been polled once since it began, or `every`
seconds after it began, whichever comes first.  Pure bookkeeping: the caller says
what time it is and what to do at the end.
"""

from __future__ import annotations

from collections.abc import Collection

from monitor.pipeline import SourceOutcome


class PollCycle:
    def __init__(self, every: float) -> None:
        self.every = every
        self.outcomes: dict[str, SourceOutcome] = {}  # the latest poll of each source
        self.started: float | None = None

    def add(self, outcome: SourceOutcome, now: float, enabled: Collection[str]) -> bool:
        """Count a poll; True when the cycle is complete (the caller then calls `end`)."""
        if self.started is None:
            self.started = now
        self.outcomes[outcome.source] = outcome
        return set(enabled) <= set(self.outcomes) or now - self.started >= self.every

    def end(self, now: float) -> tuple[list[SourceOutcome], float] | None:
        """The cycle's outcomes and its length in seconds, and a new cycle; None if empty."""
        if self.started is None:
            return None
        taken = list(self.outcomes.values()), now - self.started
        self.outcomes, self.started = {}, None
        return taken
