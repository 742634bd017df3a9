"""How one watch term (a keyword, or a word or phrase of a query) matches text.

Pure: no IO.  The rules, written down once so keywords, queries, `exclude`
and `monitor search` agree:

- Text and term are NFKC-normalised and case-folded: "ＡＳＭＬ" = "asml".
- A term with Chinese or Japanese characters matches as a substring: those
  scripts have no spaces between words.
- A Latin-script term matches whole words only: "rare earth" does not match
  "rare earthenware"; a Chinese or Japanese character next to it is a word
  boundary ("ASML" matches "ASMLの装置").  Words of a phrase may be separated by any whitespace.
- Plurals (the stemming rule): when the term's last word is 3 or more letters
  long and ends in a letter, it also matches that word plus "s", "es" or "'s".
  "semiconductor" matches "semiconductors", "export control" matches "export
  controls", "gas" matches "gases".  Only suffixes are added, never removed,
  so write terms in the singular.  Two-letter words ("US", "EU") match
  exactly, so "US" never matches "uses".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from monitor.text import CJK as CJK_RANGES

_CJK_RANGES = CJK_RANGES
CJK = re.compile(f"[{_CJK_RANGES}]")
# A word character that is not CJK: Latin terms end at these, not at "の" ("ASMLの装置").
_LATIN_WORD = f"[^\\W{_CJK_RANGES}]"
_PLURAL = r"(?:'s|’s|es|s)?"
_STEMMABLE = re.compile(r"[^\W\d_]{3,}$")  # the last word: 3+ letters, ending in a letter


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def is_cjk(term: str) -> bool:
    return bool(CJK.search(term))


@lru_cache(maxsize=4096)
def pattern(term: str) -> re.Pattern[str]:
    """The compiled matcher of `term` for text passed through `normalise`."""
    norm = normalise(term.strip())
    if is_cjk(norm):
        return re.compile(re.escape(norm))
    words = norm.split()
    body = r"\s+".join(re.escape(w) for w in words)
    if words and _STEMMABLE.search(words[-1]):
        body += _PLURAL
    # \b fails next to punctuation inside a term ("u.s."): explicit look-arounds instead.
    return re.compile(f"(?<!{_LATIN_WORD}){body}(?!{_LATIN_WORD})")


def found(term: str, normalised_text: str) -> bool:
    """Whether `term` occurs in text already passed through `normalise`."""
    return pattern(term).search(normalised_text) is not None
