"""Browsing the catalogue: product listing and search (text and category, paged), category counts, and
a product with its variants and the assets the viewer may see."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from models import (
    Asset,
    AssetProduct,
    AssetVersion,
    PreviewState,
    Product,
)
from portal.errors import NotFound
from portal.services.catalog import assets as asset_service
from portal.services.catalog import variants
from portal.services.catalog.product_locales import ProductText, display_text
from portal.services.governance.policy import (
    Viewer,
    visible_assets,
)
from portal.services.paging import Page

MAX_QUERY = 200


# --- products ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryCount:
    """A category and how many products (matching the text query) it holds."""

    name: str
    count: int


def _like_pattern(word: str) -> str:
    """A case-insensitive ``LIKE`` pattern matching ``word`` anywhere, with wildcards escaped."""
    escaped = word.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text_condition(q: str | None) -> ColumnElement[bool] | None:
    """Every word of ``q`` must occur in the article number, the name or the model code."""
    words = (q or "").strip()[:MAX_QUERY].split()
    if not words:
        return None
    columns = (Product.article_number, Product.name, Product.model_code)
    per_word = [
        or_(*(func.lower(col).like(_like_pattern(word), escape="\\") for col in columns)) for word in words
    ]
    return and_(*per_word)


def search_products(
    session: Session, *, q: str | None = None, category: str | None = None, page: int = 1, size: int = 48
) -> Page[Product]:
    """Products matching the text (article number, name, model code) and category, by name then number."""
    where: list[ColumnElement[bool]] = []
    text = _text_condition(q)
    if text is not None:
        where.append(text)
    if category:
        where.append(Product.category == category)
    total = session.scalar(select(func.count(Product.id)).where(*where)) or 0
    rows = session.scalars(
        select(Product)
        .where(*where)
        .order_by(Product.name, Product.article_number)
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    return Page[Product](list(rows), total, page, size)


def category_counts(session: Session, *, q: str | None = None) -> list[CategoryCount]:
    """Categories with their product counts for the text query (ignoring the category selection itself,
    so every category stays selectable), most products first."""
    where: list[ColumnElement[bool]] = [Product.category.is_not(None), Product.category != ""]
    text = _text_condition(q)
    if text is not None:
        where.append(text)
    count = func.count(Product.id)
    rows = session.execute(
        select(Product.category, count)
        .where(*where)
        .group_by(Product.category)
        .order_by(count.desc(), Product.category)
    ).all()
    return [CategoryCount(str(name), int(n)) for name, n in rows]


@dataclass(frozen=True)
class ProductMedia:
    """How many assets the viewer may see for a product, and one to show as its thumbnail."""

    count: int
    thumb_asset_id: int | None


def product_media(session: Session, viewer: Viewer, products: list[Product]) -> dict[str, ProductMedia]:
    """Per article number: the visible assets linked to it directly or through its model code, and the
    oldest one with a ready preview (direct links first) as the thumbnail. One query for the whole page."""
    if not products:
        return {}
    articles = sorted({p.article_number for p in products})
    models = sorted({p.model_code for p in products if p.model_code})
    inherited = variants.inherited_for_articles(session, articles)
    key_match: ColumnElement[bool] = AssetProduct.article_number.in_(articles)
    if models:
        key_match = or_(key_match, AssetProduct.model_code.in_(models))
    inherited_ids = sorted({a for ids in inherited.values() for a in ids})
    if inherited_ids:
        key_match = or_(key_match, Asset.id.in_(inherited_ids))
    rows = session.execute(
        select(AssetProduct.article_number, AssetProduct.model_code, Asset.id, AssetVersion.preview_state)
        .join(Asset, Asset.id == AssetProduct.asset_id)
        .outerjoin(AssetVersion, AssetVersion.id == Asset.current_version_id)
        .where(visible_assets(viewer), key_match)
    ).all()
    by_article: dict[str, set[int]] = {}
    by_model: dict[str, set[int]] = {}
    ready: set[int] = set()
    visible: set[int] = set()
    for article, model, asset_id, state in rows:
        visible.add(asset_id)
        if article:
            by_article.setdefault(article, set()).add(asset_id)
        if model:
            by_model.setdefault(model, set()).add(asset_id)
        if state == PreviewState.READY.value:
            ready.add(asset_id)
    media: dict[str, ProductMedia] = {}
    for product in products:
        direct = by_article.get(product.article_number, set())
        shared = by_model.get(product.model_code, set()) if product.model_code else set()
        # Inherited from a sibling variant: only what the viewer may see (the query filtered it).
        heirs = set(inherited.get(product.article_number, {})) & visible
        thumb = min(direct & ready, default=None) or min(shared & ready, default=None)
        thumb = thumb or min(heirs & ready, default=None)
        media[product.article_number] = ProductMedia(len(direct | shared | heirs), thumb)
    return media


@dataclass(frozen=True)
class PickedKey:
    """A key a product picker holds, as its chip shows it: a product (name, thumbnail of an asset the
    viewer may see), a model code (``model`` True) or a key nothing is known by (``known`` False)."""

    key: str
    name: str | None = None
    thumb_asset_id: int | None = None
    model: bool = False
    known: bool = True


def picked_keys(session: Session, viewer: Viewer, keys: Sequence[str]) -> list[PickedKey]:
    """The chips of a picker shown again (a form redisplayed after an error): the keys in their order,
    each once, looked up in two queries, so a chosen product keeps its name and thumbnail."""
    wanted = list(dict.fromkeys(k.strip()[:MAX_QUERY] for k in keys if k and k.strip()))
    if not wanted:
        return []
    products = session.scalars(select(Product).where(Product.article_number.in_(wanted))).all()
    by_key = {p.article_number: p for p in products}
    models = set(
        session.scalars(select(Product.model_code).where(Product.model_code.in_(wanted)).distinct()).all()
    )
    media = product_media(session, viewer, list(products))
    out: list[PickedKey] = []
    for key in wanted:
        product = by_key.get(key)
        if product is not None:
            out.append(PickedKey(key, product.name, media[key].thumb_asset_id if key in media else None))
        else:
            out.append(PickedKey(key, model=key in models, known=key in models))
    return out


@dataclass
class ProductDetail:
    """A product page: the product, its sibling variants and one page of its visible assets."""

    product: Product
    siblings: list[Product]
    assets: Page[Asset]
    # Per asset id: "article" when linked to this article number, "model" when through the model code,
    # "inherited" when it serves this variant for a sibling (``inherited_from`` names the sibling).
    link_kind: dict[int, str] = field(default_factory=dict)
    inherited_from: dict[int, str] = field(default_factory=dict)
    # The name and description in the viewer's language where the product has them.
    text: ProductText | None = None


def get_product(session: Session, article_number: str) -> Product:
    """One product by article number (NotFound otherwise), the number taken as an upsert stores it:
    trimmed and in NFC, so the URL a client PUT to also reads the product back."""
    number = unicodedata.normalize("NFC", article_number).strip()
    product = session.scalars(select(Product).where(Product.article_number == number)).first()
    if product is None:
        raise NotFound(f"unknown article number: {article_number}")
    return product


def product_detail(
    session: Session,
    viewer: Viewer,
    article_number: str,
    *,
    page: int = 1,
    size: int = 48,
    languages: Sequence[str] = (),
    default_language: str = "en",
) -> ProductDetail:
    """The product, the other variants of its model and the assets the viewer may see (direct links,
    model-code links and assets inherited from sibling variants), its text in the first of ``languages``
    it has."""
    product = get_product(session, article_number)
    siblings: list[Product] = []
    if product.model_code:
        siblings = list(
            session.scalars(
                select(Product)
                .where(Product.model_code == product.model_code, Product.id != product.id)
                .order_by(Product.article_number)
            ).all()
        )
    assets = asset_service.list_assets(session, viewer, page=page, size=size, article_number=article_number)
    kinds: dict[int, str] = {}
    inherited = variants.inherited_for_article(session, product.article_number)
    sources: dict[int, str] = {}
    for asset in assets.items:
        direct = any(link.article_number == product.article_number for link in asset.links)
        shared = any(link.model_code and link.model_code == product.model_code for link in asset.links)
        if direct or shared or asset.id not in inherited:
            kinds[asset.id] = "article" if direct else "model"
        else:
            kinds[asset.id] = "inherited"
            sources[asset.id] = inherited[asset.id]
    text = display_text(product.name, product.description, product.translations, languages, default_language)
    return ProductDetail(product, siblings, assets, kinds, sources, text)
