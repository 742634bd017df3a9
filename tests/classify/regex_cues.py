"""Reference only: the regex cue matcher that monitor/classify/cues.py replaced.

test_cues.py checks that the automaton matcher finds exactly what this one finds
(same Hit type).  Find taxonomy cue phrases in text in one regex pass.

Hundreds of phrases in a plain alternation would be tried one by one at every
character; compiling them into a prefix trie keeps matching linear and fast.
"""

from __future__ import annotations

import re
import unicodedata

from monitor.classify.cues import Hit, upper_possible
from monitor.classify.text import fold_cue

_SUFFIX = r"(?:s|es|ed|d|ing)?"
_ASCII = re.compile(r"^[\x00-\x7f]+$")


def _trie_regex(words: list[str]) -> str:
    """A regex matching exactly `words`, longest first, built from a prefix trie."""
    trie: dict[str, dict] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Greedy `?` prefers the longer phrase when a shorter one also ends here.
        return f"(?:{body})?" if ends else body

    return build(trie)


def _contains(long: str, short: str) -> bool:
    if long == short:
        return False
    if _ASCII.match(short) and short[:1].isalnum():
        return re.search(rf"(?<![a-z0-9]){re.escape(short)}(?![a-z0-9])", long) is not None
    return short in long


class CueMatcher:
    """Maps a text to the cue phrases (and their groups) it contains."""

    def __init__(self, groups: dict[str, list[str]]) -> None:
        owners: dict[str, set[str]] = {}
        for group, cues in groups.items():
            for cue in cues:
                # Japanese text is not folded to simplified Chinese, so keep both spellings.
                for c in {fold_cue(cue), unicodedata.normalize("NFKC", cue).strip()}:
                    key = c if (c.isupper() and _ASCII.match(c)) else c.lower()
                    owners.setdefault(key, set()).add(group)
        keys = sorted(owners)
        for long in keys:
            for short in keys:
                if len(short) < len(long) and _contains(long.lower(), short.lower()):
                    if short.isupper() and short not in long:
                        continue
                    owners[long] |= owners[short]
        self.owners = {k: tuple(sorted(v)) for k, v in owners.items()}
        lower = [k for k in keys if not (k.isupper() and _ASCII.match(k))]
        upper = [k for k in keys if k.isupper() and _ASCII.match(k)]
        # Matching on lower-cased text avoids re.IGNORECASE, which is several times slower,
        # and three separate patterns keep sre's prefix scan (one combined one is 10x slower).
        # Latin phrases need word boundaries and may take a plural/verb ending.
        latin = [k for k in lower if _ASCII.match(k)]
        cjk = [k for k in lower if not _ASCII.match(k)]
        never = r"(?!x)x"
        self._latin = re.compile(rf"(?<![a-z0-9])({_trie_regex(latin)}){_SUFFIX}(?![a-z0-9])"
                                 if latin else never)
        self._cjk = re.compile(f"({_trie_regex(cjk)})" if cjk else never)
        self._upper = re.compile(rf"(?<![A-Za-z0-9])({_trie_regex(upper)})(?![A-Za-z0-9])"
                                 if upper else never)

    def hits(self, text: str) -> list[Hit]:
        owners = self.owners
        low = text.lower()
        out = [Hit(k, owners[k], m.start()) for m in self._latin.finditer(low)
               for k in (m.group(1),)]
        if not low.isascii():  # English items skip the CJK scan, the slowest of the three
            out += [Hit(k, owners[k], m.start()) for m in self._cjk.finditer(low)
                    for k in (m.group(1),)]
        if upper_possible(text):
            out += [Hit(k, owners[k], m.start()) for m in self._upper.finditer(text)
                    for k in (m.group(1),)]
        out.sort(key=lambda h: h.start)
        return out
