"""Shared fixtures: the shipped classifier, a tiny training set, paths into ../shared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.classify import Classifier, load_classifier

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"

# Own-written examples: enough for a quick, deterministic training run in tests.
SMALL = [
    ("p1", "China imposes export controls on gallium and germanium",
     "MOFCOM said exporters must apply for licences from August 1.", True,
     ["new_restriction", "licensing"], ["critical_minerals"], ["CN"]),
    ("p2", "US adds 30 Chinese firms to the Entity List",
     "The Commerce Department's BIS said licences will be required for exports.", True,
     ["new_restriction"], ["semiconductors"], ["US", "CN"]),
    ("p3", "商务部对稀土相关物项实施出口管制", "出口经营者应向商务部申请许可。", True,
     ["new_restriction", "licensing"], ["rare_earths"], ["CN"]),
    ("p4", "Japan tightens export controls on chipmaking equipment",
     "METI will require licences for 23 types of semiconductor tools.", True,
     ["new_restriction"], ["semiconductors"], ["JP"]),
    ("p5", "China suspends export controls on rare earths for a year",
     "The commerce ministry said the suspension follows talks with Washington.", True,
     ["relaxation", "dialogue"], ["rare_earths"], ["CN", "US"]),
    ("n1", "Fed cuts interest rates by half a point", "Stocks rallied after the decision.",
     False, [], [], []),
    ("n2", "EU imposes tariffs on Chinese electric cars", "Duties of up to 35% apply.",
     False, [], [], []),
    ("n3", "郑钦文夺得奥运会网球女单金牌", "中国选手在决赛中获胜。", False, [], [], []),
    ("n4", "Heavy rain floods city streets", "Residents were evacuated overnight.",
     False, [], [], []),
    ("n5", "Chipmaker reports record quarterly profit", "Revenue rose on AI demand.",
     False, [], [], []),
]


def write_small(path: Path, extra: list[dict] | None = None) -> Path:
    rows = [{"id": i, "title": t, "text": x, "lang": "zh" if i in ("p3", "n3") else "en",
             "relevant": r, "topic": tp, "item": it, "jurisdiction": j, "story": i}
            for i, t, x, r, tp, it, j in SMALL]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows + (extra or []))
                    + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def clf() -> Classifier:
    return load_classifier()


@pytest.fixture
def small_labels(tmp_path: Path) -> Path:
    return write_small(tmp_path / "small.jsonl")


@pytest.fixture
def empty_dir(tmp_path: Path) -> Path:
    d = tmp_path / "empty"
    d.mkdir()
    return d
