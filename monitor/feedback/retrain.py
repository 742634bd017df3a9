"""Retrain from the analysts' corrections, and let the new model in only when it is not worse.

One round: hold out a rotating fifth of the corrections, train a candidate on the
rest (plus seeds and training/ as `monitor train` does), score the candidate and
the current model on the dev set (when ../shared is there) and on the held-out
corrections, and make the candidate CURRENT only when no score drops by more than
`retrain.tolerance`.  Every candidate is kept on disk and listed by `monitor model`,
rejected ones included.  The held-out fifth changes each round, so a correction
held out once is learned by a later round.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.classify.lazy import DEFAULT_MODEL
from monitor.classify.model import load_classifier
from monitor.config import Config
from monitor.errors import ModelError, MonitorError
from monitor.feedback import versions
from monitor.store import corrections as store_corrections
from monitor.store import model_versions as registry
from monitor.store import open_db, parse_iso, utcnow
from monitor.store.corrections import load_corrections
from monitor.store.model_versions import Scores

log = logging.getLogger(__name__)

Trainer = Callable[[list[dict[str, Any]]], bytes]  # training corrections -> artifact bytes


def default_dev() -> Path:
    from monitor.classify.training.evaluate import DEV

    return DEV


_children: set[subprocess.Popen[str]] = set()
_children_lock = threading.Lock()


def stop_training() -> None:
    """End any fit under way (shutdown): no orphan keeps burning CPU after `monitor run`."""
    with _children_lock:
        running = list(_children)
    for child in running:
        child.terminate()


def default_trainer(corrections: list[dict[str, Any]]) -> bytes:
    """Fit in a child process (see fit_job); ModelError with its message when it fails."""
    with tempfile.TemporaryDirectory(prefix="monitor-retrain-") as tmp:
        src, out = Path(tmp) / "corrections.jsonl", Path(tmp) / "model.json.gz"
        src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in corrections),
                       encoding="utf-8")
        child = subprocess.Popen([sys.executable, "-m", "monitor.feedback.fit_job", str(src),
                                  str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True)
        with _children_lock:
            _children.add(child)
        try:
            _, err = child.communicate()
        finally:
            with _children_lock:
                _children.discard(child)
        if child.returncode != 0 or not out.is_file():
            last = (err.strip().splitlines() or ["no output"])[-1]
            raise ModelError(f"training exited with {child.returncode}: {last}")
        return out.read_bytes()


@dataclass(frozen=True)
class Outcome:
    version: str
    accepted: bool
    reason: str
    old: Scores
    new: Scores


def split(records: list[dict[str, Any]], share: float,
          salt: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, held out): a stable pseudo-random `share` of items, different per `salt`."""
    def bucket(r: dict[str, Any]) -> float:
        digest = hashlib.sha256(f"{salt}:{r['item_id']}".encode()).digest()
        return int.from_bytes(digest[:4], "big") / 2**32

    ranked = sorted(records, key=bucket)
    n_out = round(len(ranked) * share)
    if share > 0 and len(ranked) >= 2:
        n_out = max(1, n_out)
    return ranked[n_out:], ranked[:n_out]


def score(model_path: str | None, threshold: float, dev: list[dict[str, Any]],
          heldout: list[dict[str, Any]]) -> Scores:
    from monitor.classify.training.evaluate import score as eval_score

    clf = load_classifier(model_path, threshold=threshold)
    dev_f1 = None
    if dev:
        preds = [clf.classify(r["title"], r["text"], r.get("lang")) for r in dev]
        dev_f1 = round(eval_score(dev, preds)["rel_f1"], 4)
    acc = None
    if heldout:
        hits = sum(clf.classify(r["title"], r["text"], r.get("lang")).relevant == r["relevant"]
                   for r in heldout)
        acc = round(hits / len(heldout), 4)
    return Scores(dev_f1=dev_f1, heldout_accuracy=acc, heldout_n=len(heldout))


def not_worse(new: Scores, old: Scores, tolerance: float) -> tuple[bool, str]:
    pairs = [("dev F1", new.dev_f1, old.dev_f1),
             ("held-out accuracy", new.heldout_accuracy, old.heldout_accuracy)]
    compared = [(name, n, o) for name, n, o in pairs if n is not None and o is not None]
    if not compared:
        return False, "nothing to score against (no dev set, no held-out corrections)"
    worse = [f"{name} {n:.3f} < {o:.3f}" for name, n, o in compared if n < o - tolerance]
    if worse:
        return False, "worse: " + "; ".join(worse)
    return True, "not worse: " + "; ".join(f"{name} {n:.3f} vs {o:.3f}"
                                            for name, n, o in compared)


def _read_dev(dev: Path | None) -> list[dict[str, Any]]:
    if dev is None or not dev.is_file():
        return []
    return [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def due(cfg: Config, now: datetime) -> tuple[bool, str]:
    """Whether `retrain.every` has passed and enough new corrections arrived."""
    rc = cfg.retrain
    if rc is None or not rc.enabled:
        return False, "retraining is off"
    db = open_db(cfg.database)
    try:
        last = registry.last_attempt(db)
        fresh = store_corrections.count_since(db, last)
    finally:
        db.close()
    started = parse_iso(last)
    if started is not None and now - started < timedelta(seconds=rc.every):
        return False, f"last retrain {last}; next after {rc.every / 86400:g} days"
    if fresh < rc.min_corrections:
        return False, f"{fresh} new corrections, {rc.min_corrections} needed"
    return True, f"{fresh} new corrections"


def retrain(cfg: Config, *, trainer: Trainer = default_trainer, dev: Path | None = None,
            now: Callable[[], datetime] = utcnow) -> Outcome:
    """One retrain round (whether due or not); raises ModelError when it cannot train."""
    rc = cfg.retrain
    holdout = rc.holdout if rc is not None else 0.2
    tolerance = rc.tolerance if rc is not None else 0.0
    threshold = cfg.alerts.threshold
    db = open_db(cfg.database)
    try:
        records = load_corrections(cfg.database)
        if not records:
            raise ModelError("no corrections to learn from yet: mark alerts in Slack or use "
                             "`monitor label`")
        started = now()
        salt = str(registry.runs(db))
        train_set, heldout = split(records, holdout, salt)
        dev_records = _read_dev(dev if dev is not None else default_dev())

        log.info("retraining on %d corrections (%d held out)", len(train_set), len(heldout))
        try:
            blob = trainer(train_set)
        except (ModelError, ValueError) as e:
            # Counted as a run: the next try waits `every`, not one minute.
            registry.record_run(db, started, None, False, f"training failed: {e}")
            raise ModelError(f"training failed: {e}") from e

        current = versions.active_model_path(cfg) or str(DEFAULT_MODEL)
        base_version, base_path = versions.store(cfg, Path(current).read_bytes())
        old = score(str(base_path), threshold, dev_records, heldout)
        registry.add(db, base_version, str(base_path), now(), status="active",
                     corrections=0, scores=old, note="baseline")
        if versions.current_version(cfg) is None:
            versions.set_current(cfg, base_version)
            registry.activate(db, base_version, now())

        version, path = versions.store(cfg, blob)
        new = score(str(path), threshold, dev_records, heldout)
        ok, reason = not_worse(new, old, tolerance)
        if version == base_version:
            ok, reason = False, "unchanged: the new model is the current one"
        registry.add(db, version, str(path), now(), status="candidate",
                     corrections=len(train_set), scores=new, note=reason)
        registry.record_run(db, started, version, ok, reason)
        if ok:
            versions.set_current(cfg, version)
            registry.activate(db, version, now())
            log.info("model %s replaces %s (%s)", version, base_version, reason)
        else:
            registry.reject(db, version)
            log.warning("model %s kept out, %s stays (%s)", version, base_version, reason)
        return Outcome(version, ok, reason, old, new)
    finally:
        db.close()


class Retrainer:
    """Background thread in `monitor run`: retrain when due, and follow CURRENT changes
    (a retrain here, or `monitor model use` from a shell) by reloading the classifier."""

    def __init__(self, config: Callable[[], Config], on_swap: Callable[[], None], *,
                 check_every: float = 60.0, trainer: Trainer = default_trainer) -> None:
        self.config, self.on_swap = config, on_swap
        self.check_every, self.trainer = check_every, trainer
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen = versions.current_version(config())
        self.running = False  # a retrain is under way

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="retrain", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        stop_training()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.check_every):
            self.tick()

    def tick(self) -> None:
        cfg = self.config()
        try:
            go, why = due(cfg, utcnow())
            if go:
                self.running = True
                log.info("retraining the classifier: %s", why)
                retrain(cfg, trainer=self.trainer)
        except (MonitorError, OSError, ValueError) as e:
            log.error("retraining failed, the current model stays: %s", e)
        finally:
            self.running = False
        now = versions.current_version(cfg)
        if now != self._seen:
            self._seen = now
            self.on_swap()
