"""The text half of the OpenSearch compiler: analysers and the words query, from ``indexer.analysis``.

The same rules as the embedded engine: per query word, exact words outrank stems (per configured language),
which outrank the last word as a prefix, which outranks typos (``fuzziness`` ``AUTO:4,8`` = edit distance
1 for 4-7 letters, 2 from 8; never on words with digits or on article-number fields); synonyms from the
managed list are alternatives of their word; all words must match, or most of them when the query is
``relaxed`` (the engine retries so when all words find too little); an article-number fragment matches the
separator- and case-insensitive ``.norm`` sub-fields by prefix, the exact number ranking first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from indexer.analysis import (
    ARTICLE_PREFIX_BOOST,
    COORD_BOOST,
    EXACT_WEIGHT,
    FUZZY_WEIGHT,
    PREFIX_MIN,
    PREFIX_WEIGHT,
    STEM_WEIGHT,
    STEMMERS,
    Analysis,
    article_fragment,
    fuzzy_distance,
    min_should_match,
)
from indexer.compile_synonyms import SynonymGraph, synonym_analysis, synonym_analyzer
from indexer.schema import ARTICLE_FIELDS, EXACT_ARTICLE_BOOST, KEYWORD_FIELDS, TEXT_FIELDS, TOKEN_PATTERN

ANALYZER = "portal_text"
ARTICLE_NORMALIZER = "portal_article"
# Keyword fields that are also searched as words, through a ``.text`` sub-field.
TEXT_SUBFIELD = frozenset(name for name, _ in TEXT_FIELDS if name in KEYWORD_FIELDS)
FUZZY = "AUTO:4,8"
# English and German plural endings, longest first (see ``synonyms_of``).
PLURAL_ENDINGS = ("es", "en", "s", "e", "n")
_WORD = re.compile(r"[^\W_]+")


def query_words(text: str) -> list[str]:
    """The distinct exact words of a text as the ``portal_text`` analyser makes them."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return list(dict.fromkeys(_WORD.findall(folded)))


def exact_path(name: str) -> str:
    """The field searched for exact words of a text field."""
    return f"{name}.text" if name in TEXT_SUBFIELD else name


def text_fields(kind_weight: float = EXACT_WEIGHT, *, language: str | None = None) -> list[str]:
    """``multi_match`` fields with boosts: exact words (``title^3``) or a language's stems (``title.en``)."""
    out = []
    for name, boost in TEXT_FIELDS:
        path = f"{name}.{language}" if language else exact_path(name)
        out.append(f"{path}^{boost * kind_weight:g}")
    return out


def _match(words: str, fields: list[str], **extra: Any) -> dict[str, Any]:
    return {"multi_match": {"query": words, "type": "most_fields", "fields": fields, **extra}}


def _synonym_clauses(phrase: str, analysis: Analysis) -> list[dict[str, Any]]:
    """The words of ``phrase`` through the index's synonym graph (exact words and stems), ranked like an
    alternative of the per-word fallback."""
    out = [_match(phrase, text_fields(), operator="and", analyzer=synonym_analyzer())]
    for lang in analysis.languages:
        fields = text_fields(STEM_WEIGHT, language=lang)
        out.append(_match(phrase, fields, operator="and", analyzer=synonym_analyzer(lang)))
    return out


def _word_clause(
    word: str, last: bool, alternatives: Sequence[str], analysis: Analysis, graph: bool = False
) -> dict[str, Any]:
    shoulds: list[dict[str, Any]] = []
    for phrase in (word, *alternatives):
        shoulds.append(_match(phrase, text_fields(), operator="and"))
        for lang in analysis.languages:
            shoulds.append(_match(phrase, text_fields(STEM_WEIGHT, language=lang), operator="and"))
    if graph:
        shoulds.extend(_synonym_clauses(word, analysis))
    if last and len(word) >= PREFIX_MIN:
        shoulds.append(
            {"multi_match": {"query": word, "type": "bool_prefix", "fields": text_fields(PREFIX_WEIGHT)}}
        )
    if fuzzy_distance(word):
        fields = [f for f in text_fields(FUZZY_WEIGHT) if f.split(".")[0].split("^")[0] not in ARTICLE_FIELDS]
        shoulds.append(_match(word, fields, fuzziness=FUZZY, max_expansions=64, prefix_length=0))
    return {"bool": {"should": shoulds, "minimum_should_match": 1}}


def synonyms_of(word: str, synonyms: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """The alternatives of a word: its own rule, else the rule of the word without a plural ending (the
    embedded engine compares stems; OpenSearch analyses synonyms only at query time, so this stands in)."""
    if word in synonyms:
        return tuple(synonyms[word])
    for ending in PLURAL_ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 2 and word[: -len(ending)] in synonyms:
            return tuple(synonyms[word[: -len(ending)]])
    return ()


def _unit_clauses(words: list[str], analysis: Analysis, graph: SynonymGraph) -> list[dict[str, Any]]:
    """Per unit of the query (a word, or a multi-word synonym term) its clause, synonyms from the index."""
    units = graph.units(words)
    clauses = []
    for number, unit in enumerate(units):
        last = number == len(units) - 1
        if len(unit) == 1:
            clauses.append(_word_clause(unit[0], last, (), analysis, graph=True))
            continue
        # A multi-word term: its words as usual (all of them), or what the term stands for.
        each = [_word_clause(w, last and i == len(unit) - 1, (), analysis) for i, w in enumerate(unit)]
        shoulds = [{"bool": {"must": each}}, *_synonym_clauses(" ".join(unit), analysis)]
        clauses.append({"bool": {"should": shoulds, "minimum_should_match": 1}})
    return clauses


def text_query(
    text: str,
    synonyms: Mapping[str, Sequence[str]],
    relaxed: bool,
    analysis: Analysis,
    graph: SynonymGraph | None = None,
) -> dict[str, Any] | None:
    """The query clause of a text: its words (all, or most when ``relaxed``) or an article-number fragment.

    ``graph``: the index applies the synonym list at query time (``indexer.compile_synonyms``), so
    ``synonyms`` is not needed; without it, each word's synonyms from ``synonyms`` are its alternatives.
    """
    words = query_words(text)
    if graph is not None:
        clauses = _unit_clauses(words, analysis, graph)
    else:
        clauses = [
            _word_clause(word, i == len(words) - 1, synonyms_of(word, synonyms), analysis)
            for i, word in enumerate(words)
        ]
    options: list[dict[str, Any]] = []
    if clauses and (not relaxed or len(clauses) < 2):
        options.append({"bool": {"must": clauses}})
    elif clauses:
        coord = [
            {"bool": {"should": [{"constant_score": {"filter": c, "boost": COORD_BOOST}}, c]}}
            for c in clauses
        ]
        options.append({"bool": {"should": coord, "minimum_should_match": min_should_match(len(clauses))}})
    fragment = article_fragment(text)
    if fragment:
        norm = [f"{name}.norm" for name in ARTICLE_FIELDS]
        prefix = {"bool": {"should": [{"prefix": {f: fragment}} for f in norm], "minimum_should_match": 1}}
        exact = {"bool": {"should": [{"term": {f: fragment}} for f in norm], "minimum_should_match": 1}}
        options.append({"constant_score": {"filter": prefix, "boost": ARTICLE_PREFIX_BOOST}})
        options.append({"constant_score": {"filter": exact, "boost": EXACT_ARTICLE_BOOST}})
    if not options:
        return None
    return {"bool": {"should": options, "minimum_should_match": 1}}


def analysis_settings(analysis: Analysis, synonyms: Sequence[str] | None = None) -> dict[str, Any]:
    """The ``analysis`` index settings: exact words, stems per language, the article-number normalizer, and
    with ``synonyms`` (the list's lines, see ``indexer.compile_synonyms``) the search-time synonym graph."""
    analyzers: dict[str, Any] = {
        ANALYZER: {"type": "custom", "tokenizer": "portal_words", "filter": ["lowercase", "asciifolding"]}
    }
    filters: dict[str, Any] = {}
    for lang in analysis.languages:
        filters[f"portal_stem_{lang}"] = {"type": "snowball", "language": STEMMERS[lang]}
        analyzers[f"{ANALYZER}_{lang}"] = {
            "type": "custom",
            "tokenizer": "portal_words",
            "filter": ["lowercase", f"portal_stem_{lang}", "asciifolding"],
        }
    out: dict[str, Any] = {
        "tokenizer": {"portal_words": {"type": "pattern", "pattern": TOKEN_PATTERN, "group": 0}},
        "char_filter": {
            "portal_separators": {"type": "pattern_replace", "pattern": r"[^\p{L}\p{N}]+", "replacement": ""}
        },
        "normalizer": {
            ARTICLE_NORMALIZER: {
                "type": "custom",
                "char_filter": ["portal_separators"],
                "filter": ["lowercase", "asciifolding"],
            }
        },
        "filter": filters,
        "analyzer": analyzers,
    }
    if synonyms is not None:
        extra = synonym_analysis(synonyms, analysis)
        out["filter"].update(extra["filter"])
        out["analyzer"].update(extra["analyzer"])
    return out


def text_mapping(name: str, analysis: Analysis, keyword: bool) -> dict[str, Any]:
    """The mapping of a searched field: exact words plus one stemmed sub-field per language."""
    stems = {lang: {"type": "text", "analyzer": f"{ANALYZER}_{lang}"} for lang in analysis.languages}
    if keyword:
        sub: dict[str, Any] = {"text": {"type": "text", "analyzer": ANALYZER}, **stems}
        if name in ARTICLE_FIELDS:
            sub["norm"] = {"type": "keyword", "normalizer": ARTICLE_NORMALIZER}
        return {"type": "keyword", "fields": sub}
    return {"type": "text", "analyzer": ANALYZER, "fields": stems}
