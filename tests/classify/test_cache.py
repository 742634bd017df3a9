"""Fast start: the derived weight cache and the lazily loaded classifier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.classify import LazyClassifier, load_classifier
from monitor.classify import cache as weight_cache
from monitor.classify.model import DEFAULT_MODEL, artifact_version
from monitor.errors import ModelError
from tests.classify.conftest import SHARED

TEXTS = [
    ("China imposes export controls on gallium and germanium",
     "MOFCOM said exporters must apply for licences from August 1.", "en"),
    ("商务部对稀土相关物项实施出口管制", "出口经营者应向商务部申请许可。", "zh"),
    ("Heavy rain floods city streets", "Residents were evacuated overnight.", None),
]


def _texts() -> list[tuple[str, str, str | None]]:
    path = SHARED / "eval" / "dev.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] \
        if path.exists() else []
    return TEXTS + [(r["title"], r["text"], r.get("lang")) for r in rows]


def test_warm_cache_gives_the_same_verdicts(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_CACHE_DIR", str(tmp_path))
    cold = load_classifier()  # decodes the JSON and writes the cache
    version = artifact_version(DEFAULT_MODEL.read_bytes())
    assert weight_cache.load(version) is not None
    warm = load_classifier()
    assert warm.version == cold.version
    for title, text, lang in _texts():
        assert warm.classify(title, text, lang) == cold.classify(title, text, lang)


def test_corrupt_cache_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MONITOR_CACHE_DIR", str(tmp_path))
    version = artifact_version(DEFAULT_MODEL.read_bytes())
    (tmp_path / f"classifier-{version}-v{weight_cache.FORMAT}.npz").write_bytes(b"garbage")
    clf = load_classifier()
    assert clf.classify(*TEXTS[0]).relevant


def test_unwritable_cache_dir_is_not_an_error(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("MONITOR_CACHE_DIR", str(blocker / "sub"))
    assert load_classifier().classify(*TEXTS[0]).relevant


def test_lazy_classifier_loads_only_when_used() -> None:
    lazy = LazyClassifier(threshold=0.5)
    assert not lazy.is_loaded
    assert lazy.classify(*TEXTS[0]).relevant
    assert lazy.is_loaded and lazy.version == load_classifier().version


def test_lazy_classifier_reports_a_missing_model_at_once(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="monitor train"):
        LazyClassifier(tmp_path / "nope.json.gz")
