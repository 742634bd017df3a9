"""The shipped model on the shapes real feeds carry: a headline alone says enough.

The probes are written for these tests (not training items): bare headlines,
slugs, an empty title with a lead, a Federal Register title, traditional Chinese and
a terse Japanese wire headline, and the look-alikes that must stay quiet.
"""

from __future__ import annotations

import pytest

from monitor.classify import Classifier

HEADLINES = [
    # (title, text, lang, topic, item, jurisdictions that must be present)
    ("Commerce adds 12 Chinese firms to Entity List", "", "en",
     "new_restriction", "semiconductors|dual_use", {"US", "CN"}),
    ("us blacklists more chinese chip toolmakers", "", "en",
     "new_restriction", "semiconductors", {"CN"}),
    ("", "Beijing said it would require licences for shipments of antimony products abroad "
     "from next month.", "en", "new_restriction", "critical_minerals", {"CN"}),
    ("Additions to the Entity List", "This rule adds 20 entities under the destination of "
     "China to the Entity List of the Export Administration Regulations.", "en",
     "new_restriction", "", {"US"}),
    ("美國商務部將多家中國晶片企業列入實體清單", "", "zh",
     "new_restriction", "semiconductors", {"US", "CN"}),
    ("中国、ガリウムの輸出を許可制に", "", "ja", "new_restriction", "critical_minerals", {"CN"}),
]


@pytest.mark.parametrize(("title", "text", "lang", "topic", "item", "jur"), HEADLINES)
def test_short_items_get_labels(clf: Classifier, title: str, text: str, lang: str, topic: str,
                                item: str, jur: set[str]) -> None:
    c = clf.classify(title, text, lang)
    assert c.relevant, c.why
    assert topic in c.topic
    if item:
        assert set(item.split("|")) & set(c.item), c.item
    assert jur <= set(c.jurisdiction), c.jurisdiction


@pytest.mark.parametrize(("title", "lang"), [
    ("Rugby chiefs keep 'export ban' on players at foreign clubs", "en"),
    ("Gallium price climbs again two years after China's curbs", "en"),
    ("Treasury rule limits US investment in Chinese AI start-ups", "en"),
    ("政府、民間空港を自衛隊と共用へ　整備費を計上", "ja"),
])
def test_short_look_alikes_stay_quiet(clf: Classifier, title: str, lang: str) -> None:
    c = clf.classify(title, "", lang)
    assert not c.relevant, (c.score, c.why)


def test_score_does_not_collapse_without_a_body(clf: Classifier) -> None:
    title = "China restricts exports of graphite used in batteries"
    body = ("The commerce ministry said exporters must apply for licences from December 1. "
            "Officials said the move protects national security.")
    alone, full = clf.classify(title, "", "en"), clf.classify(title, body, "en")
    assert alone.relevant and full.relevant
    assert alone.score > 0.5 * full.score
