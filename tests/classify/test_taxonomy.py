"""The label IDs have one home, config/taxonomy.yaml, and it agrees with the contract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from monitor.classify.taxonomy import DEFAULT_TAXONOMY, ITEMS, JURISDICTIONS, TOPICS, _label_ids
from monitor.errors import ConfigError
from tests.classify.conftest import SHARED

DOC = SHARED / "docs" / "taxonomy.md"


def _section(doc: str, heading: str) -> str:
    start = doc.index(f"## {heading}")
    end = doc.find("\n## ", start + 3)
    return doc[start:end if end != -1 else len(doc)]


def _doc_ids() -> dict[str, tuple[str, ...]]:
    doc = DOC.read_text(encoding="utf-8")
    table = re.compile(r"^\| *([a-z_]+) *\|", re.M)
    ids = {kind: tuple(i for i in table.findall(_section(doc, kind)) if i != "id")
           for kind in ("topic", "item")}
    codes = _section(doc, "jurisdiction").split("The rule:")[0]
    ids["jurisdiction"] = tuple(re.findall(r"`([A-Z]+)`", codes))
    return ids


@pytest.mark.skipif(not DOC.exists(), reason=f"{DOC} absent (../shared not checked out)")
def test_label_ids_match_the_taxonomy_doc() -> None:
    # Same IDs in the same order: ties between labels break by this order.
    assert _doc_ids() == {"topic": TOPICS, "item": ITEMS, "jurisdiction": JURISDICTIONS}


def test_constants_are_read_from_the_taxonomy_file() -> None:
    data = yaml.safe_load(DEFAULT_TAXONOMY.read_text(encoding="utf-8"))
    assert tuple(data["topic"]) == TOPICS and tuple(data["item"]) == ITEMS
    assert tuple(data["jurisdiction"]) == JURISDICTIONS


def test_the_shipped_artifact_has_a_head_for_every_label() -> None:
    from monitor.classify import load_classifier

    cols = load_classifier()._col
    assert all(f"topic:{t}" in cols for t in TOPICS) and all(f"item:{i}" in cols for i in ITEMS)


def test_a_file_without_a_label_section_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "tax.yaml"
    bad.write_text("topic: {new_restriction: {}}\nitem: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"item: missing"):
        _label_ids(bad)
