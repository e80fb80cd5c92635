"""A deterministic search corpus and a plain-Python reference of the search semantics (no fixtures here).

The reference (``reference_ids``, ``reference_facets``) evaluates permission, filters, disjunctive facets and
field sorts the slow, obvious way, so both engines are checked against it and against each other.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from indexer.query import PortalQuery, effective_sort, split_filters
from indexer.schema import keyword_values, name_sort_key

NOW = 1_750_000_000.0  # pinned "now" for rights expiry
DIM = 4
TITLES = [
    "Oak chair",
    "Steel table",
    "red sofa",
    "Café stool",
    "apple crate",
    "Zebra rug",
    "Oak chair",  # a duplicate title: the name sort must fall back to the id
    "Garden bench",
    "Desk lamp",
    "Floor lamp",
]
STATUSES = [
    "approved",
    "approved",
    "draft",
    "approved",
    "in_review",
    "approved",
    "rejected",
    "approved",
    "archived",
]
VISIBILITIES = ["public", "partner", "internal", "public", "partner"]
FILE_TYPES = ["JPEG", "PNG", "TIFF", "JPEG", "PDF", "WEBP"]
ORIENTATIONS = ["landscape", "portrait", "square"]
BANDS = ["<1 MP", "1-4 MP", "4-12 MP", "12-24 MP", ">24 MP"]
TAGS = ["outdoor", "studio", "white background", "lifestyle", "detail", "packshot"]
CATEGORIES = ["Chairs", "Tables", "Lighting", "Outdoor"]
BRANDS = ["Nordform", "Lumo", "Ekko"]
COLORS = ["black", "white", "oak", "red"]
PRODUCT_NAMES = ["Aalto lounge chair", "Berg dining table", "Kilo floor lamp", "Vinter garden bench"]


def corpus(count: int = 60) -> list[dict[str, Any]]:
    """``count`` search documents with every field, ties in dates and titles, expired and hidden assets."""
    docs = []
    for i in range(1, count + 1):
        status = STATUSES[i % len(STATUSES)]
        expire: float | None = None
        if i % 11 == 0:
            expire = NOW - 3600  # expired
        elif i % 13 == 0:
            expire = NOW + 86_400 * 30  # expires later
        product = i % len(PRODUCT_NAMES)
        doc: dict[str, Any] = {
            "id": i,
            "title": f"{TITLES[i % len(TITLES)]}" + ("" if i % 4 else f" {i}"),
            "description": f"Photo number {i} of the {PRODUCT_NAMES[product].lower()}",
            "original_filename": f"IMG_{1000 + i}.jpg",
            "file_type": FILE_TYPES[i % len(FILE_TYPES)],
            "mime_type": "image/jpeg",
            "media_kind": "document" if FILE_TYPES[i % len(FILE_TYPES)] == "PDF" else "image",
            "orientation": ORIENTATIONS[i % len(ORIENTATIONS)],
            "megapixel_band": BANDS[i % len(BANDS)],
            "color_mode": "CMYK" if i % 7 == 0 else "RGB",
            "width": 1000 + i,
            "height": 800 + i,
            "tags": sorted({TAGS[i % len(TAGS)], TAGS[(i * 3) % len(TAGS)]}),
            "auto_tags": [],
            "status": status,
            "public_status": status,
            "visibility": VISIBILITIES[i % len(VISIBILITIES)],
            "rights_expire_at": expire,
            "created_at": int(NOW) - (i // 3) * 3600,  # three assets share each hour: ties broken by id
            "uploaded_by": f"user{i % 3}@example.com",
            "collections": [],
            "article_numbers": [f"{400 + product}.{i:03d}.{10 + i % 7}"],
            "model_codes": [f"M-{product}"],
            "product_names": [PRODUCT_NAMES[product]],
            "category": [CATEGORIES[product]],
            "product_type": ["Furniture" if product != 2 else "Lamp"],
            "brand": [BRANDS[i % len(BRANDS)]],
            "attr.color": [COLORS[i % len(COLORS)]] + (["red"] if i % 10 == 0 else []),
            "attr.material": ["wood" if i % 2 else "metal"],
        }
        if i % 5 != 0:
            doc["vector"] = [float((i * k) % 7 - 3) + 0.5 for k in range(1, DIM + 1)]
        docs.append(doc)
    # The exact article-number case: one asset has 404.038.96, another only mentions its words in the title.
    docs[0]["article_numbers"] = ["404.038.96"]
    docs[1]["title"] = "Frame for 404 038 96 and similar"
    return docs


def visible(doc: Mapping[str, Any], role: str | None, now: float = NOW) -> bool:
    """The portal's visibility rule (``policy.can_view``) on a document."""
    if role in ("editor", "manager", "admin"):
        return True
    if doc.get("status") != "approved":
        return False
    expire = doc.get("rights_expire_at")
    if expire is not None and expire <= now:
        return False
    allowed = ("partner", "public") if role == "partner" else ("public",)
    return doc.get("visibility") in allowed


def _passes(doc: Mapping[str, Any], filters: Mapping[str, tuple[str, ...]]) -> bool:
    return all(set(keyword_values(doc.get(name))) & set(values) for name, values in filters.items())


def _sort_key(doc: Mapping[str, Any], sort: str) -> tuple[Any, ...]:
    if sort == "newest":
        return (-doc["created_at"], -doc["id"])
    if sort == "oldest":
        return (doc["created_at"], doc["id"])
    if sort == "name":
        return (name_sort_key(doc.get("title")), doc["id"])
    raise ValueError(f"the reference has no {sort!r} sort")


def reference_ids(docs: list[dict[str, Any]], q: PortalQuery) -> list[int]:
    """Every matching id of a query without text or vector, in sort order."""
    now = q.moment()
    found = [d for d in docs if visible(d, q.viewer_role, now) and _passes(d, q.filters)]
    return [d["id"] for d in sorted(found, key=lambda d: _sort_key(d, effective_sort(q)))]


def reference_facets(docs: list[dict[str, Any]], q: PortalQuery) -> dict[str, list[tuple[str, int]]]:
    """Disjunctive facet counts: each facet ignores its own filter; top values by count, then value."""
    now = q.moment()
    query_filters, facet_filters = split_filters(q)
    scope = [d for d in docs if visible(d, q.viewer_role, now) and _passes(d, query_filters)]
    out: dict[str, list[tuple[str, int]]] = {}
    for name in q.facets:
        others = {k: v for k, v in facet_filters.items() if k != name}
        counts: Counter[str] = Counter()
        for doc in scope:
            if _passes(doc, others):
                counts.update(set(keyword_values(doc.get(name))))
        out[name] = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[: q.facet_size]
    return out
