"""The analysers of the embedded engine, built from ``indexer.analysis``: exact words, Snowball stems per
language, the postings keys of a document and the plan of a query."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import tantivy

from indexer.analysis import (
    ARTICLE_KEY_PREFIX,
    STEMMERS,
    Analysis,
    article_fragment,
    current,
    normalize_article,
    stem_key,
)
from indexer.engines.embedded_match import QueryWord, TextPlan
from indexer.schema import (
    ARTICLE_FIELDS,
    TEXT_FIELDS,
    TOKEN_PATTERN,
    is_facet_field,
    keyword_values,
    text_values,
)

TOKENIZER = "portal_text"


def analyzer() -> tantivy.TextAnalyzer:
    """The exact-word analyser shared by indexing and querying."""
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN_PATTERN))
    return builder.filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold()).build()


def stem_analyzer(language: str) -> tantivy.TextAnalyzer:
    """Words of a language reduced to their Snowball stems (stemmed before folding: "Häuser" -> "haus")."""
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN_PATTERN)).filter(
        tantivy.Filter.lowercase()
    )
    stemmer = tantivy.Filter.stemmer(STEMMERS[language].lower())
    return builder.filter(stemmer).filter(tantivy.Filter.ascii_fold()).build()


@dataclass(frozen=True)
class DocFields:
    """What the embedded engine reads from one search document, worked out once per document and shared by
    the tantivy document and the columns: text values per text field, distinct values per facet field, the
    normalised article numbers and model codes."""

    texts: dict[str, list[str]]
    keywords: dict[str, list[str]]
    articles: list[str]


def doc_fields(doc: Mapping[str, Any]) -> DocFields:
    """The ``DocFields`` of a (prepared) search document."""
    texts = {name: text_values(doc, name) for name, _ in TEXT_FIELDS}
    keywords: dict[str, list[str]] = {}
    for name, value in doc.items():
        if value is None or value == [] or not is_facet_field(name):
            continue
        values = list(dict.fromkeys(keyword_values(value)))
        if values:
            keywords[name] = values
    articles = [
        key
        for name in ARTICLE_FIELDS
        for key in (normalize_article(v) for v in keyword_values(doc.get(name)))
        if key
    ]
    return DocFields(texts, keywords, articles)


def stem_field(name: str, language: str) -> str:
    """The tantivy field holding the stems of a text field in one language."""
    return f"{name}__{language}"


class Analyzers:
    """The analysers of one ``Analysis``: exact words, stems per language, postings keys of a document."""

    def __init__(self, analysis: Analysis | None = None) -> None:
        self.analysis = analysis or current()
        self.exact = analyzer()
        self.stems = {lang: stem_analyzer(lang) for lang in self.analysis.languages}
        self._stems_of: tuple[Mapping[str, Sequence[str]], dict[str, list[str]]] | None = None

    def words(self, text: str) -> list[str]:
        """The distinct exact words of a text."""
        return list(dict.fromkeys(self.exact.analyze(text)))

    def stem_keys(self, text: str) -> list[str]:
        """The postings keys of the stems of a text, every language."""
        return [stem_key(lang, s) for lang, a in self.stems.items() for s in dict.fromkeys(a.analyze(text))]

    def doc_terms(self, doc: Mapping[str, Any], fields: DocFields | None = None) -> dict[str, None]:
        """Every postings key of a document: exact words, stem keys, normalised article numbers
        (``fields``: the document's ``doc_fields`` when already worked out)."""
        fields = fields or doc_fields(doc)
        # Values joined by a space cannot merge into one word.
        text = " ".join(v for values in fields.texts.values() for v in values)
        terms = dict.fromkeys(self.words(text))
        terms.update(dict.fromkeys(self.stem_keys(text)))
        for key in fields.articles:
            terms[ARTICLE_KEY_PREFIX + key] = None
        return terms

    def _synonym_stems(self, synonyms: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
        """Stem key -> synonym words with that stem; remembered for the last synonym table seen (the
        service hands the same table to every search until the list changes)."""
        cached = self._stems_of
        if cached is not None and cached[0] is synonyms:
            return cached[1]
        by_stem: dict[str, list[str]] = {}
        for key in synonyms:
            for stem in self.stem_keys(key):
                by_stem.setdefault(stem, []).append(key)
        self._stems_of = (synonyms, by_stem)
        return by_stem

    def plan(self, text: str, synonyms: Mapping[str, Sequence[str]] | None = None) -> TextPlan:
        """The query plan of a text (``synonyms``: word -> alternative terms, looked up by the word or, that
        failing, by its stem; a multi-word alternative stands in by its longest word)."""
        words = self.words(text)
        by_stem = self._synonym_stems(synonyms or {})
        planned = []
        for number, word in enumerate(words):
            stems = tuple(self.stem_keys(word))
            keys = [word] if synonyms and word in synonyms else [k for s in stems for k in by_stem.get(s, ())]
            phrases = dict.fromkeys(p for k in keys for p in (synonyms or {}).get(k, ()))
            alternatives = []
            for phrase in phrases:
                alt_words = self.words(phrase)
                if alt_words:
                    longest = max(alt_words, key=len)
                    alternatives.append(QueryWord(longest, tuple(self.stem_keys(longest))))
            last = number == len(words) - 1
            planned.append(QueryWord(word, stems, last, tuple(alternatives)))
        return TextPlan(text, tuple(planned), article_fragment(text))
