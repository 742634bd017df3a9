"""The automaton cue matcher against the regex matcher it replaced, on real texts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.classify import Classifier
from monitor.classify.cues import CueMatcher
from tests.classify.conftest import SHARED
from tests.classify.regex_cues import CueMatcher as RegexCueMatcher


def _texts() -> list[str]:
    out: list[str] = []
    for name in ("train.jsonl", "dev.jsonl"):
        path = SHARED / "eval" / name
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                out.append(f"{row.get('title') or ''}\n{row.get('text') or ''}")
    for folder in ("seeds", "fixtures/feeds"):
        for path in sorted((SHARED / folder).glob("*")) if (SHARED / folder).exists() else []:
            if path.is_file():
                # Raw feeds are markup in many encodings: cue matching must agree on them too.
                out.append(path.read_bytes()[:60_000].decode("utf-8", "replace"))
    return out


@pytest.fixture(scope="module")
def pair(clf: Classifier) -> tuple[CueMatcher, RegexCueMatcher]:
    return clf.matcher, RegexCueMatcher(clf.taxonomy.groups)


def test_same_phrase_owners(pair: tuple[CueMatcher, RegexCueMatcher]) -> None:
    new, old = pair
    assert new.owners == old.owners


def test_same_hits_on_real_texts(pair: tuple[CueMatcher, RegexCueMatcher]) -> None:
    texts = _texts()
    if len(texts) < 50:
        pytest.skip("../shared eval/seeds/fixtures texts not found")
    new, old = pair
    for text in texts:
        # Case variants exercise the acronym pass and the lower-casing paths.
        for variant in (text, text.upper(), text.title()):
            assert new.hits(variant) == old.hits(variant), variant[:120]


@pytest.mark.parametrize("text", [
    "", "US", "U.S. export controls", "controls", "restricted restrictions",
    "export-controlled items", "稀土出口管制", "EUV", "the US, EU and UK", "ban banned banning",
    "licenses licensed licensing licencees", "x" * 50, "exportcontrols",
])
def test_same_hits_on_edge_cases(pair: tuple[CueMatcher, RegexCueMatcher], text: str) -> None:
    new, old = pair
    assert new.hits(text) == old.hits(text)


def test_small_groups_behave_like_the_regexes() -> None:
    groups = {"a": ["ban", "export ban", "US"], "b": ["chip export ban", "出口"], "c": []}
    new, old = CueMatcher(groups), RegexCueMatcher(groups)
    assert new.owners == old.owners
    for text in ("A chip export bans by the US", "US-made, usually", "出口管制 banning"):
        assert new.hits(text) == old.hits(text)
    assert CueMatcher({}).hits("anything") == []


def test_regex_reference_is_only_a_test_helper() -> None:
    # The regex matcher stays in tests as the reference; the package must not need it.
    assert "re.compile" not in (Path(__file__).parents[2] / "monitor/classify/cues.py").read_text()
