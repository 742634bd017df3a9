"""`monitor rules test`, `monitor backtest`, `monitor search`: read-only views of history."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from monitor.analyst.backtest import Backtest, as_item, as_verdict, backtest
from monitor.analyst.common import fail, open_store, print_items, since_start
from monitor.analyst.outputs import COMMANDS as OUTPUT_COMMANDS
from monitor.config import load_config
from monitor.errors import ConfigError
from monitor.rules import query as q
from monitor.rules.match import rule_matches
from monitor.rules.terms import found, normalise
from monitor.store import utcnow
from monitor.store.search import candidates, rebuild_index


def _parse(query: str) -> q.Node:
    try:
        return q.parse(query)
    except q.QuerySyntaxError as e:
        fail(f"error: {e}")


def find(db: Any, query: str, since: str) -> list[dict[str, Any]]:
    """Stored items (first seen within `since`) that `query` matches, newest first."""
    node = _parse(query)
    rows = candidates(db, node, since_start(since, utcnow()))
    return [row for row in rows if _holds(node, f"{row['title']}\n{row.get('summary') or ''}")]


def _holds(node: q.Node, text: str) -> bool:
    haystack = normalise(text)
    return q.evaluate(node, lambda term: found(term, haystack))


_SEARCH_KEYS = ("id", "title", "url", "published", "relevant", "score", "topic", "item",
                "jurisdiction", "source", "first_seen")


def _emit(rows: list[dict[str, Any]], as_json: bool, title: str) -> None:
    if as_json:
        for r in rows:
            click.echo(json.dumps({k: r.get(k) for k in _SEARCH_KEYS}, ensure_ascii=False))
    else:
        print_items(title, rows)


def _query_options(command: Callable[..., None]) -> Callable[..., None]:
    """QUERY and the window/limit/JSON options `search` and `rules test` share."""
    for decorator in reversed((
        click.argument("query"),
        click.option("--since", default="30d", show_default=True,
                     help="Only items first seen within this window (e.g. 7d, 12h; 'all')."),
        click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1)),
        click.option("--json", "as_json", is_flag=True, help="One JSON object per line."),
    )):
        command = decorator(command)
    return command


@click.command("search")
@_query_options
@click.option("--rebuild", is_flag=True, help="Rebuild the search index first.")
def search(query: str, since: str, limit: int, as_json: bool, rebuild: bool) -> None:
    """Full-text search over stored items (title, summary), newest first.

    QUERY uses the watch-rule language: words, "quoted phrases", AND, OR, NOT
    and parentheses; Chinese and Japanese match as substrings.
    """
    _cfg, db = open_store()
    if rebuild:
        rebuild_index(db)
    rows = find(db, query, since)
    _emit(rows[:limit], as_json, f"{len(rows)} items match {query!r} (newest first)")


@click.group("rules")
def rules() -> None:
    """Try watch-rule queries against stored items."""


@rules.command("test")
@_query_options
def rules_test(query: str, since: str, limit: int, as_json: bool) -> None:
    """Which stored items QUERY matches, as a watch rule's `query:` would."""
    _cfg, db = open_store()
    rows = find(db, query, since)
    if not as_json:
        click.echo(f"{len(rows)} stored items within {since} match {query!r}"
                   + (f"; showing the newest {limit}" if len(rows) > limit else ""))
    _emit(rows[:limit], as_json, "Matching items (newest first)")


@rules.command("match")
@click.argument("name")
@click.option("--since", default="30d", show_default=True,
              help="Only items first seen within this window (e.g. 7d, 12h; 'all').")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
def rules_match(name: str, since: str, limit: int) -> None:
    """Which stored items the configured watch rule NAME matches, every condition included."""
    cfg, db = open_store()
    rule = next((r for r in cfg.watch if r.name == name), None)
    if rule is None:
        fail(f"error: no watch rule named {name!r} (rules: "
             f"{', '.join(r.name for r in cfg.watch) or 'none'})")
    node = q.parse(rule.query) if rule.query else None
    rows = [r for r in candidates(db, node, since_start(since, utcnow()))
            if rule_matches(rule, as_item(r), as_verdict(r, cfg.alerts.threshold))]
    click.echo(f"{len(rows)} stored items within {since} match rule {name!r} "
               f"(channel {rule.channel or cfg.alerts.channel})")
    print_items("Matching items (newest first)", rows[:limit])


def _print_backtest(result: Backtest, since: str, limit: int) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(width=160)
    table = Table(title=f"Backtest over {result.items} items first seen within {since}")
    for col in ("channel", "alerts now", "alerts with NEW", "added", "removed"):
        table.add_column(col)
    for channel, (now, new) in result.per_channel.items():
        added = sum(1 for c in result.added if c.channel == channel)
        removed = sum(1 for c in result.removed if c.channel == channel)
        table.add_row(channel, str(now), str(new), f"+{added}", f"-{removed}")
    console.print(table)
    for sign, changes in (("+", result.added), ("-", result.removed)):
        for c in changes[:limit]:
            console.print(f"{sign} {escape(c.channel)}  {escape(c.reason)}  {escape(c.title)}"
                          f"  [dim]({escape(c.item_id)})[/]", highlight=False)
        if len(changes) > limit:
            console.print(f"{sign} … and {len(changes) - limit} more")
    console.print(f"{len(result.added)} added, {len(result.removed)} removed, "
                  f"{result.unchanged} unchanged; nothing was posted.")


@click.command("backtest")
@click.option("--config", "new_path", required=True, type=click.Path(dir_okay=False),
              help="The proposed config to compare with the current one.")
@click.option("--since", default="30d", show_default=True,
              help="Replay items first seen within this window (e.g. 7d; 'all').")
@click.option("--json", "as_json", is_flag=True,
              help='One object: {"added": [...], "removed": [...], "unchanged": N}.')
@click.option("--limit", default=50, show_default=True, help="Changes listed per direction.")
def backtest_cmd(new_path: str, since: str, as_json: bool, limit: int) -> None:
    """What would alert differently, per channel, under the config NEW.yaml.

    Routes the stored items through the current config ($MONITOR_CONFIG) and
    through NEW.yaml (rules, threshold, channels); posts and writes nothing.
    """
    current, db = open_store()
    try:
        new = load_config(new_path)
    except ConfigError as e:
        fail("\n".join(e.problems))
    rows = candidates(db, None, since_start(since, utcnow()))
    result = backtest(rows, current, new)
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False))
        return
    _print_backtest(result, since, limit)


# Every analyst command, registered by monitor.cli in one line.
COMMANDS = [search, rules, backtest_cmd, *OUTPUT_COMMANDS]
