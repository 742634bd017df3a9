"""Measure the classifier on ../shared/eval/dev.jsonl next to a plain keyword baseline.

    python -m monitor.classify.evaluate [--dev PATH] [--model PATH] [--save PATH]

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

from monitor.classify.cues import CueMatcher
from monitor.classify.examples import ROOT
from monitor.classify.model import Classifier, load_classifier
from monitor.classify.taxonomy import ITEMS, JURISDICTIONS, TOPICS
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
        pick = (lambda prefix, ids: tuple(i for i in ids if f"{prefix}:{i}" in groups))  # noqa: E731
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
    results["items_per_second"] = round(throughput(clf, records), 1)
    return results


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
