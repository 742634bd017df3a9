"""Classifying in a worker process gives the same verdicts as in the caller, and every
way the pool can fail hands the items back to the caller instead of losing them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor import stories
from monitor.classify import LazyClassifier, load_classifier
from monitor.classify.workers import MIN_BATCH, ClassifyPool, processes_wanted
from monitor.models import Item
from monitor.sources import title_key

TEXTS = [
    ("Commerce adds 12 Chinese firms to Entity List", "", "en"),
    ("商务部公告：对镓、锗相关物项实施出口管制", "自8月1日起施行。", "zh"),
    ("経済産業省、半導体製造装置の輸出管理を強化", "", "ja"),
    ("Heavy snow closes airports across northern Europe", "Flights resume tomorrow.", "en"),
    ("Netherlands expands licence rule for DUV lithography tools", "ASML said ...", "en"),
]


ITEMS = [Item(id=f"i{n}", source="s", title=t, summary=text, lang=lang, title_key=title_key(t))
         for n, (t, text, lang) in enumerate(TEXTS)]


def _unknown(_item: Item) -> bool:
    return False


def test_a_worker_classifies_and_hashes_exactly_like_the_caller() -> None:
    pool = ClassifyPool.for_classifier(LazyClassifier(), processes=1)
    assert pool is not None
    inline = load_classifier()
    try:
        got = asyncio.run(pool.verdicts(ITEMS, lambda it: it.id == "i0", lambda: inline.version))
    finally:
        pool.close()
    assert got is not None and set(got) == {"i1", "i2", "i3", "i4"}  # i0 is known already
    for it in ITEMS[1:]:
        verdict, keys = got[it.id]
        assert verdict == inline.classify(it.title, it.summary, it.lang)
        assert keys == stories.story_keys(it.title_key, verdict.facts)


def test_another_model_version_in_the_worker_is_not_used() -> None:
    pool = ClassifyPool.for_classifier(LazyClassifier(), processes=1)
    assert pool is not None
    try:
        assert asyncio.run(pool.verdicts(ITEMS, _unknown, lambda: "some-other-version")) is None
    finally:
        pool.close()


def test_a_worker_that_cannot_start_hands_the_items_back(tmp_path: Path) -> None:
    broken = tmp_path / "model.json"
    broken.write_text("{not json")
    pool = ClassifyPool(broken, 0.5, 1)
    assert asyncio.run(pool.verdicts(ITEMS, _unknown, lambda: "v")) is None
    assert pool._broken and pool._pool is None
    assert asyncio.run(pool.verdicts(ITEMS, _unknown, lambda: "v")) is None  # not tried again


def test_small_batches_and_fakes_stay_in_the_caller() -> None:
    pool = ClassifyPool(Path("unused"), 0.5, 1)
    assert asyncio.run(pool.verdicts(ITEMS[: MIN_BATCH - 1], _unknown, lambda: "v")) is None
    assert pool._pool is None  # no process was started for them

    class Fake:
        version = "fake"

    assert ClassifyPool.for_classifier(Fake()) is None
    assert ClassifyPool.for_classifier(LazyClassifier(), processes=0) is None


@pytest.mark.parametrize(("value", "wanted"), [("0", 0), ("2", 2), ("99", 4), ("x", None)])
def test_the_number_of_workers_can_be_set(value: str, wanted: int | None) -> None:
    default = processes_wanted({})
    assert 1 <= default <= 4
    got = processes_wanted({"MONITOR_CLASSIFY_PROCESSES": value})
    assert got == (default if wanted is None else wanted)
