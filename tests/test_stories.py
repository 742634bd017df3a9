from monitor.stories import assign_story, similarity

RECENT = [("i1", "s1", "chinaaddsgalliumgermaniumexportcontrols", {"announcements": []}),
          ("i2", "s2", "footballresults", {"announcements": ["MOFCOM 2025 No. 61"]})]


def test_near_identical_titles_share_a_story() -> None:
    assert similarity("abc", "abc") == 1.0
    assert assign_story("chinaimposesgalliumgermaniumexportcontrols", {}, RECENT) == "s1"


def test_shared_announcement_links_across_languages() -> None:
    assert assign_story("商务部公告2025年第61号", {"announcements": ["MOFCOM 2025 No. 61"]},
                        RECENT) == "s2"


def test_unrelated_title_starts_a_story() -> None:
    assert assign_story("weatherforecastsunny", {}, RECENT) is None
