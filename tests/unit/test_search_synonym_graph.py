"""OpenSearch synonyms at query time: the managed list compiled into a ``synonym_graph`` filter of the
search-time analysers, and the DSL that uses them (multi-word terms, one-way and two-way rules)."""

from __future__ import annotations

import json
from typing import Any

from indexer.analysis import Analysis
from indexer.compile_os import index_settings, to_opensearch
from indexer.compile_synonyms import (
    NEUTRAL_RULE,
    SYNONYM_ANALYZER,
    SYNONYM_FILTER,
    SynonymGraph,
    parse_rules,
    settings_update,
    synonym_analyzer,
    synonym_lines,
)
from indexer.query import PortalQuery

RULES = ["hoodie, sweatshirt, hooded sweatshirt", "beverage => juice, wine", "light fitting => lamp"]
EN_DE = Analysis(("en", "de"))


def _walk(node: Any) -> list[dict[str, Any]]:
    """Every multi_match clause of a DSL tree."""
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "multi_match" in node:
            out.append(node["multi_match"])
        for value in node.values():
            out.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(_walk(value))
    return out


def test_rules_compile_to_a_search_time_synonym_graph_filter() -> None:
    lines = synonym_lines(parse_rules([*RULES, "not a rule"]))
    assert lines == RULES  # written as stored: Solr format, multi-word terms and "=>" kept
    analysis = index_settings(analysis=EN_DE, synonyms=lines)["analysis"]
    assert analysis["filter"][SYNONYM_FILTER] == {"type": "synonym_graph", "synonyms": RULES, "lenient": True}
    assert analysis["analyzer"][SYNONYM_ANALYZER]["filter"] == ["lowercase", "asciifolding", SYNONYM_FILTER]
    # Stems before the graph: the rules are analysed by the same chain, so plurals find their rule.
    assert analysis["analyzer"][synonym_analyzer("de")]["filter"] == [
        "lowercase",
        "portal_stem_de",
        "asciifolding",
        SYNONYM_FILTER,
    ]
    # The index analysers never carry synonyms (they apply at query time only).
    assert all(
        SYNONYM_FILTER not in a["filter"] for n, a in analysis["analyzer"].items() if "synonyms" not in n
    )
    assert SYNONYM_FILTER not in index_settings(analysis=EN_DE)["analysis"]["filter"]


def test_an_empty_list_still_defines_the_filter_and_updates_replace_it() -> None:
    assert synonym_lines([]) == [NEUTRAL_RULE]
    assert settings_update(["mug, cup"]) == {
        "analysis": {
            "filter": {SYNONYM_FILTER: {"type": "synonym_graph", "synonyms": ["mug, cup"], "lenient": True}}
        }
    }


def test_multi_word_terms_group_query_words_longest_first() -> None:
    graph = SynonymGraph.of_lines([*RULES, "hooded sweatshirt zip => zipper hoodie"])
    assert graph.phrases == {
        "hooded sweatshirt",
        "light fitting",
        "hooded sweatshirt zip",
    }  # not "zipper hoodie"
    assert graph.units(["blue", "hooded", "sweatshirt", "zip"]) == [
        ("blue",),
        ("hooded", "sweatshirt", "zip"),
    ]
    assert graph.units(["light", "fitting", "hooded"]) == [("light", "fitting"), ("hooded",)]


def test_with_the_graph_words_use_the_synonym_analysers_instead_of_alternatives() -> None:
    q = PortalQuery(text="sweatshirt", synonyms={"sweatshirt": ("hoodie",)}, now=0.0, facets=())
    body = to_opensearch(q, analysis=EN_DE, synonym_graph=SynonymGraph.of_lines(RULES))
    clauses = _walk(body["query"])
    assert "hoodie" not in json.dumps(body)  # the index knows the list; no alternatives in the query
    analysed = {c["analyzer"]: c for c in clauses if "analyzer" in c}
    assert set(analysed) == {SYNONYM_ANALYZER, synonym_analyzer("en"), synonym_analyzer("de")}
    assert analysed[SYNONYM_ANALYZER]["query"] == "sweatshirt"
    assert "title^3" in analysed[SYNONYM_ANALYZER]["fields"]  # ranked like an alternative: exact weight
    assert "title.de^1.8" in analysed[synonym_analyzer("de")]["fields"]  # stems: stem weight
    # The plain exact and stemmed clauses stay, so an exact word outranks what only a synonym finds.
    plain = [c for c in clauses if "analyzer" not in c and c.get("operator") == "and"]
    assert {c["query"] for c in plain} == {"sweatshirt"} and len(plain) == 3


def test_without_the_graph_synonyms_stay_per_word_alternatives() -> None:
    q = PortalQuery(text="sweatshirt", synonyms={"sweatshirt": ("hoodie",)}, now=0.0, facets=())
    clauses = _walk(to_opensearch(q, analysis=EN_DE)["query"])
    assert {c["query"] for c in clauses if c.get("operator") == "and"} == {"sweatshirt", "hoodie"}
    assert not any("analyzer" in c for c in clauses)


def test_a_multi_word_term_is_one_unit_its_words_or_its_synonyms() -> None:
    q = PortalQuery(text="blue hooded sweatshirt", now=0.0, facets=())
    body = to_opensearch(q, analysis=Analysis(("en",)), synonym_graph=SynonymGraph.of_lines(RULES))
    units = body["query"]["bool"]["must"][0]["bool"]["should"][0]["bool"]["must"]
    assert len(units) == 2  # "blue" and "hooded sweatshirt"
    phrase = units[1]["bool"]["should"]
    words = [c["query"] for c in _walk(phrase[0]) if "analyzer" not in c and c.get("operator") == "and"]
    assert set(words) == {"hooded", "sweatshirt"}  # every word as usual...
    assert [(c["analyzer"], c["query"]) for c in (p["multi_match"] for p in phrase[1:])] == [
        (SYNONYM_ANALYZER, "hooded sweatshirt"),  # ...or the whole term through the graph
        (synonym_analyzer("en"), "hooded sweatshirt"),
    ]


def test_relaxed_matching_counts_units() -> None:
    q = PortalQuery(text="light fitting brass white", now=0.0, facets=(), relaxed=True)
    body = to_opensearch(q, analysis=Analysis(("en",)), synonym_graph=SynonymGraph.of_lines(RULES))
    relaxed = body["query"]["bool"]["must"][0]["bool"]["should"][0]["bool"]
    assert len(relaxed["should"]) == 3 and relaxed["minimum_should_match"] == 2
