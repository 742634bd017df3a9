"""Feed forms: buckets, the shorter shapes cut from an item, and the training copies."""

from __future__ import annotations

from monitor.classify.forms import FORMS, SHORT_MAX, first_sentence, form_of, slug_title, variants
from monitor.classify.training.examples import VARIANT_SCALE, Example, with_form_variants


def test_form_buckets() -> None:
    assert form_of("Commerce adds 12 Chinese firms to Entity List", "") == "title_only"
    assert form_of("", "Beijing halted exports of gallium to the US on Tuesday.") == "title_only"
    assert form_of("US widens curbs", "BIS added 140 entities.") == "short"
    assert form_of("US widens curbs", "x" * SHORT_MAX) == "long"
    assert form_of("", "y" * (SHORT_MAX + 1)) == "long"
    assert set(FORMS) == {"title_only", "short", "long"}


def test_first_sentence_keeps_abbreviations() -> None:
    text = "The U.S. Commerce Department added 12 firms. Beijing protested."
    assert first_sentence(text) == "The U.S. Commerce Department added 12 firms."
    assert first_sentence("商务部发布公告。自8月1日起实施。") == "商务部发布公告。"
    ja = "政府は輸出規制を強化した。韓国は反発した。"
    assert first_sentence(ja) == "政府は輸出規制を強化した。"
    assert first_sentence("No full stop here") == "No full stop here"


def test_slug_title() -> None:
    assert slug_title("U.S. adds YMTC to 'Entity List'") == "u s adds ymtc to entity list"


def test_variants_only_shapes_that_differ() -> None:
    v = variants("US blacklists YMTC", "Commerce added YMTC on Thursday. It protested.", "en")
    assert v == {"title": ("US blacklists YMTC", ""),
                 "lead": ("", "Commerce added YMTC on Thursday."),
                 "title+lead": ("US blacklists YMTC", "Commerce added YMTC on Thursday."),
                 "slug": ("us blacklists ymtc", "")}
    one = variants("美国将140家中国实体列入实体清单", "", "zh")
    assert one == {}  # a bare headline is already its shortest shape
    lead_only = variants("日本、韓国をホワイト国から除外", "政府は閣議決定した。", "ja")
    assert set(lead_only) == {"title", "lead"}  # one sentence: title+lead would repeat the item


def test_training_copies_keep_labels_and_story() -> None:
    base = Example(id="a", title="China curbs gallium exports",
                   text="MOFCOM set licences. Firms must apply.", lang="en", relevant=True,
                   source="training", topic=["new_restriction"], item=["critical_minerals"],
                   jurisdiction=["CN"], group="cn-gallium")
    seed = Example(id="seed-x", title="t", text="Long text. More.", lang="en", relevant=True,
                   source="seed-cues", group="s")
    out = with_form_variants([base, seed])
    ids = [e.id for e in out]
    assert ids == sorted(ids)
    copies = [e for e in out if e.id.startswith("a#")]
    # The headline alone always, plus one other shape chosen by a stable hash of the id.
    assert len(copies) == 2 and "a#title" in {e.id for e in copies}
    assert copies == [e for e in with_form_variants([base, seed]) if e.id.startswith("a#")]
    for e in copies:
        assert e.group == "cn-gallium" and e.topic == ["new_restriction"]
        assert e.jurisdiction == ["CN"] and e.weight == base.weight * VARIANT_SCALE
    assert not any(e.id.startswith("seed-x#") for e in out)  # seeds are not cut up
