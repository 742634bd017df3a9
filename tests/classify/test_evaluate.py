"""`make eval`'s form tables: buckets, simulated feed shapes, reliability rows."""

from __future__ import annotations

from monitor.classify import Classifier
from monitor.classify.training.evaluate import by_form, render_forms, simulated_forms

RECORDS = [
    {"id": "p1", "title": "Commerce adds 140 Chinese entities to the Entity List",
     "text": "BIS said licences will be required. Beijing protested the move.", "lang": "en",
     "relevant": True, "topic": ["new_restriction"], "item": ["semiconductors"],
     "jurisdiction": ["US", "CN"]},
    {"id": "p2", "title": "China curbs gallium exports", "text": "", "lang": "en",
     "relevant": True, "topic": ["new_restriction"], "item": ["critical_minerals"],
     "jurisdiction": ["CN"]},
    {"id": "n1", "title": "Fed cuts rates by half a point",
     "text": "Stocks rallied after the decision. " * 8, "lang": "en", "relevant": False,
     "topic": [], "item": [], "jurisdiction": []},
]


def test_by_form_and_simulated(clf: Classifier) -> None:
    preds = [clf.classify(r["title"], r["text"], r["lang"]) for r in RECORDS]
    forms = by_form(RECORDS, preds)
    assert set(forms) == {"title_only", "short", "long"}
    assert forms["title_only"]["n"] == 1 and forms["long"]["pos"] == 0
    for m in forms.values():
        assert all(lo < hi and 0 <= pred <= 1 and 0 <= obs <= 1
                   for lo, hi, _, pred, obs in m["reliability"])
    sim = simulated_forms(RECORDS, clf)
    # The bare headline has no shorter shape; the two items with text have a title alone.
    assert sim["title"]["n"] == 2 and sim["slug"]["n"] == 3
    text = "\n".join(render_forms({"forms": forms, "simulated": sim,
                                   "cv_forms": clf.meta.get("cv_forms", {})}))
    assert "SIMULATED" in text and "reliability" in text
