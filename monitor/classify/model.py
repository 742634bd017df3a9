"""Inference over the stored weights: numpy only, no scikit-learn at run time.

The artifact is gzipped JSON (weights, vocabulary, thresholds and the cue table
it was trained with), so it survives library upgrades and loads in milliseconds.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from monitor.classify.cues import CueMatcher
from monitor.classify.explain import explain
from monitor.classify.facts import extract_facts
from monitor.classify.features import Analysis, analyse, jurisdiction_pairs
from monitor.classify.lazy import DEFAULT_MODEL, HINT
from monitor.classify.taxonomy import ITEMS, JURISDICTIONS, TOPICS, Taxonomy
from monitor.errors import ModelError
from monitor.models import Classification

FORMAT = "monitor-classifier/1"
TOP_REASONS = 12


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, x))))


def _get(keys: list[str], table: dict[str, Any]) -> list[Any]:
    if not keys:
        return []
    got = itemgetter(*keys)(table)
    return list(got) if len(keys) > 1 else [got]


def read_raw(path: str | os.PathLike[str]) -> bytes:
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"classifier model not found at {p}: {HINT}") from None
    except OSError as e:
        raise ModelError(f"cannot read classifier model {p}: {e}; {HINT}") from e


def artifact_version(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:12]


def parse_artifact(raw: bytes, p: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        data = json.loads(gzip.decompress(raw))
    except (OSError, EOFError, ValueError) as e:
        raise ModelError(f"classifier model {p} is corrupt ({e}); {HINT}") from e
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelError(f"classifier model {p} is not a {FORMAT} artifact; {HINT}")
    data["_version"] = artifact_version(raw)
    return data


def read_artifact(path: str | os.PathLike[str]) -> dict[str, Any]:
    return parse_artifact(read_raw(path), path)


@dataclass(frozen=True)
class _Head:
    names: list[str]
    index: dict[str, int]
    weights: np.ndarray  # (n_features, n_heads)
    bias: np.ndarray

    @classmethod
    def from_arrays(cls, names: list[str], weights: np.ndarray, bias: np.ndarray) -> _Head:
        return cls(names, {n: i for i, n in enumerate(names)}, weights, bias)

    @classmethod
    def from_json(cls, block: dict[str, Any]) -> _Head:
        names = list(block["vocab"])
        heads = block["heads"]
        w = np.zeros((len(names), len(heads)), dtype=np.float64)
        for j, h in enumerate(heads):
            idx = np.asarray(h["idx"], dtype=np.int64)
            if len(idx):
                w[idx, j] = np.asarray(h["w"], dtype=np.float64)
        return cls(names, {n: i for i, n in enumerate(names)}, w,
                   np.asarray([h["b"] for h in heads], dtype=np.float64))

    def row(self, a: Analysis) -> tuple[list[str], np.ndarray, np.ndarray]:
        """The item's known features: names, their rows in `weights`, and their values.

        The order must not depend on string-hash randomisation, or float sums and
        ties (and so `why`) would differ between processes: n-grams keep the text's
        order; cue features are few and come partly from a set, so they are sorted.
        """
        index = self.index
        keys = [k for k in a.counts if k in index]
        ckeys = sorted(a.cues.keys() & index.keys())
        names = keys + ckeys
        idx = np.asarray(_get(names, index), dtype=np.int64)
        x = np.concatenate([
            (1.0 + np.log(np.asarray(_get(keys, a.counts), dtype=np.float64))) * a.inv_norm,
            np.asarray(_get(ckeys, a.cues), dtype=np.float64)])
        return names, idx, x


class Classifier:
    """Relevance + topic/item/jurisdiction from one artifact.  `classify` does no IO."""

    def __init__(self, data: dict[str, Any], threshold: float = 0.5,
                 heads: tuple[_Head, _Head] | None = None) -> None:
        """`heads` (main, jurisdiction) come from the load-time cache when it is warm."""
        try:
            self.taxonomy = Taxonomy.from_json(data["taxonomy"])
            self.matcher = CueMatcher(self.taxonomy.groups)
            self.main, self.jur = heads or (_Head.from_json(data["main"]),
                                            _Head.from_json(data["jurisdiction"]))
            self.head_names: list[str] = [h["name"] for h in data["main"]["heads"]]
            self.platt = tuple(float(x) for x in data["platt"])
            self.label_thr: dict[str, float] = {k: float(v) for k, v in data["thresholds"].items()}
            self.meta: dict[str, Any] = data.get("meta", {})
        except (KeyError, TypeError, ValueError, IndexError) as e:
            raise ModelError(f"classifier model is incomplete ({e!r}); {HINT}") from e
        self.threshold = threshold
        self.version: str = str(data.get("_version", "unknown"))
        self._col = {n: i for i, n in enumerate(self.head_names)}
        self._jur_w = {n: float(self.jur.weights[i, 0]) for n, i in self.jur.index.items()
                       if self.jur.weights[i, 0]}
        self._jur_b = float(self.jur.bias[0])
        col = self._col["relevant"]
        self._rel_col = np.ascontiguousarray(self.main.weights[:, col])
        self._rel_b = float(self.main.bias[col])

    # -- scoring ------------------------------------------------------------------
    def _labels(self, kind: str, ids: tuple[str, ...], logits: np.ndarray) -> tuple[str, ...]:
        probs = {lab: _sigmoid(float(logits[self._col[f"{kind}:{lab}"]])) for lab in ids}
        thr = self.label_thr.get(kind, 0.5)
        chosen = [lab for lab in ids if probs[lab] >= thr]
        if not chosen:  # a relevant item has at least one topic and one item
            chosen = [max(ids, key=lambda lab: probs[lab])]
        return tuple(sorted(chosen, key=lambda lab: -probs[lab]))

    def _relevance(self, names: list[str], idx: np.ndarray,
                   x: np.ndarray) -> tuple[float, list[tuple[str, float]]]:
        """Relevance logit and the strongest contributions, for `why`."""
        if not names:
            return self._rel_b, []
        contrib = self._rel_col[idx] * x
        top = np.argsort(-np.abs(contrib), kind="stable")[:TOP_REASONS]
        return self._rel_b + float(contrib.sum()), [(names[i], float(contrib[i])) for i in top
                                                   if contrib[i]]

    def _jurisdictions(self, a: Analysis) -> tuple[str, ...]:
        # A dozen rows of a dozen features: plain dict arithmetic beats numpy here.
        w, b = self._jur_w, self._jur_b
        probs = {code: _sigmoid(b + sum(w.get(k, 0.0) * v for k, v in feats.items()))
                 for code, feats in jurisdiction_pairs(a).items()}
        thr = self.label_thr.get("jurisdiction", 0.5)
        chosen = [c for c in JURISDICTIONS if probs[c] >= thr]
        if not chosen:
            chosen = [max(JURISDICTIONS, key=lambda c: probs[c])]
        return tuple(sorted(chosen, key=lambda c: -probs[c]))

    def classify(self, title: str, text: str, lang: str | None = None) -> Classification:
        a = analyse(title or "", text or "", lang, self.matcher)
        names, idx, x = self.main.row(a)
        raw, contrib = self._relevance(names, idx, x)
        score = _sigmoid(self.platt[0] * raw + self.platt[1])
        if not a.title and not a.text:
            score = 0.0
        relevant = score >= self.threshold
        topic: tuple[str, ...] = ()
        item: tuple[str, ...] = ()
        jur: tuple[str, ...] = ()
        if relevant:  # the label heads only matter for relevant items
            logits = (x @ self.main.weights[idx] + self.main.bias if len(idx)
                      else self.main.bias.copy())
            topic = self._labels("topic", TOPICS, logits)
            item = self._labels("item", ITEMS, logits)
            jur = self._jurisdictions(a)
        why = explain(a, relevant, score, self.threshold, contrib)
        # Facts serve the alert of a relevant item; skipping them for the (many)
        # irrelevant ones keeps throughput up.
        facts = extract_facts(a.title, a.text) if relevant else {}
        return Classification(relevant=relevant, score=score, topic=topic, item=item,
                              jurisdiction=jur, why=tuple(why), facts=facts)


def load_classifier(path: str | os.PathLike[str] | None = None,
                    threshold: float = 0.5) -> Classifier:
    """Load the artifact (default: the one shipped in the package); ModelError if unusable.

    The weights are read from a derived cache when one matches the artifact's
    hash (see classify/cache.py): decoding the JSON is most of a cold start.
    """
    from monitor.classify import cache

    p = path or DEFAULT_MODEL
    raw = read_raw(p)
    version = artifact_version(raw)
    hit = cache.load(version)
    if hit is not None:
        rest, main, jur = hit
        rest["_version"] = version
        return Classifier(rest, threshold=threshold,
                          heads=(_Head.from_arrays(*main), _Head.from_arrays(*jur)))
    data = parse_artifact(raw, p)
    clf = Classifier(data, threshold=threshold)
    cache.store(version, data, clf.main, clf.jur)
    return clf
