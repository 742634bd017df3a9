"""Analyst-readable reasons for a verdict: which phrases, where, and what pulled the score."""

from __future__ import annotations

from monitor.classify.cues import Hit
from monitor.classify.features import Analysis

_GROUP_NAMES = {
    "signal:export_control": "export-control vocabulary",
    "signal:control_action": "restriction/licensing verbs",
    "signal:trade_other": "tariff/trade-remedy vocabulary",
    "signal:other_sense": "'control'/'export' in another sense",
    "signal:company_market": "company/market news",
}
_COMBOS = {
    "trade_only": "trade measure without export-control terms",
    "market_only": "market news without export-control terms",
    "ec&action": "export-control terms with a control action",
    "ec&gov": "export-control terms with a government actor",
    "ec&item": "export-control terms with a controlled item",
    "action&item&gov": "government action on a controlled item",
    "other_sense&ec": "'control' used in another sense",
}


def _first(hits: list[Hit], group: str) -> str | None:
    for h in hits:
        if group in h.groups:
            return h.cue
    return None


def _feature_name(name: str) -> str | None:
    if name.startswith(("lang:", "form:")) or name in ("n_countries", "n_gov", "n_items", "empty"):
        return None
    if name.startswith("T:"):
        return f"'{name[2:]}' in title"
    if name.startswith(("cue:", "tcue:")):
        kind, group = name.split(":", 1)
        label = _GROUP_NAMES.get(group, group.split(":", 1)[1].replace("_", " ") + " cues")
        return f"{label} in title" if kind == "tcue" else label
    if name in _COMBOS:
        return _COMBOS[name]
    return f"'{name}'"


def explain(a: Analysis, relevant: bool, score: float, threshold: float,
            contributions: list[tuple[str, float]]) -> list[str]:
    why: list[str] = []
    if not a.title and not a.text:
        return ["empty title and text"]
    ec_t = _first(a.title_hits, "signal:export_control")
    item_groups = [g for g in sorted(a.title_groups) if g.startswith("item:")]
    if ec_t:
        extra = _first(a.title_hits, item_groups[0]) if item_groups else None
        why.append(f"'{ec_t}' + '{extra}' in title" if extra else f"'{ec_t}' in title")
    ec_any = sorted({h.cue for h in (*a.title_hits, *a.body_hits)
                     if "signal:export_control" in h.groups})
    if ec_any and not ec_t:
        why.append("matched " + ", ".join(f"'{c}'" for c in ec_any[:3]))
    if not ec_any:
        if a.group_count["signal:trade_other"]:
            cue = _first([*a.title_hits, *a.body_hits], "signal:trade_other")
            why.append(f"mentions tariffs/trade measures only ('{cue}')")
        else:
            why.append("no export-control terms")
    if a.group_count["signal:other_sense"]:
        cue = _first([*a.title_hits, *a.body_hits], "signal:other_sense")
        why.append(f"'control'/'export' may be used in another sense ('{cue}')")
    sign = 1.0 if relevant else -1.0
    pushed = [n for n, c in contributions if c * sign > 0]
    readable = [r for r in (_feature_name(n) for n in pushed) if r][:3]
    if readable:
        why.append(("for: " if relevant else "against: ") + ", ".join(readable))
    cmp = ">=" if relevant else "<"
    why.append(f"score {score:.2f} {cmp} threshold {threshold:.2f}")
    return why
