"""Link near-identical headlines and shared announcements into one story.

Pure: the caller supplies candidate items.  A story id lets delivery thread the
second and later reports of one event under the first alert.

Finding the candidates must not cost more as history grows: comparing a new
headline with every item of the last three days made a poll quadratic.  Each
item therefore gets a few index keys (`story_keys`), stored beside it, and only
items sharing a key are compared, with the same exact rule as before:

* one key per linking fact (an announcement number): an exact index;
* MinHash LSH over character trigrams of the title key: BANDS bands of ROWS
  hashes.  Bigram Jaccard is not selective enough to index (unrelated English
  headlines often score 0.2-0.3), but headlines at bigram Jaccard >= 0.6 have
  trigram Jaccard >= ~0.45, where 30 bands of 3 find them with probability
  >= 0.99 (>= 0.9997 over a set of perturbed real headlines), while unrelated
  ones become candidates about 0.3 % of the time.  Identical title keys always
  share every band.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


SIMILARITY = 0.6  # Jaccard on character bigrams of normalised titles
# Facts specific enough that two items sharing one report the same event.
_LINKING_FACTS = ("announcements",)

BANDS, ROWS = 30, 3


def _coefficients(tag: str, n: int, bits: int) -> np.ndarray:
    """Fixed pseudo-random coefficients: the keys must be the same in every process, forever."""
    import numpy as np

    return np.array([int.from_bytes(hashlib.blake2b(f"{tag}{i}".encode(), digest_size=8)
                                    .digest(), "big") >> (64 - bits) | 1 for i in range(n)],
                    dtype=np.uint64)


@lru_cache(maxsize=1)
def _hashing() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.uint64]:
    """(a, c, band mix, band salt, prime), made at the first title: numpy is imported then,
    so a run where every source answers 304 never loads it."""
    import numpy as np

    a = _coefficients("minhash-a", BANDS * ROWS, 31)  # a·x + c stays below 2**63 for 32-bit x
    c = _coefficients("minhash-c", BANDS * ROWS, 31)
    mix = _coefficients("band-mix", ROWS + 1, 64)
    return a, c, mix, np.arange(BANDS, dtype=np.uint64) * mix[ROWS], np.uint64((1 << 61) - 1)


def _trigrams(key: str) -> set[str]:
    return {key[i : i + 3] for i in range(len(key) - 2)} if len(key) > 2 else {key}


def _signed(values: Iterable[int]) -> list[int]:
    """As SQLite INTEGERs (signed 64-bit)."""
    return [v - (1 << 64) if v >= 1 << 63 else v for v in values]


def title_keys(title_key: str) -> list[int]:
    """LSH band keys of a normalised title (none for an empty one: it links by facts only)."""
    if not title_key:
        return []
    import numpy as np  # here, not at import: see _hashing

    a, c, mix, salt, prime = _hashing()
    x = np.fromiter((zlib.crc32(g.encode("utf-8", "surrogatepass"))
                     for g in _trigrams(title_key)), dtype=np.uint64)
    mins = ((x[:, None] * a[None, :] + c[None, :]) % prime).min(axis=0)
    # uint64 arithmetic wraps: a cheap, well-mixed hash of (band number, its ROWS minima).
    band = (mins.reshape(BANDS, ROWS) * mix[:ROWS]).sum(axis=1) + salt
    return [int(v) for v in band.view(np.int64)]


def fact_keys(facts: Mapping[str, Sequence[str]]) -> list[int]:
    return _signed(
        int.from_bytes(hashlib.blake2b(f"{k}\x1f{v}".encode(), digest_size=8).digest(), "big")
        for k, v in sorted(_facts(facts)))


def story_keys(title_key: str, facts: Mapping[str, Sequence[str]]) -> list[int]:
    """Index keys under which an item is stored and its story candidates are looked up."""
    return sorted(set(title_keys(title_key)) | set(fact_keys(facts)))


@lru_cache(maxsize=4096)  # the same candidates recur for every report of a busy story
def _bigrams(key: str) -> frozenset[str]:
    return frozenset({key[i : i + 2] for i in range(len(key) - 1)} if len(key) > 1 else {key})


def similarity(a: str, b: str) -> float:
    if not a or not b:
        return 0.0
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y)


def links_by_facts(facts: Mapping[str, Sequence[str]]) -> bool:
    """Whether these facts can link a story (else only the title can)."""
    return bool(_facts(facts))


def _facts(data: Mapping[str, Sequence[str]]) -> set[tuple[str, str]]:
    return {(k, str(v).casefold()) for k in _LINKING_FACTS for v in data.get(k, [])}


def assign_story(
    title_key: str,
    facts: Mapping[str, Sequence[str]],
    recent: Iterable[tuple[str, str, str, Mapping[str, Sequence[str]]]],
) -> str | None:
    """Story id of the best-matching recent item (id, story_id, title_key, facts), or None."""
    mine = _facts(facts)
    grams = _bigrams(title_key) if title_key else frozenset()
    n = len(grams)
    best: tuple[float, str] | None = None
    for _item_id, story_id, other_key, other_facts in recent:
        score = 0.0
        if n and other_key:
            other = _bigrams(other_key)
            m = len(other)
            # Jaccard >= SIMILARITY needs comparable sizes: skip the set work otherwise.
            if SIMILARITY * n <= m <= n / SIMILARITY:
                common = len(grams & other)
                score = common / (n + m - common)
        if mine and mine & _facts(other_facts):
            score = max(score, 1.0)
        if score >= SIMILARITY and (best is None or score > best[0]):
            best = (score, story_id)
    return best[1] if best else None
