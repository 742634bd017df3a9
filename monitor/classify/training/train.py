"""Fit the classifier with scikit-learn and write a numpy-free, pickle-free artifact.

Deterministic: inputs are sorted, solvers seeded, floats rounded and the gzip
header carries no timestamp, so the same inputs give byte-identical artifacts.
"""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from monitor.classify.cues import CueMatcher
from monitor.classify.features import analyse, jurisdiction_pairs, ngram_features
from monitor.classify.forms import FORMS, form_of
from monitor.classify.lazy import DEFAULT_MODEL
from monitor.classify.model import FORMAT
from monitor.classify.taxonomy import ITEMS, JURISDICTIONS, TOPICS, Taxonomy, load_taxonomy
from monitor.classify.training import examples as ex_mod
from monitor.classify.training.examples import Example
from monitor.classify.training.fit import (
    fit_head,
    oof_logits,
    operating_shift,
    pick_threshold,
    platt_by_form,
    reliability,
)

LABEL_C = 4.0
ROUND = 5  # decimals kept: far below any effect on a verdict, stable across platforms


@dataclass
class TrainReport:
    counts: dict[str, int] = field(default_factory=dict)
    skipped_lines: int = 0
    out: Path | None = None
    size: int = 0
    meta: dict[str, Any] = field(default_factory=dict)


def gather(labels: list[str | os.PathLike[str]] = (),  # type: ignore[assignment]
           corrections: Sequence[Mapping[str, Any]] = (),
           seed_dir: Path | None = None, training_dir: Path | None = None,
           seed_texts: Path | None = None) -> tuple[list[Example], TrainReport]:
    report = TrainReport()
    sources: list[list[Example]] = []
    seeds = ex_mod.seed_examples(seed_dir or ex_mod.ROOT / "seeds",
                                 seed_texts or ex_mod.SHARED_SEEDS)
    sources.append(seeds)
    tdir = training_dir if training_dir is not None else ex_mod.ROOT / "training"
    files = [(Path(p), "labels") for p in labels]
    # training/<lang>/<purpose>.jsonl; a flat file directly in training/ still counts.
    files += [(p, "training") for p in sorted(tdir.rglob("*.jsonl"))] if tdir.is_dir() else []
    for path, kind in files:
        exs, bad = ex_mod.read_jsonl(path, kind)
        report.skipped_lines += bad
        sources.append(exs)
    if corrections:  # read from the store by the caller: training never opens the database
        sources.append([ex_mod.from_record(dict(r), "correction") for r in corrections])
    merged = ex_mod.merge(sources)
    report.counts = dict(sorted(Counter(e.source for e in merged).items()))
    return merged, report


def _matrix(rows: list[dict[str, float]], vocab: dict[str, int]) -> sparse.csr_matrix:
    indptr, indices, data = [0], [], []
    for r in rows:
        for k in sorted(r):
            j = vocab.get(k)
            if j is not None:
                indices.append(j)
                data.append(r[k])
        indptr.append(len(indices))
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), len(vocab)))


def _pack(name: str, w: np.ndarray, b: float) -> dict[str, Any]:
    w = np.round(w, ROUND)
    idx = np.flatnonzero(w)
    return {"name": name, "idx": idx.tolist(), "w": [float(x) for x in w[idx]],
            "b": round(float(b), ROUND)}


def _compact(vocab: list[str], heads: list[dict[str, Any]]) -> dict[str, Any]:
    """Drop features no head uses and renumber: smaller artifact, faster lookups."""
    used = sorted({i for h in heads for i in h["idx"]})
    remap = {old: new for new, old in enumerate(used)}
    for h in heads:
        h["idx"] = [remap[i] for i in h["idx"]]
    return {"vocab": [vocab[i] for i in used], "heads": heads}


def fit(examples: list[Example], taxonomy: Taxonomy) -> dict[str, Any]:
    """Train every head; return the artifact as a JSON-ready dict."""
    matcher = CueMatcher(taxonomy.groups)
    analyses = [analyse(e.title, e.text, e.lang, matcher) for e in examples]
    rows = [{**ngram_features(a), **a.cues} for a in analyses]
    # Counted over whole items only: a derived headline copy would otherwise lift every
    # headline n-gram seen once past the cut below.
    df = Counter(k for a, e in zip(analyses, examples, strict=True) if e.scale == 1.0
                 for k in a.counts)
    # n-grams seen once cannot generalise; cue features are kept whatever their count.
    keys = {k for k, n in df.items() if n >= 2} | {k for a in analyses for k in a.cues}
    vocab_list = sorted(keys)
    vocab = {k: i for i, k in enumerate(vocab_list)}
    X = _matrix(rows, vocab)
    y = np.array([e.relevant for e in examples], dtype=int)
    w = np.array([e.weight for e in examples])
    groups = np.array([e.group for e in examples])

    heads = []
    cache: dict[str, np.ndarray] = {}
    coef, bias, c_rel = fit_head(X, y, w, groups, oof_cache=cache)
    oof = cache["z"] if "z" in cache else oof_logits(X, y, w, groups, c_rel)
    forms = np.array([form_of(a.title, a.text) for a in analyses])
    a_b, cut, cv_forms = (1.0, 0.0), 0.5, {}
    if oof is not None:
        slope, offsets = platt_by_form(oof, y, w, forms, FORMS)
        z = slope * oof + np.array([offsets[f] for f in forms])
        shift, cut = operating_shift(z, y, w, (1.0, 0.0))
        # The per-form intercepts live in the weights of the form:* features (value 1
        # on exactly one of them per item), so the artifact keeps one Platt pair.
        for f, off in offsets.items():
            j = vocab.get(f"form:{f}")
            if j is not None:
                coef[j] += off / slope
        a_b = (slope, -shift)
        cv_forms = cv_by_form(z - shift, y, w, forms)
    heads.append(_pack("relevant", coef, bias))

    rel = np.flatnonzero(y == 1)
    Xr, wr, gr = X[rel], w[rel], groups[rel]
    thresholds: dict[str, float] = {}
    for kind, labels in (("topic", TOPICS), ("item", ITEMS)):
        Y = np.array([[lab in getattr(examples[i], kind) for lab in labels] for i in rel], int)
        oofs = []
        for j, lab in enumerate(labels):
            # One C for the label heads: a grid per label costs minutes and overfits folds.
            coef, bias, c = fit_head(Xr, Y[:, j], wr, gr, grid=(LABEL_C,))
            heads.append(_pack(f"{kind}:{lab}", coef, bias))
            oofs.append(oof_logits(Xr, Y[:, j], wr, gr, c))
        thresholds[kind] = pick_threshold(oofs, Y, default=0.4)

    jur_rows, jy, jw, jg = [], [], [], []
    for i in rel:
        pairs = jurisdiction_pairs(analyses[i])
        for code in JURISDICTIONS:
            jur_rows.append(pairs[code])
            jy.append(int(code in examples[i].jurisdiction))
            jw.append(examples[i].weight)
            jg.append(examples[i].group)
    jvocab_list = sorted({k for r in jur_rows for k in r})
    jvocab = {k: i for i, k in enumerate(jvocab_list)}
    JX = _matrix(jur_rows, jvocab)
    jy_a, jw_a, jg_a = np.array(jy, int), np.array(jw), np.array(jg)
    cache = {}
    coef, bias, c_j = fit_head(JX, jy_a, jw_a, jg_a, grid=(0.3, 1.0, 3.0), oof_cache=cache)
    j_oof = cache["z"] if "z" in cache else oof_logits(JX, jy_a, jw_a, jg_a, c_j)
    n = len(JURISDICTIONS)
    thresholds["jurisdiction"] = pick_threshold(
        [None if j_oof is None else j_oof[k::n] for k in range(n)],
        jy_a.reshape(-1, n) if len(jy_a) else np.zeros((0, n), int), default=0.5)

    return {
        "format": FORMAT,
        "taxonomy": taxonomy.as_json(),
        "main": _compact(vocab_list, heads),
        "jurisdiction": {"vocab": jvocab_list, "heads": [_pack("party", coef, bias)]},
        "platt": [round(a_b[0], ROUND), round(a_b[1], ROUND)],
        "thresholds": {k: round(v, 3) for k, v in thresholds.items()},
        "meta": {"examples": len(examples), "relevant": int(y.sum()),
                 "counts": dict(sorted(Counter(e.source for e in examples).items())),
                 "C_relevant": c_rel, "features": len(vocab_list),
                 "operating_point": cut, "cv_forms": cv_forms},
    }


def cv_by_form(z: np.ndarray, y: np.ndarray, w: np.ndarray,
               forms: np.ndarray) -> dict[str, dict[str, Any]]:
    """Out-of-fold precision/recall at 0.5 and a reliability table, per form bucket."""
    out: dict[str, dict[str, Any]] = {}
    p = 1.0 / (1.0 + np.exp(-z))
    for f in FORMS:
        m = forms == f
        if not m.any():
            continue
        pm, ym, wm = p[m], y[m], w[m]
        pred = pm >= 0.5
        tp = float(wm[pred & (ym == 1)].sum())
        sel, pos = float(wm[pred].sum()), float(wm[ym == 1].sum())
        out[f] = {"n": int(m.sum()), "precision": round(tp / sel, 3) if sel else 0.0,
                  "recall": round(tp / pos, 3) if pos else 0.0,
                  "reliability": reliability(pm, ym, wm)}
    return out


def dump_artifact(data: dict[str, Any]) -> bytes:
    body = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return gzip.compress(body.encode("utf-8"), compresslevel=9, mtime=0)


def train(labels: list[str | os.PathLike[str]] | None = None,
          corrections: Sequence[Mapping[str, Any]] = (),
          out: str | os.PathLike[str] | None = None,
          taxonomy_file: str | os.PathLike[str] | None = None,
          seed_dir: Path | None = None, training_dir: Path | None = None,
          seed_texts: Path | None = None,
          progress: Callable[[str], None] | None = None) -> TrainReport:
    """Gather examples, fit, write the artifact (default: the one shipped in the package)."""
    say = progress or (lambda _msg: None)
    examples, report = gather(list(labels or []), corrections, seed_dir, training_dir, seed_texts)
    say(f"gathered {len(examples)} examples "
        f"({', '.join(f'{k} {v}' for k, v in report.counts.items())})")
    say("fitting the relevance, topic, item and jurisdiction heads")
    data = fit(ex_mod.with_form_variants(examples), load_taxonomy(taxonomy_file))
    blob = dump_artifact(data)
    target = Path(out) if out else DEFAULT_MODEL
    say(f"writing {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, target)  # a crash mid-write never leaves a half artifact behind
    report.out, report.size, report.meta = target, len(blob), data["meta"]
    return report
