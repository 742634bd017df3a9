"""The week in numbers: counts by label and channel, top stories, quiet sources.

`build` is pure (rows in, a Report out); rendering to a table, Markdown or a
PNG chart is separate so the scheduled post can reuse it.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

NO_TOPIC = "(no topic)"


@dataclass
class Report:
    start: datetime | None
    end: datetime
    alerts: int = 0
    items: int = 0
    by: dict[str, Counter[str]] = field(default_factory=dict)  # topic/item/jurisdiction/channel
    per_day: dict[str, Counter[str]] = field(default_factory=dict)  # day -> main topic -> items
    stories: list[dict[str, Any]] = field(default_factory=list)
    quiet: list[dict[str, Any]] = field(default_factory=list)
    # Analysts' verdicts per week (Slack buttons and `monitor label`): precision as they see it.
    feedback: list[dict[str, Any]] = field(default_factory=list)

    @property
    def period(self) -> str:
        start = self.start.strftime("%Y-%m-%d") if self.start else "the beginning"
        return f"{start} to {self.end.strftime('%Y-%m-%d %H:%M')} UTC"


def build(alerts: list[dict[str, Any]], stories: list[dict[str, Any]],
          quiet: list[dict[str, Any]], start: datetime | None, end: datetime,
          feedback: list[dict[str, Any]] | None = None) -> Report:
    """Labels count items (an item sent to two channels is one item); channels count alerts."""
    report = Report(start, end, alerts=len(alerts), stories=stories, quiet=quiet,
                    feedback=list(feedback or []))
    report.by = {k: Counter() for k in ("topic", "item", "jurisdiction", "channel")}
    seen: dict[str, dict[str, Any]] = {}
    for a in alerts:
        report.by["channel"][a["channel"]] += 1
        seen.setdefault(a["item_id"], a)
    report.items = len(seen)
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    for a in seen.values():
        report.by["topic"].update(a["topic"] or [NO_TOPIC])
        report.by["item"].update(a["item"])
        report.by["jurisdiction"].update(a["jurisdiction"])
        # The chart counts each item once, under its most probable topic (listed first).
        per_day[str(a["created_at"])[:10]][(a["topic"] or [NO_TOPIC])[0]] += 1
    first = start.date() if start else min(
        (date.fromisoformat(d) for d in per_day), default=end.date())
    days = [first + timedelta(days=n) for n in range((end.date() - first).days + 1)]
    report.per_day = {d.isoformat(): per_day.get(d.isoformat(), Counter()) for d in days}
    return report


_HEADINGS = {"topic": "Topic", "item": "Item", "jurisdiction": "Jurisdiction",
             "channel": "Channel (alerts)"}


def _quiet_note(q: dict[str, Any]) -> str:
    if q.get("consecutive_failures"):
        return f"failing ({q['consecutive_failures']}x): {q.get('last_error') or '?'}"
    if q.get("newest"):
        return f"newest item {q['newest']}"
    return "no items yet"


def _precision(w: dict[str, Any]) -> str:
    return "-" if w.get("precision") is None else f"{w['precision']:.2f}"


def markdown(report: Report) -> str:
    lines = [f"# Export-control monitor: {report.period}", "",
             f"{report.alerts} alerts about {report.items} items.", ""]
    for kind, heading in _HEADINGS.items():
        lines += [f"## {heading}", "", "| label | count |", "|---|---:|"]
        lines += [f"| {_md(k)} | {n} |" for k, n in report.by[kind].most_common()] or ["| — | 0 |"]
        lines.append("")
    lines += ["## Top stories", "", "| outlets | items | story |", "|---:|---:|---|"]
    for s in report.stories:
        title = f"[{_md(s['title'])}]({s['url']})" if s.get("url") else _md(s["title"])
        lines.append(f"| {s['outlets']} | {s['items']} | {title} |")
    lines += ["", "## Sources gone quiet", ""]
    lines += [f"- **{_md(q['name'])}**: {_md(_quiet_note(q))}" for q in report.quiet] or ["none"]
    lines += ["", "## Analyst feedback", "",
              "| week of | items judged | relevant | not relevant | relabelled | precision |",
              "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {w['week']} | {w['items']} | {w['relevant']} | {w['not_relevant']} "
              f"| {w['relabelled']} | {_precision(w)} |" for w in report.feedback] or [
        "| — | 0 | 0 | 0 | 0 | - |"]
    return "\n".join(lines) + "\n"


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def print_table(report: Report) -> None:
    from rich.columns import Columns
    from rich.console import Console
    from rich.table import Table

    console = Console(width=160)
    console.print(f"[bold]{report.period}[/]: {report.alerts} alerts about {report.items} items")
    tables = []
    for kind, heading in _HEADINGS.items():
        t = Table(title=heading)
        t.add_column("label")
        t.add_column("count", justify="right")
        for k, n in report.by[kind].most_common():
            t.add_row(k, str(n))
        tables.append(t)
    console.print(Columns(tables))
    stories = Table(title="Top stories (most outlets)")
    for col in ("outlets", "items", "story"):
        stories.add_column(col, overflow="fold")
    for s in report.stories:
        stories.add_row(str(s["outlets"]), str(s["items"]), f"{s['title']}\n{s.get('url') or ''}")
    console.print(stories)
    quiet = Table(title="Sources gone quiet")
    quiet.add_column("source")
    quiet.add_column("why", overflow="fold")
    for q in report.quiet:
        quiet.add_row(q["name"], _quiet_note(q))
    console.print(quiet)
    judged = Table(title="Analyst feedback (precision as the analysts see it)")
    for col in ("week of", "items judged", "relevant", "not relevant", "relabelled", "precision"):
        judged.add_column(col, justify="left" if col == "week of" else "right")
    for w in report.feedback:
        judged.add_row(w["week"], str(w["items"]), str(w["relevant"]), str(w["not_relevant"]),
                       str(w["relabelled"]), _precision(w))
    console.print(judged)


def chart(report: Report, path: Path) -> Path:
    """Alerted items per day, stacked by main topic, written headless (Agg)."""
    import matplotlib  # start-up time: only `report` draws a chart

    matplotlib.use("Agg")
    logging.getLogger("matplotlib").setLevel(logging.WARNING)  # font cache and axis chatter
    import matplotlib.pyplot as plt

    days = [d[5:] for d in report.per_day]  # MM-DD: the year is in the title
    topics = sorted({t for c in report.per_day.values() for t in c})
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    bottom = [0] * len(days)
    for topic in topics:
        counts = [c[topic] for c in report.per_day.values()]
        ax.bar(days, counts, bottom=bottom, label=topic)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.set_title(f"Alerted items per day by main topic, {report.period}")
    ax.set_ylabel("items")
    if topics:
        ax.legend(loc="upper left", fontsize="small")
    else:
        ax.text(0.5, 0.5, "no alerts in this period", ha="center", transform=ax.transAxes)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
