"""The search request as one immutable value, its results, and the semantics both engines share.

``PortalQuery`` is validated on construction, so compilers and engines can trust it. The helpers below
(permission rule, effective sort, filter split, page window) are the single definition of what a query
means; the OpenSearch compiler and the embedded engine both call them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from indexer.schema import VECTOR_FIELD, VECTOR_FIELDS, is_facet_field, is_staff_field
from models.enums import AssetStatus, Role, Visibility

SORTS = ("relevance", "newest", "oldest", "name")
DEFAULT_FACETS: tuple[str, ...] = (
    "file_type",
    "media_kind",
    "orientation",
    "megapixel_band",
    "duration_band",
    "page_band",
    "codec",
    "color_mode",
    "tags",
    "category",
    "product_type",
    "brand",
)
MAX_SIZE = 200
MAX_FACET_SIZE = 1000
MAX_PAGE = 1_000_000
MAX_TEXT = 1000
STAFF_ROLES = frozenset({Role.EDITOR.value, Role.MANAGER.value, Role.ADMIN.value})


@dataclass(frozen=True)
class Permission:
    """What a viewer may see; None in a field means "no restriction"."""

    # Matched against the document's ``public_status`` (see ``indexer.documents.public_status``).
    statuses: tuple[str, ...] | None
    visibilities: tuple[str, ...] | None
    hide_expired: bool

    @property
    def unrestricted(self) -> bool:
        """True for staff, who see every asset in any state."""
        return self.statuses is None and self.visibilities is None and not self.hide_expired


def permission_for(role: str | None) -> Permission:
    """The visibility rule of ``portal.services.governance.policy.visible_assets`` for a role
    (None = anonymous).

    Staff (editor, manager, admin) see everything; a partner sees approved, partner or public, not expired;
    an anonymous visitor sees approved, public, not expired.
    """
    if role in STAFF_ROLES:
        return Permission(None, None, False)
    approved = (AssetStatus.APPROVED.value,)
    if role == Role.PARTNER.value:
        return Permission(approved, (Visibility.PARTNER.value, Visibility.PUBLIC.value), True)
    if role is None:
        return Permission(approved, (Visibility.PUBLIC.value,), True)
    raise ValueError(f"unknown viewer role {role!r}")


@dataclass(frozen=True)
class PortalQuery:
    """One search: text, filters (OR within a field, AND across fields), facets, sort, page, vector."""

    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    facets: tuple[str, ...] = DEFAULT_FACETS
    sort: str = "relevance"
    page: int = 1
    size: int = 24
    vector: tuple[float, ...] | None = None
    similar_to: int | None = None
    viewer_role: str | None = None
    now: float | None = None
    facet_size: int = 10
    # The managed synonym list as it applies to query words: word -> alternative words or phrases.
    synonyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Most words instead of all (engines retry so when all words find too little).
    relaxed: bool = False
    # Which stored vectors ``vector`` is compared with: the image vectors, or the text ("meaning") vectors.
    vector_field: str = VECTOR_FIELD
    # A text-vector query keeps only hits at least this similar (cosine): the floor of meaning search.
    min_score: float = 0.0

    def __post_init__(self) -> None:
        # Normalise before validating so callers may pass lists, sets and enum members.
        text = " ".join(str(self.text or "").split())
        if len(text) > MAX_TEXT:
            raise ValueError(f"search text is longer than {MAX_TEXT} characters")
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "filters", _clean_filters(self.filters))
        facets = tuple(dict.fromkeys(str(f) for f in self.facets))
        for name in facets:
            if not is_facet_field(name):
                raise ValueError(f"unknown facet {name!r}")
        object.__setattr__(self, "facets", facets)
        if self.sort not in SORTS:
            raise ValueError(f"unknown sort {self.sort!r}; expected one of {', '.join(SORTS)}")
        _check_int("page", self.page, 1, MAX_PAGE)
        _check_int("size", self.size, 1, MAX_SIZE)
        _check_int("facet_size", self.facet_size, 1, MAX_FACET_SIZE)
        if self.vector is not None:
            # map, not a generator: a text-model query vector has hundreds of numbers, checked per query.
            vector = tuple(map(float, self.vector))
            if not vector or not all(map(math.isfinite, vector)):
                raise ValueError("vector must be a non-empty sequence of finite numbers")
            if not any(vector):
                raise ValueError("vector must not be all zeros")
            object.__setattr__(self, "vector", vector)
        if self.vector_field not in VECTOR_FIELDS:
            raise ValueError(f"unknown vector field {self.vector_field!r}")
        if not (isinstance(self.min_score, int | float) and -1.0 <= float(self.min_score) <= 1.0):
            raise ValueError("min_score must be a cosine from -1 to 1")
        object.__setattr__(self, "min_score", float(self.min_score))
        if self.similar_to is not None:
            _check_int("similar_to", self.similar_to, 1, 2**63 - 1)
            if self.vector is not None:
                raise ValueError("give either vector or similar_to, not both")
        role = self.viewer_role.value if isinstance(self.viewer_role, Role) else self.viewer_role
        permission_for(role)  # raises for an unknown role
        if role not in STAFF_ROLES:
            # Staff-only custom fields: partners and the public may neither filter nor count by them.
            hidden = [name for name in (*self.filters, *facets) if is_staff_field(name)]
            if hidden:
                raise ValueError(f"unknown filter field {hidden[0]!r}")
        object.__setattr__(self, "viewer_role", role)
        if self.now is not None and not math.isfinite(float(self.now)):
            raise ValueError("now must be a finite epoch time")

    @property
    def offset(self) -> int:
        """Index of the first hit of this page."""
        return (self.page - 1) * self.size

    @property
    def has_vector(self) -> bool:
        """True when the query ranks by similarity (a vector or an asset to find similar ones to)."""
        return self.vector is not None or self.similar_to is not None

    @property
    def permission(self) -> Permission:
        """The viewer's visibility rule."""
        return permission_for(self.viewer_role)

    def moment(self) -> float:
        """The time rights expiry is judged at: ``now`` when pinned, else the current time."""
        return float(self.now) if self.now is not None else time.time()


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, got {value!r}")


def _clean_filters(filters: Mapping[str, Any] | None) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for name, raw in (filters or {}).items():
        if not is_facet_field(str(name)):
            raise ValueError(f"unknown filter field {name!r}")
        items = [raw] if isinstance(raw, str) else list(raw or ())
        values = tuple(dict.fromkeys(str(v) for v in items if v is not None and str(v) != ""))
        if values:
            out[str(name)] = values
    return out


def effective_sort(q: PortalQuery) -> str:
    """The sort actually applied: "relevance" without text or vector has no score, so it means "newest"."""
    if q.sort == "relevance" and not q.text and not q.has_vector:
        return "newest"
    return q.sort


def split_filters(q: PortalQuery) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(query filters, facet filters): a filter on a requested facet is applied after the facet counts
    (OpenSearch ``post_filter``) so that facet's own counts ignore it; any other filter narrows everything.
    """
    query_filters = {k: v for k, v in q.filters.items() if k not in q.facets}
    facet_filters = {k: v for k, v in q.filters.items() if k in q.facets}
    return query_filters, facet_filters


@dataclass(frozen=True)
class SearchHit:
    """One result: the asset id, its score (None when sorted by a field) and the indexed document."""

    id: int
    score: float | None
    doc: Mapping[str, Any]
    # How the hit was found when meaning search took part: "words", "meaning" or "words+meaning".
    matched_by: str | None = None


@dataclass(frozen=True)
class FacetValue:
    """One facet bucket."""

    value: str
    count: int


@dataclass(frozen=True)
class SearchResult:
    """Total matches, this page's hits and the facet counts (top values by count, then by value)."""

    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]]

    @property
    def ids(self) -> list[int]:
        """The ids of this page's hits, in order."""
        return [hit.id for hit in self.hits]
