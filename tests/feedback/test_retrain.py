"""Retraining: a worse model is kept out, a not-worse one goes in, every version stays on
disk and is listed by `monitor model`, items record the version that judged them.

The trainer is injected (a real fit takes minutes of CPU): it returns real artifacts in
the real format, one that judges everything irrelevant (worse) and one that judges like
the shipped model (not worse).  Scoring, the swap and the registry are the real code.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.alert.sinks import ConsoleSink, Sinks
from monitor.classify.model import DEFAULT_MODEL, load_classifier
from monitor.cli import _classifier
from monitor.config import Config
from monitor.errors import ModelError
from monitor.feedback import versions
from monitor.feedback.retrain import Retrainer, due, retrain, split
from monitor.models import Item
from monitor.pipeline import Pipeline
from monitor.store import open_db
from monitor.store.corrections import record_click
from monitor.store.model_versions import listing
from monitor.store.sources import ensure_source, get_state
from tests.feedback.conftest import add_item

ROOT = Path(__file__).resolve().parents[2]
DEV_SHARED = ROOT.parent / "shared" / "eval" / "dev.jsonl"
RELEVANT = ["China imposes export controls on gallium and germanium",
            "US adds 30 Chinese firms to the Entity List over chip exports",
            "Japan tightens export controls on chipmaking equipment",
            "商务部对稀土相关物项实施出口管制"]
IRRELEVANT = ["Fed cuts interest rates by half a point", "Heavy rain floods city streets",
              "Local football club wins the cup final", "Chipmaker reports record profit"]


def _small_model() -> bytes:
    """The shipped artifact cut down (15 phrases per cue group, the 4000 strongest features):
    the same format, judges the test titles alike, and loads in a fraction of the time."""
    data = json.loads(gzip.decompress(DEFAULT_MODEL.read_bytes()))
    groups = data["taxonomy"]["groups"]
    data["taxonomy"]["groups"] = {k: v[:15] for k, v in groups.items()}
    main = data["main"]
    strength: dict[int, float] = {}
    for head in main["heads"]:
        for i, w in zip(head["idx"], head["w"], strict=True):
            strength[i] = max(strength.get(i, 0.0), abs(w))
    keep = sorted(sorted(strength, key=lambda i: -strength[i])[:4000])
    new_index = {old: new for new, old in enumerate(keep)}
    main["vocab"] = [main["vocab"][i] for i in keep]
    for head in main["heads"]:
        pairs = [(new_index[i], w) for i, w in zip(head["idx"], head["w"], strict=True)
                 if i in new_index]
        head["idx"], head["w"] = [i for i, _ in pairs], [w for _, w in pairs]
    return gzip.compress(json.dumps(data).encode(), mtime=0)


SMALL = _small_model()


def _artifact(**change: Any) -> bytes:
    data = json.loads(gzip.decompress(SMALL))
    data.update(change)
    return gzip.compress(json.dumps(data).encode(), mtime=0)


def worse_trainer(_corrections: list[dict[str, Any]]) -> bytes:
    # A relevance intercept of -50: nothing is relevant any more.
    return _artifact(platt=[1.0, -50.0])


def same_trainer(_corrections: list[dict[str, Any]]) -> bytes:
    data = json.loads(gzip.decompress(SMALL))
    return _artifact(meta=dict(data.get("meta", {}), note="retrained"))  # same verdicts


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    db = tmp_path / "monitor.db"
    open_db(db).close()
    for n, title in enumerate(RELEVANT + IRRELEVANT):
        add_item(db, n, title=title, text="")
    conn = open_db(db)
    for n, _ in enumerate(RELEVANT + IRRELEVANT):
        record_click(conn, envelope_id=f"e{n}", item_id=f"item-{n}", user="U1",
                     relevant=n < len(RELEVANT), topic=None, now=datetime.now(UTC))
    conn.close()
    model = tmp_path / "small.json.gz"
    model.write_bytes(SMALL)
    return Config.model_validate({"database": str(db), "model": str(model),
                                  "alerts": {"threshold": 0.4}, "retrain": {
        "every": "7d", "min_corrections": 5, "holdout": 0.5, "dir": str(tmp_path / "models")}})


@pytest.fixture
def dev(tmp_path: Path) -> Path:
    path = tmp_path / "dev.jsonl"
    path.write_text("".join(json.dumps({"id": f"d{n}", "title": t, "text": "", "lang": None,
                                        "relevant": n < len(RELEVANT)}) + "\n"
                            for n, t in enumerate(RELEVANT + IRRELEVANT)), encoding="utf-8")
    return path


def test_worse_model_is_not_swapped_in(cfg: Config, dev: Path) -> None:
    out = retrain(cfg, trainer=worse_trainer, dev=dev)
    assert not out.accepted and out.reason.startswith("worse")
    assert out.new.dev_f1 == 0.0 and (out.old.dev_f1 or 0) > 0.5
    base = versions.version_of(SMALL)
    assert versions.current_version(cfg) == base  # the shipped model stays in use
    assert versions.active_model_path(cfg) == str(versions.path_of(cfg, base))
    assert versions.path_of(cfg, out.version).is_file()  # the loser is kept for a look
    rows = {r["version"]: r for r in listing(open_db(cfg.database))}
    assert rows[out.version]["status"] == "rejected" and rows[base]["status"] == "active"
    assert rows[out.version]["heldout_n"] == 4


@pytest.mark.skipif(not DEV_SHARED.is_file(), reason="../shared/eval/dev.jsonl not present")
def test_worse_model_is_not_swapped_in_on_the_shared_dev_set(cfg: Config) -> None:
    out = retrain(cfg, trainer=worse_trainer)  # default dev set: ../shared/eval/dev.jsonl
    assert not out.accepted and "dev F1 0.000 <" in out.reason


def test_not_worse_model_goes_in_and_the_old_one_stays(cfg: Config, dev: Path,
                                                       tmp_path: Path) -> None:
    out = retrain(cfg, trainer=same_trainer, dev=dev)
    assert out.accepted, out.reason
    base = versions.version_of(SMALL)
    assert versions.current_version(cfg) == out.version != base
    assert versions.path_of(cfg, base).is_file()  # rollback target kept
    clf = load_classifier(versions.active_model_path(cfg))
    assert clf.version == out.version  # file name = the version items record

    # `monitor model` lists both with their scores; `monitor model use` rolls back.
    env = dict(os.environ, MONITOR_DB=cfg.database, MONITOR_CONFIG=str(_write(cfg, tmp_path)))
    listed = _monitor(env, "model", "--json")
    rows = [json.loads(line) for line in listed.splitlines()]
    assert [(r["version"], r["status"], r["current"]) for r in rows] == [
        (out.version, "active", True), (base, "retired", False)]
    assert rows[0]["dev_f1"] is not None and rows[0]["heldout_accuracy"] is not None
    table = _monitor(env, "model")
    assert f"* {out.version}" in table and "dev F1" in table
    _monitor(env, "model", "use", base)
    assert versions.current_version(cfg) == base


def test_items_record_the_version_in_use(cfg: Config, dev: Path) -> None:
    out = retrain(cfg, trainer=same_trainer, dev=dev)
    clf = _classifier(cfg)  # what `monitor run` loads (and reloads after a swap)
    assert clf.version == out.version
    db = open_db(cfg.database)
    ensure_source(db, "wire", "https://x.org/feed", "feed")
    pipe = Pipeline(cfg, db, clf, sinks=Sinks(slack=ConsoleSink()))
    item = Item(id="new-1", source="wire", url="https://x.org/re",
                title="China adds rare earth technology to export control list")
    now = datetime.now(UTC)
    assert pipe.ingest(item, get_state(db, "wire"), now) is not None
    row = db.execute("SELECT model_version FROM items WHERE id = 'new-1'").fetchone()
    assert row[0] == out.version


def test_retrainer_waits_for_enough_corrections_then_swaps(cfg: Config, dev: Path) -> None:
    swaps: list[str | None] = []
    strict = cfg.model_copy(update={"retrain": cfg.retrain.model_copy(  # type: ignore[union-attr]
        update={"min_corrections": 100})})
    assert due(strict, datetime.now(UTC)) == (False, "8 new corrections, 100 needed")
    assert due(cfg, datetime.now(UTC))[0]

    def trainer(c: list[dict[str, Any]]) -> bytes:
        return same_trainer(c)

    r = Retrainer(lambda: cfg, lambda: swaps.append(versions.current_version(cfg)),
                  trainer=trainer)
    import monitor.feedback.retrain as mod

    real = mod.retrain
    mod.retrain = lambda c, trainer=trainer, **kw: real(c, trainer=trainer, dev=dev)  # type: ignore[assignment]
    try:
        r.tick()
    finally:
        mod.retrain = real  # type: ignore[assignment]
    assert swaps == [versions.current_version(cfg)]
    # Just retrained: not due again before `every` has passed, however many corrections.
    go, why = due(cfg, datetime.now(UTC))
    assert not go and "next after 7 days" in why
    assert due(cfg, datetime.now(UTC) + timedelta(days=8))[0] is False  # no new corrections


def test_split_is_stable_and_rotates() -> None:
    records = [{"item_id": f"i{n}"} for n in range(50)]
    train1, held1 = split(records, 0.2, "0")
    assert len(held1) == 10 and len(train1) == 40
    assert split(records, 0.2, "0")[1] == held1
    assert split(records, 0.2, "1")[1] != held1
    assert len(split(records[:2], 0.2, "0")[1]) == 1  # tiny sets still hold one out


def _write(cfg: Config, tmp_path: Path) -> Path:
    path = tmp_path / "monitor.yaml"
    assert cfg.retrain is not None
    path.write_text(f"database: {cfg.database}\nmodel: {cfg.model}\n"
                    f"retrain: {{dir: {cfg.retrain.dir}}}\n",
                    encoding="utf-8")
    return path


def _monitor(env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "monitor", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_failed_training_keeps_the_model_and_is_logged_as_a_run(cfg: Config, dev: Path) -> None:
    def broken(_c: list[dict[str, Any]]) -> bytes:
        raise ModelError("training exited with 3: retraining needs the training dependencies")

    with pytest.raises(ModelError):
        retrain(cfg, trainer=broken, dev=dev)
    db = open_db(cfg.database)
    assert db.execute("SELECT version, accepted, reason FROM retrain_runs").fetchall() == [
        (None, 0, "training failed: training exited with 3: retraining needs the training "
                  "dependencies")]
    assert versions.active_model_path(cfg) == cfg.model  # nothing changed


def test_fit_job_usage() -> None:
    from monitor.feedback.fit_job import main

    assert main([]) == 2


def test_fit_job_trains_on_seeds_training_data_and_the_given_corrections(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples a retrain fits on (the fit itself is `monitor train`'s, minutes long)."""
    import monitor.classify.training.train as train_mod
    from monitor.feedback.fit_job import fit_artifact

    seen: list[Any] = []

    def fake_fit(examples: list[Any], _taxonomy: Any) -> dict[str, Any]:
        seen.extend(examples)
        return {"format": "monitor-classifier/1"}

    monkeypatch.setattr(train_mod, "fit", fake_fit)
    blob = fit_artifact([{"id": "correction:item-1", "item_id": "item-1", "title": "T",
                          "text": "", "lang": "en", "relevant": False, "topic": [],
                          "item": [], "jurisdiction": [], "story": "correction:item-1"}])
    assert json.loads(gzip.decompress(blob))["format"] == "monitor-classifier/1"
    sources = {e.source for e in seen}
    assert {"correction", "training"} <= sources
    (corr,) = [e for e in seen if e.source == "correction"]
    assert corr.id == "correction:item-1" and corr.relevant is False and corr.weight == 4.0
