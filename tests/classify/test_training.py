"""Training: determinism, corrections change the next model, CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from monitor.classify import load_classifier
from monitor.classify.training.train import train
from monitor.classify_commands import COMMANDS, classify_cmd, label_cmd, train_cmd
from monitor.errors import StoreError
from monitor.store.corrections import load_corrections, record_correction
from monitor.store.schema import migrate

PROBE = ("Regulator opens review of quantum sensor shipments",
         "Officials said the review covers quantum sensor shipments abroad.")


def _train(out: Path, labels: Path, empty: Path, db: Path | None = None) -> Path:
    # No seeds, no training/ dir: only the small own-written set, so the test is quick.
    train(labels=[labels], corrections=load_corrections(db) if db else (), out=out,
          seed_dir=empty, training_dir=empty, seed_texts=empty)
    return out


def test_training_is_deterministic(tmp_path: Path, small_labels: Path, empty_dir: Path) -> None:
    a = _train(tmp_path / "a.json.gz", small_labels, empty_dir).read_bytes()
    b = _train(tmp_path / "b.json.gz", small_labels, empty_dir).read_bytes()
    assert a == b
    clf = load_classifier(tmp_path / "a.json.gz")
    assert clf.classify("China imposes export controls on gallium", "MOFCOM licences").relevant


def _db_with_item(path: Path) -> Path:
    db = sqlite_utils.Database(path)
    migrate(db)
    db["items"].insert({"id": "item-1", "source": "test", "title": PROBE[0], "summary": PROBE[1],
                        "lang": "en", "first_seen": "2025-01-01T00:00:00Z"})
    return path


def test_correction_changes_next_training(tmp_path: Path, small_labels: Path,
                                          empty_dir: Path) -> None:
    db = _db_with_item(tmp_path / "monitor.db")
    before = load_classifier(_train(tmp_path / "before.json.gz", small_labels, empty_dir, db))
    base = before.classify(*PROBE)
    assert not base.relevant

    record_correction(db, "item-1", True, topic=["new_restriction"], item=["software_tech"],
                      jurisdiction=["US"], note="quantum controls")
    rows = load_corrections(db)
    assert rows[0]["relevant"] is True and rows[0]["item"] == ["software_tech"]
    after = load_classifier(_train(tmp_path / "after.json.gz", small_labels, empty_dir, db))
    verdict = after.classify(*PROBE)
    assert verdict.score > base.score
    assert verdict.relevant


def test_correction_for_unknown_item(tmp_path: Path) -> None:
    db = _db_with_item(tmp_path / "monitor.db")
    with pytest.raises(StoreError, match="no item with id"):
        record_correction(db, "missing", False)


def test_classify_command_output(tmp_path: Path) -> None:
    lines = [
        {"id": "a", "title": "China imposes export controls on gallium and germanium",
         "text": "MOFCOM said licences are required.", "lang": "en"},
        "this is not json",
        {"id": "b", "title": "Fed cuts rates", "text": "Markets rallied."},
        {"id": "c", "title": 5, "text": "bad"},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    result = CliRunner().invoke(classify_cmd, ["--threshold", "0.5"], input=stdin)
    assert result.exit_code == 0, result.output
    out = [json.loads(x) for x in result.output.splitlines()]
    assert len(out) == 4
    assert list(out[0]) == ["id", "relevant", "score", "topic", "item", "jurisdiction", "why"]
    assert out[0]["id"] == "a" and out[0]["relevant"] is True
    assert "critical_minerals" in out[0]["item"] and "CN" in out[0]["jurisdiction"]
    assert "error" in out[1] and out[1]["id"] is None
    assert out[2]["relevant"] is False and out[2]["topic"] == [] and out[2]["item"] == []
    assert "error" in out[3] and out[3]["id"] == "c"


def test_classify_command_missing_model(tmp_path: Path) -> None:
    result = CliRunner().invoke(classify_cmd, ["--model", str(tmp_path / "none.json.gz")],
                                input="{}\n")
    assert result.exit_code == 2
    assert "monitor train" in result.output


def test_label_command(tmp_path: Path) -> None:
    db = _db_with_item(tmp_path / "monitor.db")
    runner = CliRunner()
    bad = runner.invoke(label_cmd, ["item-1", "--relevant", "--topic", "nonsense", "--db", str(db)])
    assert bad.exit_code != 0 and "unknown topic" in bad.output
    ok = runner.invoke(label_cmd, ["item-1", "--relevant", "--topic", "new_restriction",
                                   "--item", "software_tech", "--db", str(db)])
    assert ok.exit_code == 0, ok.output
    missing = runner.invoke(label_cmd, ["nope", "--not-relevant", "--db", str(db)])
    assert missing.exit_code == 1 and "no item with id" in missing.output
    assert len(load_corrections(db)) == 1


def test_train_command(tmp_path: Path, small_labels: Path, monkeypatch: pytest.MonkeyPatch,
                       empty_dir: Path) -> None:
    monkeypatch.setenv("MONITOR_DB", str(tmp_path / "absent.db"))
    # Without this the command also reads seeds/ and training/ (a minute and a half).
    monkeypatch.setattr("monitor.classify.training.examples.ROOT", empty_dir)
    out = tmp_path / "m.json.gz"
    result = CliRunner().invoke(train_cmd, ["--labels", str(small_labels), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "labels: 10 examples" in result.output
    assert out.is_file()


def test_commands_exported() -> None:
    assert {c.name for c in COMMANDS} == {"train", "classify", "label", "eval"}


def test_train_writes_the_configured_model_with_progress(
        tmp_path: Path, small_labels: Path, monkeypatch: pytest.MonkeyPatch,
        empty_dir: Path) -> None:
    model = tmp_path / "models" / "model.json.gz"
    cfg = tmp_path / "monitor.yaml"
    cfg.write_text(f"database: {tmp_path / 'absent.db'}\nmodel: {model}\n", encoding="utf-8")
    monkeypatch.delenv("MONITOR_DB", raising=False)
    monkeypatch.setenv("MONITOR_CONFIG", "unset")  # --config sets it; restored after the test
    monkeypatch.setattr("monitor.classify.training.examples.ROOT", empty_dir)
    result = CliRunner().invoke(train_cmd, ["--config", str(cfg), "--labels", str(small_labels)])
    assert result.exit_code == 0, result.output
    assert model.is_file()  # where `monitor run` loads it from, not inside the package
    stages = [line for line in result.output.splitlines() if line.startswith("[")]
    assert any("gathered" in s for s in stages) and any(f"writing {model}" in s for s in stages)


def test_training_calibrates_per_form(tmp_path: Path, small_labels: Path,
                                      empty_dir: Path) -> None:
    from monitor.classify.forms import FORMS
    from monitor.classify.model import read_artifact

    data = read_artifact(_train(tmp_path / "f.json.gz", small_labels, empty_dir))
    cv = data["meta"]["cv_forms"]
    # Shorter copies of the labelled items put headlines into cross-validation
    # (the small set has no item over 200 characters, so no `long` bucket).
    assert set(cv) == {"title_only", "short"} and set(cv) <= set(FORMS)
    assert all(0.0 <= m["precision"] <= 1.0 and m["reliability"] for m in cv.values())
    # The per-form intercepts live in the form features' weights, so the artifact
    # format (one Platt pair) is unchanged.
    assert {f"form:{f}" for f in cv} <= set(data["main"]["vocab"])
    assert len(data["platt"]) == 2
    clf = load_classifier(tmp_path / "f.json.gz")
    assert clf.classify("China imposes export controls on gallium", "").relevant
