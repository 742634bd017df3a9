"""Stable identity for fetched entries: canonical URLs, title keys, item ids.

Pure functions, no IO.  The store dedups on id, (source, guid), canonical URL
and title key (see `monitor.store.items.find_existing`), so these must be
deterministic across polls, processes and versions: changing them re-alerts
everything once.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from url_normalize import url_normalize

# Query parameters that only say who sent the reader; they never select content.
_TRACKING_PREFIXES = ("utm_", "mtm_", "pk_", "at_", "ga_", "hsa_", "oly_", "vero_")
_TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "igshid", "mc_cid",
    "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "cmpid", "ncid", "ocid", "ref_src", "spm",
    "s_cid", "wt.mc_id", "xtor", "sr_share", "guce_referrer", "guce_referrer_sig", "_ga",
    "_gl", "smid", "feedtype", "feedname",
})  # deliberately not "ref", "cid", "from", "src": some CMSs select articles with them

# " - Reuters", " | BBC News", " — 日本経済新聞": a short outlet name after a dash/bar.
# ASCII, no userinfo, no percent-escapes or spaces: safe for the fast path.
_PLAIN_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9.:-]+(/[A-Za-z0-9/._~!$&'()*+,;=:@?\[\]-]*)?(#.*)?$")
_OUTLET_SUFFIX = re.compile(r"\s+[-–—|｜]\s+([^-–—|｜]{1,40})$")
_OUTLET_SUFFIX_CJK = re.compile(r"[_＿|｜]([^_＿|｜]{1,12})$")


def absolute_http_url(link: str | None, base: str | None = None) -> str | None:
    """`link` resolved against `base`; None unless the result is http(s) with a host."""
    if not link:
        return None
    link = link.strip()
    if not link:
        return None
    try:
        url = urljoin(base, link) if base else link
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[bad" - malformed IPv6 literal
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _normalize(url: str) -> str:
    """Cheap RFC 3986 normalisation for the common case; url-normalize for the rest.

    url-normalize costs ~0.3 ms a call, a third of a poll's parse time, and
    almost every feed link is already plain ASCII with a lowercase host.
    """
    if not _PLAIN_URL.match(url):
        return url_normalize(url) or ""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    netloc = parts.netloc.lower()
    if (scheme, parts.port) in (("http", 80), ("https", 443)):
        netloc = netloc.rsplit(":", 1)[0]
    path = parts.path or "/"
    if "/." in path:
        return url_normalize(url) or ""  # dot segments: let the full normaliser resolve them
    return urlunsplit((scheme, netloc, path, parts.query, ""))


def _is_tracking(key: str) -> bool:
    k = key.lower()
    return k in _TRACKING_PARAMS or k.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str | None) -> str | None:
    """One spelling per resource: lowercased scheme/host, no default port, no
    fragment, no tracking parameters, sorted query, no trailing slash on paths.

    The scheme is kept (http vs https can be different sites in rare cases,
    but more importantly changing it would merge nothing we have seen fail).
    """
    if not url:
        return None
    try:
        parts = urlsplit(_normalize(url.strip()))
    except (ValueError, UnicodeError):
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _is_tracking(k)]
    query.sort()
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    host = parts.netloc.lower()
    if host.startswith("www."):
        # www. and the bare domain serve the same article on every outlet we poll.
        host = host[4:]
    return urlunsplit((parts.scheme, host, path, urlencode(query, safe="[]:/,@"), ""))


def _strip_outlet(title: str) -> str:
    m = _OUTLET_SUFFIX.search(title)
    if m:
        head = title[: m.start()]
        suffix = m.group(1).strip()
        # Only a short name after a long headline: "Export controls - what changed"
        # keeps its tail because the head is too short to be the whole headline.
        if len(suffix.split()) <= 4 and len(head) >= 20:
            return head
    m = _OUTLET_SUFFIX_CJK.search(title)
    if m and len(title) - len(m.group(0)) >= 8:
        return title[: m.start()]
    return title


_NOT_ALNUM = re.compile(r"[\W_]+")


def title_key(title: str | None) -> str:
    """Normalised headline for cross-outlet matching: NFKC, casefolded, outlet
    suffix dropped, only letters and digits kept."""
    if not title:
        return ""
    t = unicodedata.normalize("NFKC", title).strip()
    for _ in range(3):  # "headline_新闻_腾讯网": section and outlet both trail
        stripped = _strip_outlet(t)
        if stripped == t:
            break
        t = stripped.rstrip()
    t = t.casefold()
    # \w is Unicode letters and numbers (plus "_", dropped): one C-level pass
    # instead of a category lookup per character on the hot parse path.
    return _NOT_ALNUM.sub("", t)


def _digest(*parts: str) -> str:
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass"))
    return h.hexdigest()[:24]


def _globally_unique_guid(guid: str) -> bool:
    """URL and URN/tag GUIDs name one resource everywhere; "1" or "post-7" do not."""
    g = guid.strip().lower()
    return g.startswith(("http://", "https://", "urn:", "tag:")) and len(g) > 12


def item_id(source: str, guid: str | None, canonical: str | None, tkey: str) -> str:
    """Stable id: GUID, else canonical URL, else title key.

    URL-shaped GUIDs and canonical URLs are global (two outlets carrying the same
    URL are the same story: syndication); other GUIDs and title hashes are
    namespaced by source because "1" in two feeds means two different items.
    """
    if guid and guid.strip():
        g = guid.strip()
        if _globally_unique_guid(g):
            cu = canonical_url(g) if g.lower().startswith("http") else None
            return "u:" + _digest(cu or g)
        return "g:" + _digest(source, g)
    if canonical:
        return "u:" + _digest(canonical)
    return "t:" + _digest(source, tkey)
