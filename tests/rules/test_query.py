"""The query language: precedence, phrases, term matching and errors with positions."""

from __future__ import annotations

import pytest

from monitor.rules.query import And, Not, Or, QuerySyntaxError, Term, matches, parse
from monitor.rules.terms import found, normalise

EXAMPLE = '(輸出管理 OR "export control") AND (semiconductor OR 半導体) AND NOT tariff'


def test_precedence_not_then_and_then_or() -> None:
    assert parse("a OR b c") == Or((Term("a"), And((Term("b"), Term("c")))))
    assert parse("a NOT b") == And((Term("a"), Not(Term("b"))))
    assert parse("(a OR b) AND c") == And((Or((Term("a"), Term("b"))), Term("c")))
    assert parse('"rare earth"') == Term("rare earth")
    assert parse('"say ""no"""') == Term('say "no"')


def test_operators_are_capitals_only() -> None:
    assert parse("ORANGE and ANDROID") == And((Term("ORANGE"), Term("and"), Term("ANDROID")))
    assert parse('"OR" b') == And((Term("OR"), Term("b")))


@pytest.mark.parametrize(("title", "expected"), [
    ("日本、半導体の輸出管理を強化", True),
    ("US tightens export controls on semiconductors", True),
    ("Export control on semiconductors and a new tariff", False),
    ("Semiconductor stocks rally", False),
])
def test_contract_example(title: str, expected: bool) -> None:
    assert matches(EXAMPLE, title, "") is expected


def test_stemming_rule_adds_plural_suffixes_only() -> None:
    text = normalise("Semiconductors, gases and the EU's rules; uses of chips")
    assert found("semiconductor", text) and found("gas", text) and found("chip", text)
    assert found("rule", text) and found("EU", text)
    assert not found("US", text)  # two letters: exact, so "uses" does not count
    assert not found("semiconductors", normalise("one semiconductor"))  # never removed
    assert not found("rare earth", normalise("rare earthenware"))
    assert found("export control", normalise("EXPORT\nCONTROLS"))


def test_cjk_is_substring_and_width_insensitive() -> None:
    assert found("稀土", normalise("中国加强稀土出口管制"))
    assert found("asml", normalise("ＡＳＭＬの装置"))


@pytest.mark.parametrize(("query", "position", "problem"), [
    ("(a OR b", 8, "missing ')'"),
    ("a)", 2, "')' without a matching '('"),
    ("a AND", 6, "ends too early"),
    ('gallium "rare earth', 9, "unclosed quote"),
    ("a AND OR b", 7, "unexpected 'OR'"),
    ("", 1, "empty query"),
])
def test_errors_name_the_position(query: str, position: int, problem: str) -> None:
    with pytest.raises(QuerySyntaxError) as e:
        parse(query)
    assert e.value.position == position
    assert problem in str(e.value)
    assert str(e.value).splitlines()[-1].index("^") == 4 + position - 1


def test_multi_line_query_error_shows_the_line_and_column() -> None:
    with pytest.raises(QuerySyntaxError) as e:
        parse('(輸出管理 OR "export control")\nAND (半導体 OR\n')
    message = str(e.value)
    assert "(line 2 of the query, column 12): missing ')'" in message
    assert message.splitlines()[1:] == ["    AND (半導体 OR", " " * 18 + "^"]
