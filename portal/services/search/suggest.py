"""As-you-type suggestions: product names, article numbers and tags that match what is typed (each with the
number of assets the viewer may see), and the viewer's saved searches whose name matches.

One engine query answers the first three: the text as typed (last word a prefix, typos, synonyms), with the
viewer's permission, faceted on those fields; facet values that do not match the typed words are dropped, so a
suggestion always contains what was typed. Counts come from the same permission-filtered query, so nothing
a role may not see is ever counted or named.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from indexer.analysis import fuzzy_distance, normalize_article, within_distance
from indexer.query import PortalQuery
from portal.errors import ValidationError
from portal.runtime import Runtime
from portal.services.governance.policy import Viewer
from portal.services.search.queries import parse_params, run_search
from portal.services.search.saved import saved_searches
from portal.services.search.synonyms import active_expansions

MAX_TEXT = 100
PER_KIND = 5
SAVED_LIMIT = 3
FACET_POOL = 50
VALUE_CACHE = 65_536
KINDS = (("product_names", "product"), ("article_numbers", "article_number"), ("tags", "tag"))
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Suggestion:
    """One suggestion: its kind (product, article_number, tag, saved_search), text, count and the search URL
    query string that applies it."""

    kind: str
    text: str
    count: int
    query: str


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(c for c in folded if not unicodedata.combining(c)))


@functools.lru_cache(maxsize=VALUE_CACHE)
def _value_keys(value: str) -> tuple[str, tuple[str, ...]]:
    """A facet value's normalised article form and words (the same values come back query after query)."""
    return normalize_article(value), tuple(_words(value))


def _matches(value: str, typed: list[str], fragment: str) -> bool:
    """True when every typed word starts (or is a typo of) a word of the value, or the value, normalised,
    starts with the typed article-number fragment."""
    article, words = _value_keys(value)
    if fragment and len(fragment) >= 2 and article.startswith(fragment):
        return True
    return bool(typed) and all(any(_word_matches(t, w) for w in words) for t in typed)


def _word_matches(typed: str, word: str) -> bool:
    """A typed word starts the word or is a typo of it (the engine's edit distances)."""
    limit = fuzzy_distance(typed)
    return word.startswith(typed) or (bool(limit) and within_distance(typed, word, limit))


def suggest(rt: Runtime, viewer: Viewer, text: str) -> list[Suggestion]:
    """Suggestions for ``text`` as this viewer; an empty text gives none, more than 100 characters a 422."""
    text = " ".join(text.split())
    if len(text) > MAX_TEXT:
        raise ValidationError(f"suggestions take at most {MAX_TEXT} characters")
    if not text:
        return []
    typed, fragment = _words(text), normalize_article(text)
    query = PortalQuery(
        text=text,
        facets=tuple(field for field, _ in KINDS),
        size=1,
        # Only the facets are used: a field sort spares ranking every match (same hits counted either way).
        sort="newest",
        viewer_role=viewer.role.value if viewer.role else None,
        facet_size=FACET_POOL,
        synonyms=active_expansions(rt),
    )
    result = rt.search().search(query)
    out: list[Suggestion] = []
    for field, kind in KINDS:
        found = [v for v in result.facets.get(field, []) if _matches(v.value, typed, fragment)][:PER_KIND]
        out.extend(Suggestion(kind, v.value, v.count, _query_string(field, v.value)) for v in found)
    if viewer.user_id is not None:
        out.extend(_saved(rt, viewer, typed))
    return out


def _query_string(field: str, value: str) -> str:
    """Product names and article numbers are searched for; a tag is a filter."""
    return urlencode({f"f.{field}": value} if field == "tags" else {"q": value})


def _saved(rt: Runtime, viewer: Viewer, typed: list[str]) -> list[Suggestion]:
    assert viewer.user_id is not None
    with rt.db.session() as session:
        rows = [(s.name, s.query) for s in saved_searches(session, viewer.user_id)]
    out = []
    for name, query in rows:
        if not all(any(w.startswith(t) for w in _words(name)) for t in typed):
            continue
        try:
            params = parse_params(parse_qs(query), default_size=1)
            count = run_search(rt, viewer, params).total
        except ValidationError:
            continue  # a saved search this viewer can no longer run
        out.append(Suggestion("saved_search", name, count, query))
        if len(out) >= SAVED_LIMIT:
            break
    return out
