"""The query grammar (lark): text to a `rules.query` tree, or a QuerySyntaxError.

Its own module so that lark is imported only when a watch rule has a query.
"""

from __future__ import annotations

from functools import lru_cache

from lark import Lark, Token, Transformer, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from monitor.rules.query import And, Node, Not, Or, QuerySyntaxError, Term

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
    return Lark(_GRAMMAR, parser="lalr", lexer="basic", maybe_placeholders=False)


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


def parse_tree(query: str) -> Node:
    """The tree of a non-empty `query`; QuerySyntaxError naming the problem's position."""
    try:
        tree = _parser().parse(query)
    except UnexpectedInput as e:
        pos, problem = _problem(e, query)
        raise QuerySyntaxError(query, pos, problem) from None
    return _node(_ToTree().transform(tree)) if not isinstance(tree, Token) else _leaf(tree)


def _leaf(token: Token) -> Node:
    # A query of one bare term: lark's `?` rules hand back the token itself.
    return _ToTree().word([token]) if token.type == "WORD" else _ToTree().phrase([token])
