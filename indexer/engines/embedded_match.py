"""Which indexed terms a query's words stand for in the embedded engine (see ``indexer.analysis``).

A query is planned once (its exact words, their stems per language, synonyms, whether the last word is a
prefix, an article-number fragment) and expanded against the word vocabularies of the index parts: a word
becomes the exact term, its stem keys, the words it starts (last word) and, when neither the word nor its
stems occur anywhere, the words within its edit distance. The numpy row masks and tantivy's ranking query
are both built from the same expansion, so what ranks is exactly what matches.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from indexer.analysis import (
    ARTICLE_KEY_PREFIX,
    MAX_EXPANSIONS,
    PREFIX_MIN,
    fuzzy_distance,
    min_should_match,
    within_distance,
)
from indexer.engines.embedded_columns import BoolArray, WordPostings

EXACT, STEM, PREFIX, FUZZY = "exact", "stem", "prefix", "fuzzy"


@dataclass(frozen=True)
class QueryWord:
    """One query word: its exact form, stem keys, and alternatives (synonyms, each a tuple of words)."""

    word: str
    stems: tuple[str, ...]
    prefix: bool = False
    alternatives: tuple[QueryWord, ...] = ()


@dataclass(frozen=True)
class TextPlan:
    """A planned text query."""

    text: str
    words: tuple[QueryWord, ...]
    article: str | None  # the normalised article-number fragment, if the text could be one


@dataclass
class Expanded:
    """A plan expanded against the index: per query word its (term, kind) pairs; the article keys."""

    plan: TextPlan
    terms: list[list[tuple[str, str]]]
    article_exact: str | None
    article_prefix: list[str]
    min_match: int

    @property
    def text(self) -> str:
        """The query text."""
        return self.plan.text

    @property
    def relaxable(self) -> bool:
        """True when fewer words than all could be required."""
        return self.min_match > min_should_match(len(self.terms)) and len(self.terms) >= 2

    def relaxed(self) -> Expanded:
        """The same expansion requiring only most words."""
        return replace(self, min_match=min_should_match(len(self.terms)))

    def mask(self, postings: WordPostings, n: int) -> BoolArray:
        """Rows matching at least ``min_match`` words, or the article-number fragment."""
        count = np.zeros(n, dtype=np.int16)
        for terms in self.terms:
            count += _rows(postings, [t for t, _ in terms], n)
        out = count >= max(self.min_match, 1) if self.terms else np.zeros(n, dtype=bool)
        keys = self.article_prefix + ([self.article_exact] if self.article_exact else [])
        if keys:
            out |= _rows(postings, [ARTICLE_KEY_PREFIX + k for k in keys], n)
        return out


def _rows(postings: WordPostings, terms: Sequence[str], n: int) -> BoolArray:
    out = np.zeros(n, dtype=bool)
    for term in terms:
        code = postings.code(term)
        if code is not None:
            out[postings.rows[postings.ptr[code] : postings.ptr[code + 1]]] = True
    return out


def _candidates(postings: WordPostings, length: int) -> list[str]:
    """Words without digits of this length (cached per part): the only typo candidates."""
    cache = postings.by_length()
    return cache.get(length, [])


def _prefixed(postings: WordPostings, start: str) -> list[str]:
    vocab = postings.vocab
    low = bisect.bisect_left(vocab, start)
    high = bisect.bisect_left(vocab, start + "\uffff", low)
    if high - low <= MAX_EXPANSIONS:
        return list(vocab[low:high])
    sizes = postings.ptr[low + 1 : high + 1] - postings.ptr[low:high]
    best = np.argsort(-sizes, kind="stable")[:MAX_EXPANSIONS]
    return [vocab[low + int(i)] for i in sorted(best.tolist())]


def _found(parts: Sequence[WordPostings], term: str) -> bool:
    return any(p.code(term) is not None for p in parts)


def _word_terms(word: QueryWord, parts: Sequence[WordPostings], typos: bool = True) -> list[tuple[str, str]]:
    terms: list[tuple[str, str]] = [(word.word, EXACT)] + [(s, STEM) for s in word.stems]
    if word.prefix and len(word.word) >= PREFIX_MIN:
        seen = {word.word}
        for part in parts:
            for term in _prefixed(part, word.word):
                if term not in seen:
                    seen.add(term)
                    terms.append((term, PREFIX))
    known = any(_found(parts, t) for t, kind in terms if kind != PREFIX)
    distance = fuzzy_distance(word.word)
    if typos and not known and distance:
        seen = {t for t, _ in terms}
        for part in parts:
            for length in range(len(word.word) - distance, len(word.word) + distance + 1):
                for term in _candidates(part, length):
                    if term not in seen and within_distance(word.word, term, distance):
                        seen.add(term)
                        terms.append((term, FUZZY))
    for alternative in word.alternatives:
        terms.extend(_word_terms(alternative, parts, typos=False))  # a synonym is taken as written
    return [(t, kind) for t, kind in terms if kind in (PREFIX, FUZZY) or _found(parts, t)]


def expand(plan: TextPlan, parts: Sequence[WordPostings]) -> Expanded:
    """The plan's terms as they occur in these parts (all words required)."""
    terms = [_word_terms(word, parts) for word in plan.words]
    exact, prefix = None, []
    if plan.article:
        key = ARTICLE_KEY_PREFIX + plan.article
        if _found(parts, key):
            exact = plan.article
        seen = {key}
        for part in parts:
            for term in _prefixed(part, key):
                if term not in seen:
                    seen.add(term)
                    prefix.append(term[len(ARTICLE_KEY_PREFIX) :])
    return Expanded(plan, terms, exact, prefix, len(terms))
