"""Gather labelled examples for training: seeds, label files, training/<lang>/*.jsonl,
corrections.

IO lives here (and in corrections.py), never in the classifier itself.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from monitor.classify.forms import variants
from monitor.classify.taxonomy import ITEMS, JURISDICTIONS, TOPICS

ROOT = Path(__file__).resolve().parents[3]
SHARED_SEEDS = ROOT.parent / "shared" / "seeds"

# How much one example counts.  Corrections are an analyst overruling the
# model, so they must outweigh the bulk data they contradict.
WEIGHTS = {"seed": 1.0, "seed-cues": 0.5, "labels": 1.0, "training": 1.0, "correction": 4.0}
PRIORITY = {"seed-cues": 0, "seed": 1, "training": 2, "labels": 3, "correction": 4}
# Shorter copies (headline alone, lead alone, ...) of items from these sources; each
# copy counts half, so the variants of one item outweigh it only together.
VARIANT_SOURCES = ("training", "labels", "correction")
VARIANT_SCALE = 0.5


@dataclass
class Example:
    id: str
    title: str
    text: str
    lang: str | None
    relevant: bool
    source: str
    topic: list[str] = field(default_factory=list)
    item: list[str] = field(default_factory=list)
    jurisdiction: list[str] = field(default_factory=list)
    group: str = ""
    scale: float = 1.0

    @property
    def weight(self) -> float:
        return WEIGHTS[self.source] * self.scale


def _clean(labels: Iterable[str] | None, allowed: tuple[str, ...]) -> list[str]:
    return sorted({str(x) for x in labels or [] if str(x) in allowed})


def from_record(rec: dict[str, Any], source: str) -> Example:
    """An eval-format record (id, title, text, lang, relevant, topic, item, jurisdiction)."""
    relevant = bool(rec["relevant"])
    ex = Example(
        id=str(rec["id"]), title=str(rec.get("title") or ""), text=str(rec.get("text") or ""),
        lang=rec.get("lang"), relevant=relevant, source=source,
        group=str(rec.get("story") or rec["id"]),
    )
    if relevant:  # labels of an irrelevant item are empty by definition
        ex.topic = _clean(rec.get("topic"), TOPICS)
        ex.item = _clean(rec.get("item"), ITEMS)
        ex.jurisdiction = _clean(rec.get("jurisdiction"), JURISDICTIONS)
    return ex


def read_jsonl(path: str | os.PathLike[str], source: str) -> tuple[list[Example], int]:
    """Examples from one JSONL file, plus how many lines were unusable."""
    out: list[Example] = []
    bad = 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                out.append(from_record(json.loads(line), source))
            except (ValueError, KeyError, TypeError):
                bad += 1
    return out, bad


def seed_examples(seed_dir: Path, texts_dir: Path = SHARED_SEEDS) -> list[Example]:
    """Each seed record gives a cue example; the article text too when ../shared is present."""
    out: list[Example] = []
    for path in sorted(seed_dir.glob("*.yaml")):
        rec = yaml.safe_load(path.read_text(encoding="utf-8"))
        labels = rec.get("labels") or {}
        base = {"relevant": labels.get("relevant", True), "topic": labels.get("topic"),
                "item": labels.get("item"), "jurisdiction": labels.get("jurisdiction"),
                "story": f"seed-{rec['id']}"}
        for lang, cues in sorted((rec.get("cues") or {}).items()):
            if cues:
                text = " ".join(cues[1:])
                if lang == "en":
                    text = f"{text} {rec.get('summary', '')}"
                out.append(from_record({**base, "id": f"seed-{rec['id']}-cues-{lang}",
                                        "title": cues[0], "text": text, "lang": lang},
                                       "seed-cues"))
        article = texts_dir / str(rec.get("source_file", ""))
        if rec.get("source_file") and article.is_file():
            lines = [ln.strip() for ln in article.read_text(encoding="utf-8").splitlines()]
            lines = [ln for ln in lines if ln]
            title = next((ln for ln in lines if len(ln) > 40), "")
            out.append(from_record({**base, "id": f"seed-{rec['id']}", "title": title,
                                    "text": "\n".join(lines), "lang": "en"}, "seed"))
    return out


def merge(groups: Iterable[list[Example]]) -> list[Example]:
    """One example per id; a correction beats a label file beats a seed.  Sorted for determinism."""
    best: dict[str, Example] = {}
    for exs in groups:
        for ex in exs:
            cur = best.get(ex.id)
            if cur is None or PRIORITY[ex.source] >= PRIORITY[cur.source]:
                best[ex.id] = ex
    return [best[k] for k in sorted(best)]


def with_form_variants(examples: list[Example]) -> list[Example]:
    """The examples plus their shorter feed forms (`forms.variants`), sorted by id.

    A copy keeps the labels and the story, so cross-validation keeps every form of
    one event in one fold, and every fold holds every form.  Labels carry over:
    the held-out real headlines are labelled by the event they report, too.
    """
    out = list(examples)
    for e in examples:
        if e.source not in VARIANT_SOURCES:
            continue
        shapes = variants(e.title, e.text, e.lang)
        # The headline alone for every item, plus one other shape picked by a stable hash
        # of the id: every shape stays well represented at half the training time.
        others = sorted(k for k in shapes if k != "title")
        keep = {"title"} | ({others[zlib.crc32(e.id.encode()) % len(others)]} if others else set())
        out += [replace(e, id=f"{e.id}#{name}", title=t, text=x, scale=VARIANT_SCALE)
                for name, (t, x) in shapes.items() if name in keep]
    return sorted(out, key=lambda e: e.id)
