"""The shared analysis rules and the OpenSearch DSL compiled from them (no cluster): stems per language,
typo distances, prefixes, article-number normalisation, most-words fallback, synonyms."""

from __future__ import annotations

from typing import Any

import pytest

from indexer.analysis import (
    ARTICLE_PREFIX_BOOST,
    Analysis,
    article_fragment,
    fuzzy_distance,
    min_should_match,
    normalize_article,
    within_distance,
)
from indexer.compile_os import index_mapping, index_settings, to_opensearch
from indexer.compile_text import query_words, synonyms_of, text_query
from indexer.query import PortalQuery
from indexer.schema import EXACT_ARTICLE_BOOST
from indexer.synonyms import default_expansions, expansions, parse_rule

EN_DE = Analysis(("en", "de"))


def _word_clauses(body: dict[str, Any]) -> list[dict[str, Any]]:
    words = body["query"]["bool"]["must"][0]["bool"]["should"][0]["bool"]
    return list(words.get("must") or words["should"])


def _kinds(clause: dict[str, Any]) -> list[dict[str, Any]]:
    return [c["multi_match"] for c in clause["bool"]["should"]]


@pytest.mark.parametrize("text", ["ab 1234 56", "ab123456", "AB-1234.56", "Ab.1234/56", "ÅB 123456"])
def test_article_numbers_normalise_to_one_form(text: str) -> None:
    assert normalize_article(text) == "ab123456"
    assert article_fragment(text) == "ab123456"


def test_article_fragments_need_a_digit_and_three_characters() -> None:
    assert article_fragment("hoodie") is None
    assert article_fragment("a1") is None
    assert article_fragment("AB-12") == "ab12"


@pytest.mark.parametrize(
    ("word", "distance"),
    [("cat", 0), ("hoodie", 1), ("hodie", 1), ("pineapple", 2), ("sweatshir", 2), ("12345", 0)],
)
def test_typo_distance_by_length_never_on_numbers(word: str, distance: int) -> None:
    assert fuzzy_distance(word) == distance


def test_edit_distance_counts_a_transposition_once() -> None:
    assert within_distance("mustrad", "mustard", 1)
    assert within_distance("pinapple", "pineapple", 1)
    assert not within_distance("hodie", "hoodies", 1)
    assert within_distance("hodie", "hoodies", 2)


def test_most_words() -> None:
    assert [min_should_match(n) for n in (1, 2, 3, 4, 6)] == [1, 1, 2, 3, 4]


def test_languages_are_validated() -> None:
    assert Analysis.parse("en, DE").languages == ("en", "de")
    assert Analysis.parse("").languages == ("en",)
    with pytest.raises(ValueError, match="unsupported"):
        Analysis.parse("en,xx")


def test_analysers_are_compiled_per_language() -> None:
    analysis = index_settings(analysis=EN_DE)["analysis"]
    assert analysis["filter"]["portal_stem_de"] == {"type": "snowball", "language": "German"}
    assert analysis["analyzer"]["portal_text_de"]["filter"] == ["lowercase", "portal_stem_de", "asciifolding"]
    assert analysis["analyzer"]["portal_text"]["filter"] == ["lowercase", "asciifolding"]
    assert analysis["normalizer"]["portal_article"]["char_filter"] == ["portal_separators"]
    props = index_mapping(analysis=EN_DE)["properties"]
    assert props["title"]["fields"]["de"] == {"type": "text", "analyzer": "portal_text_de"}
    assert props["article_numbers"]["fields"]["norm"] == {"type": "keyword", "normalizer": "portal_article"}
    assert props["attr_text"]["fields"]["en"]["analyzer"] == "portal_text_en"


def test_exact_words_outweigh_stems_prefixes_and_typos() -> None:
    body = to_opensearch(PortalQuery(text="black hoodies", now=0.0), analysis=EN_DE)
    first, last = _word_clauses(body)
    kinds = _kinds(first)
    assert [k["fields"][0] for k in kinds] == ["title^3", "title.en^1.8", "title.de^1.8", "title^0.75"]
    assert kinds[-1]["fuzziness"] == "AUTO:4,8"
    assert not [k for k in _kinds(first) if k["type"] == "bool_prefix"]  # only the last word is a prefix
    assert next(k for k in _kinds(last) if k["type"] == "bool_prefix")["query"] == "hoodies"


def test_no_typos_on_article_fields_numbers_or_short_words() -> None:
    clause = _word_clauses(to_opensearch(PortalQuery(text="pineapple", now=0.0)))[0]
    fuzzy = next(k for k in _kinds(clause) if "fuzziness" in k)
    assert not [f for f in fuzzy["fields"] if f.startswith(("article_numbers", "model_codes"))]
    for text in ("cat", "12345678"):
        clause = _word_clauses(to_opensearch(PortalQuery(text=text, now=0.0)))[0]
        assert not [k for k in _kinds(clause) if "fuzziness" in k]


def test_article_fragment_prefix_and_exact_boosts() -> None:
    options = to_opensearch(PortalQuery(text="AB-12", now=0.0))["query"]["bool"]["must"][0]["bool"]["should"]
    prefix, exact = options[-2]["constant_score"], options[-1]["constant_score"]
    assert prefix["boost"] == ARTICLE_PREFIX_BOOST and exact["boost"] == EXACT_ARTICLE_BOOST
    assert {"prefix": {"article_numbers.norm": "ab12"}} in prefix["filter"]["bool"]["should"]
    assert {"term": {"model_codes.norm": "ab12"}} in exact["filter"]["bool"]["should"]


def test_relaxed_queries_need_most_words_and_rank_by_how_many() -> None:
    strict = to_opensearch(PortalQuery(text="nebula paint bucket", now=0.0))
    assert len(strict["query"]["bool"]["must"][0]["bool"]["should"][0]["bool"]["must"]) == 3
    relaxed = to_opensearch(PortalQuery(text="nebula paint bucket", relaxed=True, now=0.0))
    words = relaxed["query"]["bool"]["must"][0]["bool"]["should"][0]["bool"]
    assert words["minimum_should_match"] == 2
    assert words["should"][0]["bool"]["should"][0]["constant_score"]["boost"] == 100.0


def test_relaxing_never_touches_the_permission_filter() -> None:
    for relaxed in (False, True):
        body = to_opensearch(PortalQuery(text="a b c", viewer_role=None, relaxed=relaxed, now=0.0))
        assert {"terms": {"visibility": ["public"]}} in body["query"]["bool"]["filter"]


def test_synonyms_are_alternatives_of_their_word() -> None:
    q = PortalQuery(text="sweatshirt", synonyms={"sweatshirt": ("hoodie", "hooded top")}, now=0.0)
    queries = [k["query"] for k in _kinds(_word_clauses(to_opensearch(q))[0])]
    assert "hoodie" in queries and "hooded top" in queries


def test_no_words_matches_nothing() -> None:
    assert text_query("!!!", {}, False, EN_DE) is None
    assert to_opensearch(PortalQuery(text="!!!", now=0.0))["query"]["bool"]["must"] == [{"match_none": {}}]
    assert query_words("Café CAFÉ crème") == ["cafe", "creme"]


def test_synonym_rules_parse_both_directions() -> None:
    two_way = parse_rule("Hoodie, sweatshirt , hooded sweatshirt")
    assert two_way.terms == ("hoodie", "sweatshirt", "hooded sweatshirt") and not two_way.one_way
    one_way = parse_rule("beverage => juice, wine")
    assert one_way.one_way and one_way.text() == "beverage => juice, wine"
    table = expansions([two_way, one_way])
    assert table["hoodie"] == ("sweatshirt", "hooded sweatshirt")
    assert table["beverage"] == ("juice", "wine") and "juice" not in table
    for bad in ("lonely", "a => ", "a => b => c", ", ,"):
        with pytest.raises(ValueError):
            parse_rule(bad)
    assert "saft" in default_expansions()


def test_plural_words_find_their_singular_rule_in_the_dsl() -> None:
    table = {"sneaker": ("plimsoll",), "saft": ("juice",), "bus": ("coach",)}
    assert synonyms_of("sneakers", table) == ("plimsoll",)
    assert synonyms_of("safte", table) == ("juice",)  # "Säfte", folded
    assert synonyms_of("bus", table) == ("coach",)
    assert synonyms_of("us", table) == ()
