"""Click commands for the classifier: train, classify, label, eval.  cli.py registers COMMANDS.

`train` and `label` read and write corrections in the store, so these commands
sit at the CLI layer beside `cli.py`: `classify/` itself never opens the database.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from monitor.console import EXIT_UNUSABLE, config_option, fail
from monitor.errors import ConfigError, ModelError, MonitorError


def _db_path(explicit: str | None) -> str | None:
    """--db, else $MONITOR_DB, else the config's database (if the config is readable)."""
    if explicit:
        return explicit
    if os.environ.get("MONITOR_DB"):
        return os.environ["MONITOR_DB"]
    try:
        from monitor.config import load_config

        return load_config().database
    except (ConfigError, OSError):
        return None


@click.command("train")
@click.option("--labels", "labels", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Extra labelled JSONL (eval format); repeatable.")
@click.option("--db", "db", default=None, help="Database with corrections (default: $MONITOR_DB "
              "or the config's database; skipped when absent).")
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False),
              help="Artifact path (default: the config's `model`, else the packaged one).")
@config_option
def train_cmd(labels: tuple[str, ...], db: str | None, out: str | None) -> None:
    """Rebuild the classifier from seeds/, training/, --labels files and corrections.

    Writes to --out, else the config's `model:` path (what `run` loads), else the
    model inside the package (a development checkout).  Progress goes to stderr.
    """
    from monitor.classify.lazy import DEFAULT_MODEL

    try:
        from monitor.classify.training.train import train
    except ImportError as e:  # the runtime image carries no training libraries
        fail(f"error: monitor train needs the training libraries ({e.name}): "
             "pip install -r requirements-dev.lock", EXIT_UNUSABLE)
    target = out or _configured_model()
    writable = Path(target).parent if target else DEFAULT_MODEL.parent
    if not os.access(writable if writable.exists() else writable.parent, os.W_OK):
        fail(f"error: cannot write the model into {writable}; set `model:` in the config "
             "(e.g. /data/model.json.gz) or pass --out", EXIT_UNUSABLE)
    db_path = _db_path(db)
    if db_path and not Path(db_path).is_file():
        db_path = None
    started = time.monotonic()

    def stage(message: str) -> None:
        click.echo(f"[{time.monotonic() - started:6.1f}s] {message}", err=True)

    from monitor.store.corrections import load_corrections

    corrections = load_corrections(db_path) if db_path else []
    with _ticker(stage):
        report = train(labels=list(labels), corrections=corrections, out=target, progress=stage)
    for source, n in report.counts.items():
        click.echo(f"{source:>12}: {n} examples")
    if report.skipped_lines:
        click.echo(f"{'skipped':>12}: {report.skipped_lines} unreadable lines")
    click.echo(f"wrote {report.out} ({report.size / 1024:.0f} KiB, "
               f"{report.meta.get('features')} features, {report.meta.get('relevant')} relevant "
               f"of {report.meta.get('examples')})")


def _configured_model() -> str | None:
    try:
        from monitor.config import load_config

        return load_config().model
    except (ConfigError, OSError):
        return None


@contextlib.contextmanager
def _ticker(say: Callable[[str], None], every: float = 20.0) -> Iterator[None]:
    """A line every `every` seconds while a long step runs: the person sees it is alive."""
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(every):
            say("still working …")

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=1)


@click.command("classify")
@config_option
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=None,
              help="Relevance threshold (default: the config's alerts.threshold, else 0.5).")
@click.option("--model", "model", default=None, type=click.Path(dir_okay=False),
              help="Artifact path (default: the config's model, else the shipped one).")
def classify_cmd(threshold: float | None, model: str | None) -> None:
    """Read JSONL {"id","title","text","lang"?} on stdin; write one verdict per line."""
    from monitor.classify.model import load_classifier

    if threshold is None or model is None:
        try:
            from monitor.config import load_config

            cfg = load_config()
            threshold = cfg.alerts.threshold if threshold is None else threshold
            model = model or cfg.model
        except (ConfigError, OSError):
            pass
    try:
        clf = load_classifier(model, threshold=0.5 if threshold is None else threshold)
    except ModelError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(2)
    out = sys.stdout
    for n, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        rec: object = None
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("expected a JSON object")
            item_id = rec.get("id")
            title, text = rec.get("title", ""), rec.get("text", "")
            if not isinstance(title, str) or not isinstance(text, str):
                raise ValueError("title and text must be strings")
            lang = rec.get("lang") if isinstance(rec.get("lang"), str) else None
            verdict = clf.classify(title, text, lang)
            row: dict[str, object] = verdict.as_json(str(item_id) if item_id is not None else "")
        except ValueError as e:
            row = {"id": rec.get("id") if isinstance(rec, dict) else None,
                   "line": n, "error": f"bad input line {n}: {e}"}
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        out.flush()


@click.command("label")
@click.argument("item_id")
@click.option("--relevant/--not-relevant", required=True, help="The correct relevance.")
@click.option("--topic", multiple=True, help="Topic label ID; repeatable.")
@click.option("--item", "items", multiple=True, help="Item label ID; repeatable.")
@click.option("--jurisdiction", multiple=True, help="Jurisdiction code; repeatable.")
@click.option("--note", default=None, help="Why (kept with the correction).")
@click.option("--db", "db", default=None, help="Database (default: $MONITOR_DB or config).")
@config_option
def label_cmd(item_id: str, relevant: bool, topic: tuple[str, ...], items: tuple[str, ...],
              jurisdiction: tuple[str, ...], note: str | None, db: str | None) -> None:
    """Record an analyst correction for a stored item; the next `monitor train` learns it."""
    from monitor.classify.taxonomy import ITEMS, JURISDICTIONS, TOPICS
    from monitor.store.corrections import record_correction

    problems = []
    for name, given, allowed in (("topic", topic, TOPICS), ("item", items, ITEMS),
                                 ("jurisdiction", jurisdiction, JURISDICTIONS)):
        for g in given:
            if g not in allowed:
                problems.append(f"unknown {name} {g!r} (one of: {', '.join(allowed)})")
    if not relevant and (topic or items or jurisdiction):
        problems.append("--not-relevant items carry no topic/item/jurisdiction labels")
    if problems:
        raise click.UsageError("; ".join(problems))
    db_path = _db_path(db) or "data/monitor.db"
    try:
        row = record_correction(db_path, item_id, relevant,
                                topic=list(topic) or None, item=list(items) or None,
                                jurisdiction=list(jurisdiction) or None, note=note)
    except MonitorError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(1)  # mostly "no item with that id": the command ran, the answer is no
    click.echo(f"correction {row} recorded for {item_id}; run `monitor train` to learn it")


@click.command("eval")
@click.option("--dev", "dev", default=None, type=click.Path(dir_okay=False),
              help="Labelled JSONL to measure on (default: ../shared/eval/dev.jsonl).")
@click.option("--model", "model", default=None, type=click.Path(dir_okay=False))
def eval_cmd(dev: str | None, model: str | None) -> None:
    """Print precision/recall/F1 next to a keyword baseline, and what changed since last time."""
    from monitor.classify.training.evaluate import main

    argv = (["--dev", dev] if dev else []) + (["--model", model] if model else [])
    sys.exit(main(argv))


COMMANDS = [train_cmd, classify_cmd, label_cmd, eval_cmd]
