"""JSON APIs, with the Federal Register documents.json shape."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from monitor.config import Defaults, JsonOptions, SourceConfig
from monitor.sources import fetch_all
from tests.fakes.feeds import FeedServer

FR = {
    "count": 2, "total_pages": 1,
    "results": [
        {"document_number": "2025-18123", "title": "Additions to the Entity List",
         "html_url": "https://www.federalregister.gov/documents/2025/10/09/2025-18123/x",
         "publication_date": "2025-10-09",
         "abstract": "BIS amends the EAR by adding 12 entities &amp; addresses."},
        {"document_number": "2025-18000", "title": None, "html_url": None},
        "not an object",
    ],
}
MAP = JsonOptions(items="results", id="document_number", title="title", link="html_url",
                  date="publication_date", summary="abstract")


def fr_source(url: str) -> SourceConfig:
    return SourceConfig(name="federal-register-bis", url=url, kind="json", json=MAP, lang="en")


def test_federal_register_shape(server: FeedServer) -> None:
    url = server.set("/api/v1/documents.json", json.dumps(FR),
                       content_type="application/json; charset=utf-8")
    [r] = fetch_all([fr_source(url)], {}, Defaults())
    assert r.status == "ok", r.error
    [item] = r.items
    assert item.guid == "2025-18123" and item.title == "Additions to the Entity List"
    assert item.published == datetime(2025, 10, 9, tzinfo=UTC)
    assert item.summary == "BIS amends the EAR by adding 12 entities & addresses."
    assert item.lang == "en"


def test_json_errors_are_specific(server: FeedServer) -> None:
    cases = {
        "/html": ("<html><body>maintenance</body></html>", "not JSON: got an HTML page"),
        "/broken": ('{"results": [', "not JSON: "),
        "/shape": ('{"results": {"a": 1}}', "JSON path 'results' is not a list (got dict)"),
        "/deep": ("[" * 100000 + "]" * 100000, "not usable JSON: nested too deeply"),
    }
    sources = [fr_source(server.set(p, body, content_type="application/json"))
               for p, (body, _) in cases.items()]
    results = fetch_all(sources, {}, Defaults())
    for r, (_, expected) in zip(results, cases.values(), strict=True):
        assert r.status == "error" and r.error is not None and r.error.startswith(expected), r.error
