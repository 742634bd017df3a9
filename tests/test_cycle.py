"""A poll cycle ends when every enabled source was polled once, or after `every` seconds."""

from __future__ import annotations

from monitor.cycle import PollCycle
from monitor.pipeline import SourceOutcome


def test_a_cycle_ends_when_every_source_was_polled_or_time_is_up() -> None:
    cycle = PollCycle(every=60)
    assert cycle.end(0) is None  # nothing polled: no event
    assert not cycle.add(SourceOutcome("a", "ok"), 10, ["a", "b"])
    assert not cycle.add(SourceOutcome("a", "not_modified"), 20, ["a", "b"])  # a again
    assert cycle.add(SourceOutcome("b", "ok"), 30, ["a", "b"])
    outcomes, seconds = cycle.end(30) or ([], 0)
    assert [(o.source, o.status) for o in outcomes] == [("a", "not_modified"), ("b", "ok")]
    assert seconds == 20
    assert not cycle.add(SourceOutcome("a", "ok"), 100, ["a", "b"])
    assert cycle.add(SourceOutcome("a", "ok"), 160, ["a", "b"])  # b never came: time is up
