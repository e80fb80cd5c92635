"""Search for pages and the API: parse the URL state, ask the engine with the viewer's permissions."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.analysis import Analysis
from indexer.query import DEFAULT_FACETS, SORTS, PortalQuery, SearchResult
from indexer.schema import ATTR_PREFIX, attr_field, is_facet_field, is_staff_field
from models import Product
from portal.errors import ValidationError
from portal.runtime import Runtime
from portal.services.catalog import custom_values
from portal.services.catalog.field_specs import cached_specs
from portal.services.governance.policy import STAFF, Viewer
from portal.services.paging import MAX_ID, parse_paging
from portal.services.search.explain import Explanation, explain_hits
from portal.services.search.meaning import meaning_search, wants_meaning
from portal.services.search.synonyms import active_expansions

FILTER_PREFIX = "f."
MAX_ATTRIBUTE_FACETS = 8
# Accepted auto tags are a facet for everyone; the workflow and bookkeeping facets only for staff.
EXTRA_FACETS: tuple[str, ...] = ("auto_tags",)
STAFF_FACETS: tuple[str, ...] = ("status", "visibility", "uploaded_by", "collections")
# Values per facet: the page shows the top few and expands to the rest on request.
FACET_VALUES = 50
# What ``secrets.token_urlsafe`` makes for a search-by-image token (portal.services.vision.similar).
IMAGE_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class SearchParams:
    """The whole state of a search as it lives in the URL (so it can be shared and bookmarked)."""

    text: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    size: int = 48
    # Vision (see portal.services.vision.similar): rank by likeness to an asset, fuse a text embedding with
    # the keyword search, and hide hits less similar than ``min_score`` (cosine, 0..1).
    similar_to: int | None = None
    semantic: bool = False
    min_score: float = 0.0
    # Search by image: the token of an uploaded image's vector kept for a while in the runtime cache
    # (never the image), so facet clicks and paging keep the image query.
    image: str = ""

    @property
    def uses_vision(self) -> bool:
        """True when the search needs the vision model or stored vectors."""
        return self.similar_to is not None or self.semantic or self.min_score > 0 or bool(self.image)

    def query_string(self, **changes: Any) -> str:
        """The URL query for this state, optionally changed (e.g. ``page=2``)."""
        state = {"q": self.text, "sort": self.sort, "page": self.page, "size": self.size, **changes}
        pairs: list[tuple[str, str]] = []
        if state["q"]:
            pairs.append(("q", str(state["q"])))
        filters = state.get("filters", self.filters)
        for name in sorted(filters):
            pairs.extend((FILTER_PREFIX + name, value) for value in filters[name])
        if state["sort"] != "relevance":
            pairs.append(("sort", str(state["sort"])))
        if int(state["page"]) != 1:
            pairs.append(("page", str(state["page"])))
        if int(state["size"]) != 48:
            pairs.append(("size", str(state["size"])))
        pairs.extend(
            _vision_pairs(
                {
                    "similar_to": self.similar_to,
                    "semantic": self.semantic,
                    "min_score": self.min_score,
                    "image": self.image,
                    **changes,
                }
            )
        )
        return urlencode(pairs)

    def toggled(self, name: str, value: str) -> str:
        """The query string with one facet value switched on or off (back to page 1)."""
        filters = {k: list(v) for k, v in self.filters.items()}
        values = filters.setdefault(name, [])
        if value in values:
            values.remove(value)
        else:
            values.append(value)
        clean = {k: tuple(v) for k, v in filters.items() if v}
        return self.query_string(filters=clean, page=1)


def _vision_pairs(state: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if state.get("similar_to"):
        pairs.append(("similar_to", str(state["similar_to"])))
    if state.get("semantic"):
        pairs.append(("semantic", "1"))
    if float(state.get("min_score") or 0) > 0:
        pairs.append(("min_score", f"{float(state['min_score']):g}"))
    if state.get("image"):
        pairs.append(("image", str(state["image"])))
    return pairs


def _vision_params(one: Callable[[str], str]) -> dict[str, Any]:
    """``similar_to`` (asset id), ``semantic`` (1/true/on), ``min_score`` (0..1); bad values are a 422."""
    raw_id, raw_score = one("similar_to"), one("min_score")
    try:
        similar_to = int(raw_id) if raw_id else None
        min_score = float(raw_score) if raw_score else 0.0
    except ValueError:
        raise ValidationError("similar_to must be an asset id and min_score a number from 0 to 1") from None
    if similar_to is not None and not 1 <= similar_to <= MAX_ID:
        raise ValidationError("similar_to must be a positive asset id")
    if not 0.0 <= min_score <= 1.0:
        raise ValidationError("min_score must be between 0 and 1")
    semantic = one("semantic").lower() in ("1", "true", "on", "yes")
    image = one("image")
    if image and not IMAGE_TOKEN.fullmatch(image):
        raise ValidationError("image must be the token of a search by image")
    return {"similar_to": similar_to, "semantic": semantic, "min_score": min_score, "image": image}


def parse_params(args: Mapping[str, Sequence[str]], default_size: int = 48) -> SearchParams:
    """Read ``q``, ``f.<field>`` (repeatable), ``sort``, ``page``, ``size``; bad values are a 422."""

    def one(name: str) -> str:
        values = args.get(name) or []
        return str(values[-1]).strip() if values else ""

    filters: dict[str, tuple[str, ...]] = {}
    for key, values in args.items():
        if not key.startswith(FILTER_PREFIX):
            continue
        name = key[len(FILTER_PREFIX) :]
        if not is_facet_field(name):
            raise ValidationError(f"cannot filter on {name!r}")
        picked = tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))
        if picked:
            filters[name] = picked
    sort = one("sort") or "relevance"
    if sort not in SORTS:
        raise ValidationError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    page, size = parse_paging(one("page"), one("size"), default_size)
    text = one("q")
    if len(text) > 1000:
        raise ValidationError("search text is longer than 1000 characters")
    return SearchParams(text=text, filters=filters, sort=sort, page=page, size=size, **_vision_params(one))


def facet_fields(params: SearchParams, attribute_names: Sequence[str]) -> tuple[str, ...]:
    """Standard facets, plus product attributes (and any attribute the user already filters on)."""
    attrs = [f for f in (attr_field(n) for n in attribute_names) if f][:MAX_ATTRIBUTE_FACETS]
    chosen = [name for name in params.filters if name.startswith(ATTR_PREFIX)]
    return tuple(dict.fromkeys([*DEFAULT_FACETS, *EXTRA_FACETS, *attrs, *chosen, *STAFF_FACETS]))


def attribute_names(
    session: Session, categories: Sequence[str] = (), limit: int = MAX_ATTRIBUTE_FACETS
) -> list[str]:
    """The most common product attribute names (of the selected categories, when any are selected)."""
    query = select(Product.attributes)
    if categories:
        query = query.where(Product.category.in_(list(categories)))
    counts: dict[str, int] = {}
    for attributes in session.scalars(query.limit(5000)):
        for name in attributes or {}:
            counts[name] = counts.get(name, 0) + 1
    return [name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def cached_attribute_names(rt: Runtime, categories: Sequence[str]) -> list[str]:
    """``attribute_names`` remembered for a minute: it scans product rows, a search must not each time."""
    key = ("attribute_names", tuple(sorted(categories)))

    def compute() -> list[str]:
        with rt.db.session() as session:
            return attribute_names(session, key[1])

    return rt.cache.get_or_compute(key, compute)


def run_search(rt: Runtime, viewer: Viewer, params: SearchParams) -> SearchResult:
    """Search as this viewer: their role is compiled into the query (results, totals and facets)."""
    names = cached_attribute_names(rt, params.filters.get("category", ()))
    filters, facets = dict(params.filters), facet_fields(params, names)
    # Custom field facets this viewer may see (never a staff-only one for partners or the public).
    custom = [spec.index_field for spec in custom_values.fields_for(viewer, cached_specs(rt)) if spec.facet]
    facets = tuple(dict.fromkeys([*facets, *custom]))
    if not viewer.at_least(STAFF):
        # Partners and the public go by the public status: a newer version in review stays hidden.
        if "status" in filters:
            filters["public_status"] = filters.pop("status")
        hidden = [name for name in filters if name in STAFF_FACETS or is_staff_field(name)]
        if hidden:
            raise ValidationError(f"cannot filter on {hidden[0]!r}")
        facets = tuple(f for f in facets if f not in STAFF_FACETS)
    try:
        query = PortalQuery(
            text=params.text,
            filters=filters,
            facets=facets,
            sort=params.sort,
            page=params.page,
            size=params.size,
            viewer_role=viewer.role.value if viewer.role else None,
            facet_size=FACET_VALUES,
            synonyms=active_expansions(rt),
        )
    except ValueError as exc:
        raise ValidationError(str(exc)) from exc
    if params.uses_vision:
        from portal.services.vision.similar import vision_search

        return vision_search(rt, viewer, params, query)
    if wants_meaning(rt, query):
        return meaning_search(rt, query)
    return rt.search().search(query)


def explanations(rt: Runtime, params: SearchParams, result: SearchResult) -> dict[int, Explanation]:
    """Why each hit of this page matched (highlighted fields, or "matched by meaning")."""
    if not params.text:
        return {}
    languages = Analysis.parse(rt.settings.search_languages)
    return explain_hits(result.hits, params.text, active_expansions(rt), languages)


def _why(explained: Explanation | None) -> dict[str, Any]:
    if explained is None:
        return {"matched_by": None, "highlights": []}
    return {
        "matched_by": explained.matched_by,
        "highlights": [
            {
                "field": h.field,
                "label": h.label,
                "html": h.html,
                "fragments": [{"text": text, "marked": marked} for text, marked in h.fragments],
            }
            for h in explained.highlights
        ],
    }


def result_to_dict(
    result: SearchResult,
    params: SearchParams,
    viewer: Viewer | None = None,
    explained: Mapping[int, Explanation] | None = None,
) -> dict[str, Any]:
    """The JSON form of a result: hits with their main fields and why they matched (``explained``), total,
    facets with counts.

    Partners and the public see the released status (an approved asset with a newer version in review is
    "approved" to them), never the internal workflow state.
    """
    status_field = "status" if viewer is None or viewer.at_least(STAFF) else "public_status"
    return {
        "total": result.total,
        "page": params.page,
        "size": params.size,
        "hits": [
            {
                "id": hit.id,
                "score": hit.score,
                "title": hit.doc.get("title"),
                "article_numbers": list(hit.doc.get("article_numbers") or []),
                "product_names": list(hit.doc.get("product_names") or []),
                "file_type": hit.doc.get("file_type"),
                "status": hit.doc.get(status_field),
                "thumbnail_url": f"/a/{hit.id}/thumb",
                "url": f"/assets/{hit.id}",
                **_why((explained or {}).get(hit.id)),
            }
            for hit in result.hits
        ],
        "facets": {
            name: [{"value": v.value, "count": v.count} for v in values]
            for name, values in result.facets.items()
        },
    }
