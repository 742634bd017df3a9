"""Find taxonomy cue phrases in text with three Aho-Corasick automata (pyahocorasick).

The matcher used to compile the phrases into trie-shaped regexes, and to find
which phrase contains which with one small regex per pair: about 11,000
compilations, 1-3 s at every start.  The automata build in milliseconds and
keep the regexes' semantics exactly (tests/classify/test_cues.py compares the
two on the eval and fixture texts):

* scanning left to right, at each start the longest phrase that fits wins, and
  matches never overlap (the regex's leftmost, greedy, backtracking order);
* Latin phrases match on lower-cased text between word boundaries and may take
  a plural/verb ending (``s es ed d ing``); all-capital acronyms (``US``, ``EU``)
  match case-sensitively on the original text; CJK phrases match anywhere.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

import ahocorasick

from monitor.classify.text import fold_cue

_SUFFIXES = ("s", "es", "ed", "d", "ing")
_LOWER_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_ANY_WORD = _LOWER_WORD | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class Hit(NamedTuple):
    """One cue occurrence.  A NamedTuple: frozen dataclasses are slow to build in bulk."""

    cue: str
    groups: tuple[str, ...]
    start: int


def upper_possible(text: str) -> bool:
    """Skip the upper-case pass for text without capitals (all-CJK, lower-case)."""
    return text != text.lower()


def _automaton(words: Iterable[str]) -> ahocorasick.Automaton | None:
    auto = ahocorasick.Automaton()
    for w in words:
        auto.add_word(w, (len(w), w))
    if len(auto) == 0:
        return None
    auto.make_automaton()
    return auto


def _starts(auto: ahocorasick.Automaton | None, s: str) -> dict[int, list[tuple[int, str]]]:
    """Every phrase occurrence, grouped by start offset (overlaps included)."""
    out: dict[int, list[tuple[int, str]]] = {}
    if auto is None:
        return out
    for end, (n, word) in auto.iter(s):
        out.setdefault(end - n + 1, []).append((n, word))
    return out


def _bounded(s: str, start: int, end: int, word: frozenset[str]) -> bool:
    return (start == 0 or s[start - 1] not in word) and (end >= len(s) or s[end] not in word)


def _longest_at(s: str, start: int, candidates: list[tuple[int, str]],
                word: frozenset[str] | None, suffixes: bool) -> tuple[str, int] | None:
    """(phrase, end) of the longest candidate that fits its boundaries at `start`."""
    for n, phrase in sorted(candidates, reverse=True):
        end = start + n
        if word is None or end >= len(s) or s[end] not in word:
            return phrase, end
        if suffixes:
            suffix = next((x for x in _SUFFIXES if s.startswith(x, end)), None)
            if suffix is not None and _bounded(s, start, end + len(suffix), word):
                return phrase, end + len(suffix)
    return None


def _scan(auto: ahocorasick.Automaton | None, s: str, word: frozenset[str] | None,
          suffixes: bool) -> list[tuple[str, int]]:
    """Leftmost, longest-first, non-overlapping matches as (phrase, start).

    `word` is the set of word characters for the boundary checks (None: no
    boundaries); `suffixes` lets a phrase end in one of _SUFFIXES.
    """
    found = _starts(auto, s)
    out: list[tuple[str, int]] = []
    pos = 0
    for start in sorted(found):
        if start < pos or (word is not None and start > 0 and s[start - 1] in word):
            continue
        match = _longest_at(s, start, found[start], word, suffixes)
        if match is not None:
            out.append((match[0], start))
            pos = match[1]
    return out


def _inherit(owners: dict[str, set[str]], keys: list[str]) -> None:
    """A phrase inside a longer one lends it its groups ("export ban" inside "chip export ban").

    Same rule and order as the pairwise version it replaces: an ASCII phrase
    starting with a letter or digit must sit between word boundaries, an
    all-capital one must appear in the original case, and phrases are visited
    in sorted order (so a shorter phrase sorted earlier passes on what it has
    already inherited).
    """
    lowered: dict[str, list[str]] = {}
    for k in keys:
        lowered.setdefault(k.lower(), []).append(k)
    auto = _automaton(lowered)
    if auto is None:
        return
    for long in keys:
        low = long.lower()
        contained: set[str] = set()
        for end, (n, short_low) in auto.iter(low):
            if short_low == low:
                continue
            start = end - n + 1
            bounded = not (short_low.isascii() and short_low[:1].isalnum()) or _bounded(
                low, start, end + 1, _LOWER_WORD)
            for short in lowered[short_low]:
                if short in contained or len(short) >= len(long) or not bounded:
                    continue
                if short.isupper() and short not in long:
                    continue
                contained.add(short)
        for short in contained:
            owners[long] |= owners[short]


class CueMatcher:
    """Maps a text to the cue phrases (and their groups) it contains."""

    def __init__(self, groups: dict[str, list[str]]) -> None:
        owners: dict[str, set[str]] = {}
        for group, cues in groups.items():
            for cue in cues:
                # Japanese text is not folded to simplified Chinese, so keep both spellings.
                for c in {fold_cue(cue), unicodedata.normalize("NFKC", cue).strip()}:
                    key = c if (c.isupper() and c.isascii()) else c.lower()
                    owners.setdefault(key, set()).add(group)
        keys = sorted(owners)
        _inherit(owners, keys)
        self.owners = {k: tuple(sorted(v)) for k, v in owners.items()}
        upper = [k for k in keys if k.isupper() and k.isascii()]
        lower = [k for k in keys if not (k.isupper() and k.isascii())]
        self._latin = _automaton(k for k in lower if k.isascii())
        self._cjk = _automaton(k for k in lower if not k.isascii())
        self._upper = _automaton(upper)

    def hits(self, text: str) -> list[Hit]:
        owners = self.owners
        low = text.lower()
        found = _scan(self._latin, low, _LOWER_WORD, suffixes=True)
        if not low.isascii():  # English items skip the CJK scan
            found += _scan(self._cjk, low, None, suffixes=False)
        if upper_possible(text):
            found += _scan(self._upper, text, _ANY_WORD, suffixes=False)
        out = [Hit(k, owners[k], start) for k, start in found]
        out.sort(key=lambda h: h.start)
        return out
