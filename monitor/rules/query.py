"""The watch-rule query language: a small immutable tree, parsed by `rules.grammar`.

Pure: no IO.  Syntax (operators in capitals, like most search engines):

    (輸出管理 OR "export control") AND (semiconductor OR 半導体) AND NOT tariff

- `AND`, `OR`, `NOT` and parentheses; NOT binds tightest, then AND, then OR.
- Bare terms side by side mean AND: `gallium germanium` = `gallium AND germanium`.
- "Quoted phrases" are one term, words in that order; a quote inside a
  phrase is written as two quotes ("").
- Lower-case `and`/`or`/`not` are ordinary words.
Each term matches text as `monitor.rules.terms` describes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from monitor.rules import terms


class QuerySyntaxError(ValueError):
    """A query that does not parse; `position` is the 1-based character where it fails."""

    def __init__(self, query: str, position: int, problem: str) -> None:
        self.query, self.position, self.problem = query, position, problem
        before = query[:position - 1]
        line_no = before.count("\n") + 1
        line = query.splitlines()[line_no - 1] if query.strip() else query
        column = len(before) - (before.rfind("\n") + 1)
        # Chinese and Japanese characters are two columns wide in a terminal.
        pad = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:column])
        where = f"position {position}"
        if "\n" in query.strip():
            where += f" (line {line_no} of the query, column {column + 1})"
        super().__init__(f"bad query at {where}: {problem}\n    {line}\n    {' ' * pad}^")


@dataclass(frozen=True)
class Term:
    text: str


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Term | Not | And | Or


@lru_cache(maxsize=512)
def parse(query: str) -> Node:
    """Parse `query`; raise QuerySyntaxError naming the position of the problem."""
    if not query.strip():
        raise QuerySyntaxError(query, 1, "empty query")
    # lark loads with the first query: a config without `query:` rules never pays for it.
    from monitor.rules.grammar import parse_tree

    node = parse_tree(query)
    for t in iter_terms(node):
        if not t.text.strip():
            raise QuerySyntaxError(query, query.find('""') + 1, "empty phrase")
    return node


def iter_terms(node: Node) -> Iterator[Term]:
    if isinstance(node, Term):
        yield node
    elif isinstance(node, Not):
        yield from iter_terms(node.operand)
    else:
        for child in node.operands:
            yield from iter_terms(child)


def evaluate(node: Node, has: Callable[[str], bool]) -> bool:
    """Truth of `node` when `has(term)` says whether a term occurs."""
    if isinstance(node, Term):
        return has(node.text)
    if isinstance(node, Not):
        return not evaluate(node.operand, has)
    if isinstance(node, And):
        return all(evaluate(c, has) for c in node.operands)
    return any(evaluate(c, has) for c in node.operands)


def matches(query: str, title: str, text: str) -> bool:
    """Whether `query` holds for an item with this title and text."""
    haystack = terms.normalise(f"{title}\n{text}")
    return evaluate(parse(query), lambda term: terms.found(term, haystack))
