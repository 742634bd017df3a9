"""The watch-rule query language, parsed with lark into a small immutable tree.

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

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from monitor.rules import terms

_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (OR and_expr)*
?and_expr: not_expr (AND? not_expr)*
?not_expr: NOT not_expr -> negation
         | atom
?atom: PHRASE -> phrase
     | WORD -> word
     | "(" or_expr ")"

OR.3: /OR(?![^\s()"])/
AND.3: /AND(?![^\s()"])/
NOT.3: /NOT(?![^\s()"])/
PHRASE.2: /"(?:[^"]|"")*"/
WORD: /[^\s()"]+/
%import common.WS
%ignore WS
"""

# The basic lexer makes AND/OR/NOT operators everywhere ("OR a" is an error, not a word);
# quote them ("OR") to search for the word itself.


@lru_cache(maxsize=1)
def _parser() -> Lark:
    """Built at the first query: a config without `query:` rules never pays for it."""
    return Lark(_GRAMMAR, parser="lalr", lexer="basic", maybe_placeholders=False)


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


class _ToTree(Transformer[Token, Node]):
    def word(self, children: list[Token]) -> Node:
        return Term(str(children[0]))

    def phrase(self, children: list[Token]) -> Node:
        return Term(str(children[0])[1:-1].replace('""', '"'))

    def negation(self, children: list[Token | Node]) -> Node:
        return Not(_node(children[-1]))

    def and_expr(self, children: list[Token | Node]) -> Node:
        return And(tuple(_node(c) for c in children if not isinstance(c, Token)))

    def or_expr(self, children: list[Token | Node]) -> Node:
        return Or(tuple(_node(c) for c in children if not isinstance(c, Token)))


def _node(value: object) -> Node:
    assert isinstance(value, (Term, Not, And, Or))
    return value


def _early_end(query: str) -> str:
    if query.count("(") > query.count(")"):
        return "missing ')'"
    return "the query ends too early (an operator needs a term after it)"


def _problem(err: UnexpectedInput, query: str) -> tuple[int, str]:
    if isinstance(err, UnexpectedEOF):
        return len(query.rstrip()) + 1, _early_end(query)
    pos = int(getattr(err, "pos_in_stream", 0) or 0)
    if isinstance(err, UnexpectedCharacters):
        char = query[pos] if pos < len(query) else ""
        if char == '"':
            return pos + 1, "unclosed quote"
        return pos + 1, f"unexpected {char!r}"
    token = getattr(err, "token", None)
    if token is not None and getattr(token, "type", "") == "$END":
        return len(query.rstrip()) + 1, _early_end(query)
    text = str(token) if token is not None else "?"
    if text == ")" and query.count(")") > query.count("("):
        return pos + 1, "')' without a matching '('"
    return pos + 1, f"unexpected {text!r}"


@lru_cache(maxsize=512)
def parse(query: str) -> Node:
    """Parse `query`; raise QuerySyntaxError naming the position of the problem."""
    if not query.strip():
        raise QuerySyntaxError(query, 1, "empty query")
    try:
        tree = _parser().parse(query)
    except UnexpectedInput as e:
        pos, problem = _problem(e, query)
        raise QuerySyntaxError(query, pos, problem) from None
    node = _node(_ToTree().transform(tree)) if not isinstance(tree, Token) else _leaf(tree)
    for t in iter_terms(node):
        if not t.text.strip():
            raise QuerySyntaxError(query, query.find('""') + 1, "empty phrase")
    return node


def _leaf(token: Token) -> Node:
    # A query of one bare term: lark's `?` rules hand back the token itself.
    return _ToTree().word([token]) if token.type == "WORD" else _ToTree().phrase([token])


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
