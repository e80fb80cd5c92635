"""Why a hit matched: the fields whose words match the query (exactly, by stem, as a prefix of the last word,
within the typo distance, or through a synonym), with the matched words marked, and "matched by meaning"
for hits only the text model found.

A highlight is a list of fragments (text, marked); ``html`` writes them escaped, each marked one in a bare
``<mark>`` element (no attributes, no styles), so it is safe to insert as is. Templates render the fragments
themselves and let Jinja escape them.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from indexer.analysis import PREFIX_MIN, Analysis, fuzzy_distance, normalize_article, within_distance
from indexer.engines.embedded_analysis import Analyzers
from indexer.meaning import MATCHED_BY_MEANING
from indexer.schema import ATTR_PREFIX, keyword_values

# Fields shown, in order, with their labels (attribute values follow as "Attributes").
FIELDS: tuple[tuple[str, str], ...] = (
    ("title", "Title"),
    ("product_names", "Product"),
    ("article_numbers", "Article number"),
    ("model_codes", "Model"),
    ("tags", "Tags"),
    ("auto_tags", "Auto tags"),
    ("brand", "Brand"),
    ("category", "Category"),
    ("product_type", "Product type"),
    ("description", "Description"),
    ("original_filename", "File name"),
)
ARTICLE_FIELDS = frozenset({"article_numbers", "model_codes"})
MAX_HIGHLIGHTS = 4
SNIPPET = 80  # characters of context either side of the first match in long text
_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Highlight:
    """One field that matched, as fragments of its text with the matched words marked."""

    field: str
    label: str
    fragments: tuple[tuple[str, bool], ...]

    @property
    def html(self) -> str:
        """The text HTML-escaped with each matched word in ``<mark>``."""
        return "".join(
            f"<mark>{html.escape(text)}</mark>" if marked else html.escape(text)
            for text, marked in self.fragments
        )


@dataclass(frozen=True)
class Explanation:
    """Why a hit matched: ``matched_by`` ("words", "meaning", "words+meaning") and the highlights."""

    matched_by: str
    highlights: tuple[Highlight, ...]

    @property
    def by_meaning_only(self) -> bool:
        """True when no word matched: the hit was found by meaning."""
        return self.matched_by == MATCHED_BY_MEANING


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


@dataclass(frozen=True)
class _Matcher:
    words: tuple[str, ...]
    stems: frozenset[str]
    last: str
    article: str
    analyzers: Analyzers

    def word(self, token: str) -> bool:
        folded = _fold(token)
        if folded in self.words:
            return True
        if self.last and len(self.last) >= PREFIX_MIN and folded.startswith(self.last):
            return True
        if self.stems and self.stems.intersection(self.analyzers.stem_keys(folded)):
            return True
        return any(
            within_distance(w, folded, fuzzy_distance(w))
            for w in self.words
            if fuzzy_distance(w) and folded.isalpha()
        )


@lru_cache(maxsize=8)
def _analyzers(languages: tuple[str, ...]) -> Analyzers:
    return Analyzers(Analysis(languages))


def matcher(text: str, synonyms: Mapping[str, Sequence[str]], analysis: Analysis) -> _Matcher:
    """What counts as a match of ``text``: its words, their stems, synonyms' words, the last word's prefix."""
    analyzers = _analyzers(analysis.languages)
    typed = analyzers.words(text)
    words = list(typed)
    for word in typed:
        for phrase in synonyms.get(word, ()):
            words.extend(analyzers.words(phrase))
    stems = frozenset(k for w in words for k in analyzers.stem_keys(w))
    last = typed[-1] if typed else ""
    return _Matcher(tuple(dict.fromkeys(words)), stems, last, normalize_article(text), analyzers)


def _fragments(value: str, match: _Matcher) -> tuple[tuple[str, bool], ...] | None:
    out: list[tuple[str, bool]] = []
    start, found = 0, False
    for token in _TOKEN.finditer(value):
        if match.word(token.group()):
            if token.start() > start:
                out.append((value[start : token.start()], False))
            out.append((token.group(), True))
            start, found = token.end(), True
    if not found:
        return None
    if start < len(value):
        out.append((value[start:], False))
    return tuple(out)


def _snippet(fragments: tuple[tuple[str, bool], ...]) -> tuple[tuple[str, bool], ...]:
    """Long text cut to some context around its first match."""
    first = next(i for i, (_, marked) in enumerate(fragments) if marked)
    out = list(fragments)
    before = out[first - 1][0] if first else ""
    if len(before) > SNIPPET:
        out[first - 1] = ("…" + before[-SNIPPET:], False)
    total, kept = 0, []
    for text, marked in out:
        if total > 3 * SNIPPET:
            kept.append(("…", False))
            break
        kept.append((text, marked))
        total += len(text)
    return tuple(kept)


def highlights(doc: Mapping[str, Any], match: _Matcher) -> tuple[Highlight, ...]:
    """The fields of a document that match (at most ``MAX_HIGHLIGHTS``)."""
    out: list[Highlight] = []
    fields = list(FIELDS) + [(k, "Attributes") for k in sorted(doc) if k.startswith(ATTR_PREFIX)]
    for name, label in fields:
        for value in keyword_values(doc.get(name)):
            if (
                name in ARTICLE_FIELDS
                and len(match.article) >= 3
                and normalize_article(value).startswith(match.article)
            ):
                out.append(Highlight(name, label, ((value, True),)))
                break
            fragments = _fragments(value, match)
            if fragments is not None:
                out.append(
                    Highlight(name, label, _snippet(fragments) if len(value) > 2 * SNIPPET else fragments)
                )
                break
        if len(out) >= MAX_HIGHLIGHTS:
            break
    return tuple(out)


def explain(doc: Mapping[str, Any], matched_by: str | None, match: _Matcher | None) -> Explanation | None:
    """Why this hit matched (None without query text)."""
    if match is None:
        return None
    found = highlights(doc, match)
    by = matched_by or "words"
    return Explanation(by, () if by == MATCHED_BY_MEANING else found)


def explain_hits(
    hits: Sequence[Any], text: str, synonyms: Mapping[str, Sequence[str]], analysis: Analysis
) -> dict[int, Explanation]:
    """Asset id -> why it matched, for the hits of a search with ``text`` (empty without text)."""
    if not text.strip():
        return {}
    match = matcher(text, synonyms, analysis)
    out = {}
    for hit in hits:
        found = explain(hit.doc, hit.matched_by, match)
        if found is not None:
            out[hit.id] = found
    return out
