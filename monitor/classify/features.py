"""Turn (title, text) into sparse features: n-grams, cue groups and their combinations.

The same function runs at training and inference, so the stored weights always
meet the features they were trained on.  Chinese and Japanese get character
n-grams (no word segmenter needed); Latin text gets word uni- and bigrams.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

from monitor.classify.cues import CueMatcher, Hit
from monitor.classify.forms import form_of
from monitor.classify.taxonomy import JURISDICTIONS
from monitor.classify.text import MAX_TEXT_CHARS, MAX_TITLE_CHARS, detect_lang, normalise
from monitor.text import HAN, KANA

_WORD = re.compile(r"[a-z0-9]+(?:[-'.][a-z0-9]+)*")
_CJK = re.compile(f"[{KANA}{HAN}]+")  # Hangul is not a classifier language
HOME = {"zh": "CN", "ja": "JP"}


@dataclass
class Analysis:
    """Everything the classifier derives from one item before applying weights."""

    title: str
    text: str
    lang: str
    counts: Counter[str] = field(default_factory=Counter)
    inv_norm: float = 1.0
    cues: dict[str, float] = field(default_factory=dict)
    title_hits: list[Hit] = field(default_factory=list)
    body_hits: list[Hit] = field(default_factory=list)
    group_count: Counter[str] = field(default_factory=Counter)
    title_groups: set[str] = field(default_factory=set)


def _ngrams(s: str, prefix: str, out: list[str], words_bigrams: bool = True) -> None:
    words = _WORD.findall(s.lower())
    if prefix:
        out += [prefix + w for w in words]
    else:
        out += words
    if words_bigrams:
        out += map(" ".join, pairwise(words))
    for run in _CJK.findall(s):
        # Character bi- and trigrams: single characters are too ambiguous to help, and
        # dropping them keeps the feature count (and time) down.
        n = len(run)
        if n == 1:
            out.append(prefix + run)
        out += [prefix + run[i:i + 2] for i in range(n - 1)]
        out += [prefix + run[i:i + 3] for i in range(n - 2)]


def analyse(title: str, text: str, lang: str | None, matcher: CueMatcher) -> Analysis:
    t = normalise(title, MAX_TITLE_CHARS)
    b = normalise(text, MAX_TEXT_CHARS)
    lg = lang if lang in ("en", "zh", "ja") else detect_lang(f"{t} {b}")
    a = Analysis(title=t, text=b, lang=lg)

    grams: list[str] = []
    _ngrams(f"{t} | {b}", "", grams)
    _ngrams(t, "T:", grams, words_bigrams=False)
    a.counts = Counter(grams)
    # Sub-linear tf and L2 norm: long seeds and one-line items land on one scale.
    if a.counts:
        # Most grams occur once and add exactly 1; only repeats need a logarithm.
        sq = float(len(a.counts))
        log = math.log
        for n in a.counts.values():
            if n > 1:
                sq += (1.0 + log(n)) ** 2 - 1.0
        a.inv_norm = 1.0 / math.sqrt(sq)

    # One pass over title + body; the offset tells which hits came from the title.
    cut = len(t) + 1
    hits = matcher.hits(f"{t}\n{b}")
    a.title_hits = [h for h in hits if h.start < cut]
    a.body_hits = [Hit(h.cue, h.groups, h.start - cut) for h in hits if h.start >= cut]
    a.title_groups = {g for h in a.title_hits for g in h.groups}
    # One Counter over a flat generator: Counter.update per hit costs more than matching.
    a.group_count = Counter(g for h in hits for g in h.groups)
    a.cues = cue_features(a)
    return a


def ngram_features(a: Analysis) -> dict[str, float]:
    """The full normalised n-gram vector (training needs it; inference looks up lazily)."""
    inv = a.inv_norm
    return {k: (1.0 + math.log(v)) * inv for k, v in a.counts.items()}


def cue_features(a: Analysis) -> dict[str, float]:
    """Group-level cue counts plus the few combinations that decide relevance."""
    # The form bucket: training folds a per-form calibration offset into its weight,
    # so a bare headline and a full article with the same evidence score alike.
    f: dict[str, float] = {f"lang:{a.lang}": 1.0, f"form:{form_of(a.title, a.text)}": 1.0}
    gc = a.group_count
    for g, n in gc.items():
        if g.startswith(("jur:", "gov:")):
            continue
        f[f"cue:{g}"] = math.log1p(n)
    for g in a.title_groups:
        if not g.startswith(("jur:", "gov:")):
            f[f"tcue:{g}"] = 1.0
    ec = gc["signal:export_control"]
    act = gc["signal:control_action"]
    govs = sum(1 for c in JURISDICTIONS if gc[f"gov:{c}"])
    countries = sum(1 for c in JURISDICTIONS if gc[f"jur:{c}"] or gc[f"gov:{c}"])
    items = sum(1 for g in gc if g.startswith("item:"))
    f["n_countries"] = math.log1p(countries)
    f["n_gov"] = math.log1p(govs)
    f["n_items"] = math.log1p(items)
    if ec:
        f["ec&action"] = float(act > 0)
        f["ec&gov"] = float(govs > 0)
        f["ec&item"] = float(items > 0)
    else:
        if gc["signal:trade_other"]:
            f["trade_only"] = 1.0
        if gc["signal:company_market"]:
            f["market_only"] = 1.0
        if act and items and govs:
            f["action&item&gov"] = 1.0
    if gc["signal:other_sense"]:
        f["other_sense&ec"] = float(ec > 0)
    if not a.title and not a.text:
        f["empty"] = 1.0
    return f


def jurisdiction_pairs(a: Analysis) -> dict[str, dict[str, float]]:
    """Per-country features for the shared 'is this country a party?' model.

    One model across all countries lets rare ones (UK, DE, IN) borrow what CN and
    US teach: named in the title, its ministry acting, first country named ...
    """
    first_pos: dict[str, int] = {}
    title_first: dict[str, int] = {}
    for hits, store, offset in ((a.title_hits, title_first, 0), (a.body_hits, first_pos, 10_000)):
        for h in hits:
            for g in h.groups:
                if g.startswith(("jur:", "gov:")):
                    c = g[4:]
                    store.setdefault(c, h.start + offset)
                    if store is title_first:
                        first_pos.setdefault(c, h.start)
    order = sorted(first_pos, key=lambda c: first_pos[c])
    total = sum(a.group_count[f"jur:{c}"] + a.group_count[f"gov:{c}"] for c in JURISDICTIONS)
    out: dict[str, dict[str, float]] = {}
    for c in JURISDICTIONS:
        n = a.group_count[f"jur:{c}"] + a.group_count[f"gov:{c}"]
        f: dict[str, float] = {f"prior:{c}": 1.0}
        if n:
            f["mention"] = 1.0
            f["count"] = math.log1p(n)
            f["share"] = n / total
            rank = order.index(c) if c in order else 9
            f[f"rank{min(rank, 3)}"] = 1.0
        if c in title_first:
            f["title"] = 1.0
            f[f"title&prior:{c}"] = 1.0
        if a.group_count[f"gov:{c}"]:
            f["gov"] = 1.0
            f[f"gov&prior:{c}"] = 1.0
            if any(f"gov:{c}" in h.groups for h in a.title_hits):
                f["gov_title"] = 1.0
        if HOME.get(a.lang) == c:
            f["home_lang"] = 1.0
        if n and len(order) == 1:
            f["only"] = 1.0
        out[c] = f
    return out
