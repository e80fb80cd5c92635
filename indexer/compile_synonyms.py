"""OpenSearch synonyms at query time: the managed list compiled into a ``synonym_graph`` token filter.

The index settings carry the list (Solr format, as the rules are written: ``a, b`` two-way, ``a => b``
one-way, multi-word terms allowed) in the filter ``portal_synonyms``, used only by search-time analysers:
``portal_text_synonyms`` (exact words) and ``portal_text_<lang>_synonyms`` (stems: the rules are analysed by
the same chain, so ``hoodies`` finds the rule of ``hoodie``). The query compiler names these analysers in
a per-word synonym clause beside the plain exact and stemmed clauses, so an exact word still outranks what
only a synonym finds; a multi-word synonym term in the query (``hooded sweatshirt``) becomes one unit whose
words match as usual or whose synonym graph does. A change to the list is a settings update (close, update
the filter, open), never a reindex.

A cluster that accepts but ignores ``synonym_graph`` (osmem-server, for one) is detected by a probe, and
the compiler then falls back to the per-word alternatives of ``indexer.compile_text``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from indexer.analysis import Analysis
from indexer.synonyms import Rule, parse_rule

SYNONYM_FILTER = "portal_synonyms"
SYNONYM_ANALYZER = "portal_text_synonyms"
# The filter always has a rule (an empty list is refused by some versions); this one changes nothing.
NEUTRAL_RULE = "assetportnosynonym => assetportnosynonym"
# Consecutive query words looked at for a multi-word synonym term.
MAX_PHRASE_WORDS = 4
# The probe: an index whose only rule maps one made-up word to another, searched for the first.
PROBE_RULE = "assetportprobeleft => assetportproberight"
PROBE_FIELD = "probe"


def synonym_analyzer(language: str | None = None) -> str:
    """The search-time analyser with synonyms: exact words (no language) or a language's stems."""
    return f"portal_text_{language}_synonyms" if language else SYNONYM_ANALYZER


def parse_rules(texts: Iterable[str]) -> list[Rule]:
    """The rules of stored rule texts, skipping any that no longer parse."""
    rules = []
    for text in texts:
        try:
            rules.append(parse_rule(text))
        except ValueError:
            continue
    return rules


def synonym_lines(rules: Iterable[Rule]) -> list[str]:
    """The ``synonyms`` of the filter: each rule written out (terms are folded words, nothing to escape)."""
    lines = list(dict.fromkeys(rule.text() for rule in rules))
    return lines or [NEUTRAL_RULE]


def synonym_filter(lines: Sequence[str]) -> dict[str, Any]:
    """The ``synonym_graph`` filter definition (``lenient``: a rule the analyser cannot use is skipped)."""
    return {"type": "synonym_graph", "synonyms": list(lines) or [NEUTRAL_RULE], "lenient": True}


def synonym_analysis(lines: Sequence[str], analysis: Analysis) -> dict[str, dict[str, Any]]:
    """The filter and the search-time analysers to merge into the ``analysis`` settings."""
    analyzers: dict[str, Any] = {
        SYNONYM_ANALYZER: {
            "type": "custom",
            "tokenizer": "portal_words",
            "filter": ["lowercase", "asciifolding", SYNONYM_FILTER],
        }
    }
    for lang in analysis.languages:
        analyzers[synonym_analyzer(lang)] = {
            "type": "custom",
            "tokenizer": "portal_words",
            "filter": ["lowercase", f"portal_stem_{lang}", "asciifolding", SYNONYM_FILTER],
        }
    return {"filter": {SYNONYM_FILTER: synonym_filter(lines)}, "analyzer": analyzers}


def settings_update(lines: Sequence[str]) -> dict[str, Any]:
    """The settings body that replaces the list of an existing (closed) index."""
    return {"analysis": {"filter": {SYNONYM_FILTER: synonym_filter(lines)}}}


@dataclass(frozen=True)
class SynonymGraph:
    """What the query compiler needs when the index applies the list at query time: the multi-word terms
    a query may contain (two-way terms and the left side of one-way rules)."""

    phrases: frozenset[str] = frozenset()

    @classmethod
    def of_lines(cls, lines: Iterable[str]) -> SynonymGraph:
        """The graph of the filter's ``synonyms`` as stored in the index settings."""
        phrases = {term for rule in parse_rules(lines) for term in rule.terms if " " in term}
        return cls(frozenset(phrases))

    def units(self, words: Sequence[str]) -> list[tuple[str, ...]]:
        """Query words grouped into units: a multi-word synonym term (longest first) or a single word."""
        out: list[tuple[str, ...]] = []
        i = 0
        while i < len(words):
            for size in range(min(MAX_PHRASE_WORDS, len(words) - i), 1, -1):
                if " ".join(words[i : i + size]) in self.phrases:
                    out.append(tuple(words[i : i + size]))
                    i += size
                    break
            else:
                out.append((words[i],))
                i += 1
        return out


def probe_settings() -> dict[str, Any]:
    """Settings and mapping of the probe index (does the cluster apply ``synonym_graph`` in searches?)."""
    analysis = {
        "filter": {SYNONYM_FILTER: synonym_filter([PROBE_RULE])},
        "analyzer": {
            "portal_probe": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase"]},
            SYNONYM_ANALYZER: {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", SYNONYM_FILTER],
            },
        },
    }
    mapping = {"properties": {PROBE_FIELD: {"type": "text", "analyzer": "portal_probe"}}}
    return {"settings": {"number_of_shards": 1, "analysis": analysis}, "mappings": mapping}


def probe_document() -> dict[str, str]:
    """The probe index's one document: the word the rule maps to."""
    return {PROBE_FIELD: PROBE_RULE.split("=>")[1].strip()}


def probe_query() -> dict[str, Any]:
    """Finds the probe document only when the search analyser applied the rule."""
    left = PROBE_RULE.split("=>")[0].strip()
    return {"query": {"match": {PROBE_FIELD: {"query": left, "analyzer": SYNONYM_ANALYZER}}}, "size": 1}
