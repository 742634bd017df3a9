"""Measure the classifier on ../shared/eval/dev.jsonl next to a plain keyword baseline.

    python -m monitor.classify.training.evaluate [--dev PATH] [--model PATH] [--save PATH]

Labels are scored end to end: an item predicted irrelevant has no labels, so a
missed item costs its labels too.  Never train or tune on this file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from monitor.classify.cues import CueMatcher
from monitor.classify.forms import FORMS, form_of, variants
from monitor.classify.model import Classifier, load_classifier
from monitor.classify.taxonomy import ITEMS, JURISDICTIONS, TOPICS
from monitor.classify.training.examples import ROOT
from monitor.classify.training.fit import reliability
from monitor.errors import ModelError
from monitor.models import Classification

DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
LAST = ROOT / "data" / "last_eval.json"
KINDS = (("topic", TOPICS), ("item", ITEMS), ("jurisdiction", JURISDICTIONS))
BASELINE_KEYWORDS = ("export control", "export controls", "export curb", "entity list",
                     "dual-use", "dual use", "export licence", "export license", "出口管制",
                     "两用物项", "實體清單", "实体清单", "出口管控", "輸出管理", "輸出規制")

Predict = Callable[[dict[str, Any]], Classification]


def keyword_baseline(clf: Classifier) -> Predict:
    """Relevant if any export-control keyword occurs; labels = any cue of the label present."""
    matcher: CueMatcher = clf.matcher

    def predict(rec: dict[str, Any]) -> Classification:
        full = f"{rec.get('title', '')} {rec.get('text', '')}"
        low = full.lower()
        if not any(k in low for k in BASELINE_KEYWORDS):
            return Classification(relevant=False, score=0.0)
        groups = {g for h in matcher.hits(full) for g in h.groups}
        def pick(prefix: str, ids: Sequence[str]) -> tuple[str, ...]:
            return tuple(i for i in ids if f"{prefix}:{i}" in groups)

        jur = tuple(c for c in JURISDICTIONS if f"jur:{c}" in groups or f"gov:{c}" in groups)
        return Classification(relevant=True, score=1.0, topic=pick("topic", TOPICS),
                              item=pick("item", ITEMS), jurisdiction=jur)

    return predict


def _f1(tp: float, fp: float, fn: float) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score(records: Sequence[dict[str, Any]], preds: Sequence[Classification]) -> dict[str, float]:
    out: dict[str, float] = {}
    tp = sum(1 for r, c in zip(records, preds, strict=True) if r["relevant"] and c.relevant)
    fp = sum(1 for r, c in zip(records, preds, strict=True) if not r["relevant"] and c.relevant)
    fn = sum(1 for r, c in zip(records, preds, strict=True) if r["relevant"] and not c.relevant)
    out["rel_p"], out["rel_r"], out["rel_f1"] = _f1(tp, fp, fn)
    for kind, ids in KINDS:
        per = {i: [0, 0, 0] for i in ids}
        for r, c in zip(records, preds, strict=True):
            gold, got = set(r.get(kind) or []), set(getattr(c, kind))
            for i in ids:
                per[i][0] += i in gold and i in got
                per[i][1] += i in got and i not in gold
                per[i][2] += i in gold and i not in got
        tot = [sum(v[k] for v in per.values()) for k in range(3)]
        out[f"{kind}_micro"] = _f1(*tot)[2]
        for i, v in per.items():
            out[f"{kind}:{i}:p"], out[f"{kind}:{i}:r"], out[f"{kind}:{i}:f1"] = _f1(*v)
            out[f"{kind}:{i}:n"] = v[0] + v[2]
        seen = [v for v in per.values() if v[0] + v[1] + v[2]]
        out[f"{kind}_macro"] = sum(_f1(*v)[2] for v in seen) / len(seen) if seen else 0.0
    return out


def throughput(clf: Classifier, records: Sequence[dict[str, Any]], rounds: int = 7,
               seconds: float = 0.3) -> float:
    """Items/s on one core: the best of several short rounds, so a busy neighbour on a
    shared machine does not decide the number."""
    best = 0.0
    for _ in range(rounds):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for r in records:
                clf.classify(r["title"], r["text"], r.get("lang"))
            n += len(records)
        best = max(best, n / (time.perf_counter() - start))
    return best


def evaluate(dev: Path, model: str | None = None) -> dict[str, Any]:
    records = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines()
               if line.strip()]
    clf = load_classifier(model)
    base = keyword_baseline(clf)
    results: dict[str, Any] = {"n": len(records), "model_version": clf.version}
    for name, predict in (("model", lambda r: clf.classify(r["title"], r["text"], r.get("lang"))),
                          ("baseline", base)):
        preds = [predict(r) for r in records]
        results[name] = {"all": score(records, preds)}
        for lang in ("en", "zh", "ja"):
            idx = [i for i, r in enumerate(records) if r.get("lang") == lang]
            if idx:
                results[name][lang] = score([records[i] for i in idx], [preds[i] for i in idx])
        if name == "model":
            results["forms"] = by_form(records, preds)
    results["simulated"] = simulated_forms(records, clf)
    results["cv_forms"] = clf.meta.get("cv_forms", {})
    results["items_per_second"] = round(throughput(clf, records), 1)
    return results


def _rel(records: Sequence[dict[str, Any]], preds: Sequence[Classification]) -> dict[str, Any]:
    s = score(records, preds)
    pos = sum(1 for r in records if r["relevant"])
    return {"n": len(records), "pos": pos,
            **{k: s[k] for k in ("rel_p", "rel_r", "rel_f1", "topic_micro", "item_micro",
                                 "jurisdiction_micro")}}


def by_form(records: Sequence[dict[str, Any]],
            preds: Sequence[Classification]) -> dict[str, dict[str, Any]]:
    """Relevance and labels per form bucket, with a reliability table (score vs observed)."""
    out: dict[str, dict[str, Any]] = {}
    forms = [form_of(r.get("title") or "", r.get("text") or "") for r in records]
    for f in FORMS:
        idx = [i for i, g in enumerate(forms) if g == f]
        if not idx:
            continue
        recs, ps = [records[i] for i in idx], [preds[i] for i in idx]
        out[f] = _rel(recs, ps)
        out[f]["reliability"] = reliability(
            np.array([c.score for c in ps]), np.array([int(r["relevant"]) for r in recs]),
            np.ones(len(recs)))
    return out


SIMULATED = ("title", "title+lead", "lead", "slug")


def simulated_forms(records: Sequence[dict[str, Any]], clf: Classifier) -> dict[str, Any]:
    """Dev items cut to the shapes real feeds carry (`forms.variants`), labels unchanged.

    A simulation: a headline cut from a written item is not a headline an editor
    wrote, and an item whose headline alone says too little keeps its label.
    """
    out: dict[str, Any] = {}
    for name in SIMULATED:
        recs = []
        for r in records:
            v = variants(r.get("title") or "", r.get("text") or "", r.get("lang")).get(name)
            if v:
                recs.append({**r, "title": v[0], "text": v[1]})
        if recs:
            preds = [clf.classify(r["title"], r["text"], r.get("lang")) for r in recs]
            out[name] = _rel(recs, preds)
            for lang in ("en", "zh", "ja"):
                idx = [i for i, r in enumerate(recs) if r.get("lang") == lang]
                if idx and name != "slug":
                    out[name][f"f1_{lang}"] = score([recs[i] for i in idx],
                                                    [preds[i] for i in idx])["rel_f1"]
    return out


ROWS = [("relevance precision", "rel_p"), ("relevance recall", "rel_r"),
        ("relevance F1", "rel_f1"), ("topic micro-F1", "topic_micro"),
        ("topic macro-F1", "topic_macro"), ("item micro-F1", "item_micro"),
        ("item macro-F1", "item_macro"), ("jurisdiction micro-F1", "jurisdiction_micro"),
        ("jurisdiction macro-F1", "jurisdiction_macro")]


def render(res: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    lines = [f"dev items: {res['n']}   model: {res['model_version']}",
             f"{'metric':<24}{'split':>6}{'model':>9}{'baseline':>10}"
             + (f"{'prev':>9}{'change':>9}" if previous else "")]
    for split in ("all", "en", "zh", "ja"):
        if split not in res["model"]:
            continue
        for label, key in ROWS:
            if split != "all" and key not in ("rel_p", "rel_r", "rel_f1", "topic_micro",
                                              "item_micro", "jurisdiction_micro"):
                continue
            m, b = res["model"][split][key], res["baseline"][split][key]
            mark = "" if m > b else "  <= baseline"
            row = f"{label:<24}{split:>6}{m:>9.3f}{b:>10.3f}"
            if previous and split in previous.get("model", {}):
                p = previous["model"][split].get(key, 0.0)
                row += f"{p:>9.3f}{m - p:>+9.3f}"
            lines.append(row + mark)
    lines += _per_label(res)
    lines += render_forms(res)
    lines.append(f"throughput (one core): {res['items_per_second']:.0f} items/s")
    return "\n".join(lines)


def _per_label(res: dict[str, Any]) -> list[str]:
    """One row per label: where the micro averages hide a weak label."""
    m, b = res["model"]["all"], res["baseline"]["all"]
    lines = ["", f"{'label':<28}{'gold':>5}{'P':>7}{'R':>7}{'F1':>7}{'base F1':>9}"]
    for kind, ids in KINDS:
        for i in ids:
            key = f"{kind}:{i}"
            if f"{key}:n" not in m or (not m[f"{key}:n"] and not m[f"{key}:p"]):
                continue
            lines.append(f"{key:<28}{int(m[f'{key}:n']):>5}{m[f'{key}:p']:>7.3f}"
                         f"{m[f'{key}:r']:>7.3f}{m[f'{key}:f1']:>7.3f}{b[f'{key}:f1']:>9.3f}")
    return lines


def _form_rows(title: str, table: dict[str, dict[str, Any]], extra: bool = False) -> list[str]:
    lines = ["", title, f"{'form':<12}{'n':>5}{'pos':>5}{'P':>7}{'R':>7}{'F1':>7}"
             f"{'topic':>7}{'item':>7}{'jur':>7}" + ("  F1 en/zh/ja" if extra else "")]
    for f, m in table.items():
        row = (f"{f:<12}{m['n']:>5}{m['pos']:>5}{m['rel_p']:>7.3f}{m['rel_r']:>7.3f}"
               f"{m['rel_f1']:>7.3f}{m['topic_micro']:>7.3f}{m['item_micro']:>7.3f}"
               f"{m['jurisdiction_micro']:>7.3f}")
        if extra:
            row += "  " + "/".join(f"{m[k]:.2f}" if k in m else "-"
                                   for k in ("f1_en", "f1_zh", "f1_ja"))
        lines.append(row)
    return lines


def _reliability_rows(title: str, table: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["", title, f"{'form':<12}{'score bin':>12}{'n':>8}{'predicted':>11}{'observed':>10}"]
    for f, m in table.items():
        for lo, hi, n, pred, obs in m.get("reliability", []):
            lines.append(f"{f:<12}{f'{lo:.1f}-{hi:.1f}':>12}{n:>8.0f}{pred:>11.3f}{obs:>10.3f}")
    return lines


def render_forms(res: dict[str, Any]) -> list[str]:
    """Per-form tables: dev as written, dev cut to feed shapes, cross-validation."""
    lines: list[str] = []
    if res.get("forms"):
        lines += _form_rows("dev by form bucket (title_only: one field only; short: <= 200 "
                            "chars; long)", res["forms"])
        lines += _reliability_rows("dev reliability by form (model score vs share relevant)",
                                   res["forms"])
    if res.get("simulated"):
        lines += _form_rows("SIMULATED feed forms, cut from dev (not real feed items): title "
                            "alone, title + first sentence, first sentence alone, URL slug",
                            res["simulated"], extra=True)
    cv = res.get("cv_forms") or {}
    if cv:
        lines += ["", "training cross-validation by form (out-of-fold, incl. derived short "
                  "copies; at the operating point)", f"{'form':<12}{'n':>6}{'P':>7}{'R':>7}"]
        lines += [f"{f:<12}{m['n']:>6}{m['precision']:>7.3f}{m['recall']:>7.3f}"
                  for f, m in cv.items()]
        lines += _reliability_rows("cross-validation reliability by form (weighted)", cv)
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dev", type=Path, default=DEV)
    ap.add_argument("--model", default=None)
    ap.add_argument("--save", type=Path, default=LAST, help="where to keep this result")
    args = ap.parse_args(argv)
    if not args.dev.is_file():
        print(f"skipping evaluation: {args.dev} not found (it lives in ../shared/eval)")
        return 0
    try:
        res = evaluate(args.dev, args.model)
    except ModelError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    previous = None
    if args.save.is_file():
        try:
            previous = json.loads(args.save.read_text(encoding="utf-8"))
        except ValueError:
            previous = None
    print(render(res, previous))
    args.save.parent.mkdir(parents=True, exist_ok=True)
    args.save.write_text(json.dumps(res, indent=1, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
