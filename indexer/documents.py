"""Search documents built from the database: one flat, denormalised document per asset.

Everything a search or facet needs is copied in: the asset's metadata and current version, its tags, and
every product it shows (an article-number link is one variant, a model-code link is every variant of the
model), including one ``attr.<name>`` facet field per product attribute. Assets are read in chunks with a
fixed number of queries per chunk (no per-asset queries), so a full reindex of 100k assets stays quick.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer import variants
from indexer.analysis import normalize_article
from indexer.custom_fields import FieldSpec, document_fields, load_specs
from indexer.schema import (
    LOCALIZED_NAMES_FIELD,
    LOCALIZED_TEXT_FIELD,
    VARIANT_TEXT_FIELD,
    VECTOR_FIELD,
    attr_field,
    attr_values,
    duration_band,
    measure_forms_of,
    megapixel_band,
    page_band,
)
from models import Asset, AssetProduct, AssetStatus, AssetTag, AssetVersion, Product, User

CHUNK = 1000
KEY_CHUNK = 500  # keys per IN (...) list
AUTO_TAG_SOURCES = frozenset({"auto"})


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def public_status(status: str, approved_version_id: int | None) -> str:
    """The status partners and the public go by: a new version in review keeps the last approved one out
    (the twin of ``portal.services.governance.policy.visible_assets``)."""
    if status == AssetStatus.IN_REVIEW.value and approved_version_id is not None:
        return AssetStatus.APPROVED.value
    return status


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def _add(values: list[str], value: str | None) -> None:
    if value and value not in values:
        values.append(value)


def build_documents(
    session: Session,
    asset_ids: Sequence[int],
    vectors: Mapping[int, Sequence[float]] | None = None,
) -> tuple[list[dict[str, Any]], list[int]]:
    """Documents for the assets that exist, and the ids that no longer exist (to delete from the index).

    ``vectors`` (asset id -> embedding) adds a ``vector`` field to those documents.
    """
    wanted = sorted({int(i) for i in asset_ids})
    docs: list[dict[str, Any]] = []
    found: set[int] = set()
    cache = _ProductCache(specs=load_specs(session))
    for chunk in _chunks(wanted, CHUNK):
        for doc in _chunk_documents(session, chunk, cache):
            found.add(doc["id"])
            vector = vectors.get(doc["id"]) if vectors is not None else None
            if vector is not None:
                doc[VECTOR_FIELD] = [float(v) for v in vector]
            docs.append(doc)
    return docs, [i for i in wanted if i not in found]


_COLUMNS = (
    Asset.id,
    Asset.title,
    Asset.description,
    Asset.original_filename,
    Asset.media_kind,
    Asset.status,
    Asset.approved_version_id,
    Asset.visibility,
    Asset.rights_expire_at,
    Asset.created_at,
    AssetVersion.format,
    AssetVersion.mime_type,
    AssetVersion.orientation,
    AssetVersion.color_mode,
    AssetVersion.width,
    AssetVersion.height,
    AssetVersion.pages,
    AssetVersion.facts,
    AssetVersion.content,
    User.email,
    Asset.custom_fields,
)


def _chunk_documents(session: Session, ids: Sequence[int], cache: _ProductCache) -> list[dict[str, Any]]:
    # Plain columns, not entities: no identity map or relationship loading for thousands of rows.
    rows = session.execute(
        select(*_COLUMNS)
        .outerjoin(AssetVersion, AssetVersion.id == Asset.current_version_id)
        .outerjoin(User, User.id == Asset.uploaded_by_id)
        .where(Asset.id.in_(ids))
        .order_by(Asset.id)
    ).all()
    if not rows:
        return []
    tags: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for asset_id, tag, source in session.execute(
        select(AssetTag.asset_id, AssetTag.tag, AssetTag.source).where(AssetTag.asset_id.in_(ids))
    ):
        tags[asset_id].append((tag, source))
    links: dict[int, list[tuple[str | None, str | None]]] = defaultdict(list)
    for asset_id, article, model in session.execute(
        select(AssetProduct.asset_id, AssetProduct.article_number, AssetProduct.model_code)
        .where(AssetProduct.asset_id.in_(ids))
        .order_by(AssetProduct.id)
    ):
        links[asset_id].append((article, model))
    _products(session, links, cache)
    inherited = variants.for_assets(session, ids).by_asset()
    _inherited_products(session, inherited, cache)
    heirs = {a for items in inherited.values() for a in items}
    values = {
        a: [v for _key, items in info.attributes for v in items]
        for a in heirs
        if (info := cache.by_article.get(a)) is not None
    }
    docs = []
    for row in rows:
        doc = _document(dict(row._mapping), tags.get(row.id, []), links.get(row.id, []), cache)
        doc.update(inherited_fields(inherited.get(row.id, {}), values))
        docs.append(doc)
    return docs


def _inherited_products(
    session: Session, inherited: Mapping[int, Mapping[str, str]], cache: _ProductCache
) -> None:
    """Add the inheriting variants to ``cache`` (their article numbers and attributes are searched)."""
    wanted = sorted({a for items in inherited.values() for a in items} - cache.by_article.keys())
    for chunk in _chunks(wanted, KEY_CHUNK):
        for row in session.execute(select(*_PRODUCT_COLUMNS).where(Product.article_number.in_(chunk))):
            cache.by_article[row.article_number] = _product_info(row)


def inherited_fields(inherited: Mapping[str, str], attributes: Mapping[str, Iterable[str]]) -> dict[str, Any]:
    """The searched text of what a document serves by inheritance: per inheriting variant its article
    number (also separator-free: ``AB-12.3`` -> ``ab123``) and its attribute values (``2.5l``, ``XL``).
    ``attributes``: article number -> its attribute values."""
    words: list[str] = []
    for article in sorted(inherited):
        _add(words, article)
        _add(words, normalize_article(article))
        for value in attributes.get(article, ()):
            _add(words, value)
    return {VARIANT_TEXT_FIELD: measure_forms_of(words)} if words else {}


@dataclass(frozen=True)
class _ProductInfo:
    """What a product contributes to a document, worked out once per product (not once per asset)."""

    article_number: str
    model_code: str | None
    name: str
    category: str | None
    product_type: str | None
    brand: str | None
    attributes: tuple[tuple[str, tuple[str, ...]], ...]
    # Names and descriptions in other languages (``Product.translations``).
    localized_names: tuple[str, ...] = ()
    localized_text: tuple[str, ...] = ()


def _product_info(row: Any) -> _ProductInfo:
    attrs: dict[str, list[str]] = {}
    for name, value in sorted((row.attributes or {}).items()):
        key = attr_field(name)
        if key is not None:
            values = attrs.setdefault(key, [])
            for item in attr_values(value):
                _add(values, item)
    return _ProductInfo(
        row.article_number,
        row.model_code,
        row.name,
        row.category,
        row.product_type,
        row.brand,
        tuple((key, tuple(values)) for key, values in attrs.items() if values),
        *_localized(row.translations),
    )


def _localized(translations: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names: list[str] = []
    texts: list[str] = []
    for _lang, values in sorted((translations or {}).items()):
        if isinstance(values, dict):
            _add(names, values.get("name"))
            _add(texts, values.get("description"))
    return tuple(names), tuple(texts)


_PRODUCT_COLUMNS = (
    Product.article_number,
    Product.model_code,
    Product.name,
    Product.category,
    Product.product_type,
    Product.brand,
    Product.attributes,
    Product.translations,
)


@dataclass
class _ProductCache:
    """Products already read during one ``build_documents`` call (chunks share most of them)."""

    by_article: dict[str, _ProductInfo | None] = field(default_factory=dict)
    by_model: dict[str, list[_ProductInfo]] = field(default_factory=dict)
    # The custom field definitions, read once per call (a reindex job follows every definition change).
    specs: list[FieldSpec] = field(default_factory=list)


def _products(
    session: Session, links: Mapping[int, list[tuple[str | None, str | None]]], cache: _ProductCache
) -> _ProductCache:
    """Fill ``cache`` with the products a chunk links to: by article number, and every variant by model."""
    articles = sorted({a for items in links.values() for a, _ in items if a} - cache.by_article.keys())
    models = sorted({m for items in links.values() for _, m in items if m} - cache.by_model.keys())
    conditions = [Product.article_number.in_(chunk) for chunk in _chunks(articles, KEY_CHUNK)]
    conditions += [Product.model_code.in_(chunk) for chunk in _chunks(models, KEY_CHUNK)]
    found: dict[str, _ProductInfo] = {}
    for condition in conditions:
        for row in session.execute(select(*_PRODUCT_COLUMNS).where(condition)):
            if row.article_number not in found:
                found[row.article_number] = _product_info(row)
    for number in articles:
        cache.by_article[number] = found.get(number)  # None: a link to a product deleted since
    for model in models:
        cache.by_model[model] = []
    for number in sorted(found):
        info = found[number]
        cache.by_article.setdefault(number, info)
        if info.model_code in models:
            cache.by_model[info.model_code].append(info)
    return cache


def _document(
    row: Mapping[str, Any],
    tags: list[tuple[str, str]],
    links: list[tuple[str | None, str | None]],
    products: _ProductCache,
) -> dict[str, Any]:
    manual = sorted({t for t, source in tags if source not in AUTO_TAG_SOURCES})
    auto = sorted({t for t, source in tags if source in AUTO_TAG_SOURCES})
    created = _epoch(row["created_at"])
    facts: Mapping[str, Any] = row["facts"] or {}
    doc: dict[str, Any] = {
        "id": row["id"],
        "title": row["title"],
        "description": row["description"],
        "original_filename": row["original_filename"],
        "file_type": row["format"],
        "mime_type": row["mime_type"],
        "media_kind": row["media_kind"],
        "orientation": row["orientation"],
        "megapixel_band": megapixel_band(row["width"], row["height"]),
        "duration_band": duration_band(facts.get("duration_s")),
        "page_band": page_band(row["pages"] or facts.get("pages")),
        "codec": facts.get("codec"),
        "content": row["content"],
        "color_mode": row["color_mode"],
        "width": row["width"],
        "height": row["height"],
        "tags": manual,
        "auto_tags": auto,
        "status": row["status"],
        "public_status": public_status(row["status"], row["approved_version_id"]),
        "visibility": row["visibility"],
        "rights_expire_at": _epoch(row["rights_expire_at"]),
        # Whole seconds: the "newest" sort breaks ties within a second by id, the same in both engines.
        "created_at": int(created // 1) if created is not None else 0,
        "uploaded_by": row["email"],
        "collections": [],
    }
    doc.update(_product_fields(links, products))
    doc.update(document_fields(products.specs, row["custom_fields"]))
    return doc


def _product_fields(links: list[tuple[str | None, str | None]], cache: _ProductCache) -> dict[str, Any]:
    articles: list[str] = []
    models: list[str] = []
    products: list[_ProductInfo] = []
    for article, model in links:
        if article:
            _add(articles, article)  # kept even when the product was deleted since: the link names it
            product = cache.by_article.get(article)
            if product is not None:
                products.append(product)
                _add(models, product.model_code)
        if model:
            _add(models, model)
            for variant in cache.by_model.get(model, []):
                _add(articles, variant.article_number)
                products.append(variant)
    fields: dict[str, list[str]] = {
        "article_numbers": articles,
        "model_codes": models,
        "product_names": [],
        "category": [],
        "product_type": [],
        "brand": [],
        LOCALIZED_NAMES_FIELD: [],
        LOCALIZED_TEXT_FIELD: [],
    }
    attrs: dict[str, list[str]] = {}
    for product in products:
        _add(fields["product_names"], product.name)
        for name in product.localized_names:
            _add(fields[LOCALIZED_NAMES_FIELD], name)
        for text in product.localized_text:
            _add(fields[LOCALIZED_TEXT_FIELD], text)
        _add(fields["category"], product.category)
        _add(fields["product_type"], product.product_type)
        _add(fields["brand"], product.brand)
        for key, values in product.attributes:
            known = attrs.setdefault(key, [])
            for item in values:
                _add(known, item)
    fields.update({key: values for key, values in sorted(attrs.items())})
    return fields
