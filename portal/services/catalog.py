"""What the catalogue pages show and change, without Flask.

Product listing and search (text and category, paged), category counts, a product with its variants and
the assets the viewer may see, the data of an asset's detail page, and editing an asset's descriptive
metadata (title, description, tags, rights note) with validation and an audit event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from models import (
    Asset,
    AssetProduct,
    AssetTag,
    AssetVersion,
    LinkSource,
    PreviewState,
    Product,
    Role,
)
from portal.errors import NotFound, ValidationError
from portal.services import assets as asset_service
from portal.services import audit, linking, search_sync, webhooks
from portal.services.paging import Page
from portal.services.policy import (
    Viewer,
    require_role,
    visible_assets,
)

MAX_QUERY = 200
MAX_TITLE = 500
MAX_DESCRIPTION = 20_000
MAX_RIGHTS_NOTE = 5_000
MAX_TAG = 100
MAX_TAGS = 100
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG_SPLIT = re.compile(r"[,;\n]")


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
    key_match: ColumnElement[bool] = AssetProduct.article_number.in_(articles)
    if models:
        key_match = or_(key_match, AssetProduct.model_code.in_(models))
    rows = session.execute(
        select(AssetProduct.article_number, AssetProduct.model_code, Asset.id, AssetVersion.preview_state)
        .join(Asset, Asset.id == AssetProduct.asset_id)
        .outerjoin(AssetVersion, AssetVersion.id == Asset.current_version_id)
        .where(visible_assets(viewer), key_match)
    ).all()
    by_article: dict[str, set[int]] = {}
    by_model: dict[str, set[int]] = {}
    ready: set[int] = set()
    for article, model, asset_id, state in rows:
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
        thumb = min(direct & ready, default=None) or min(shared & ready, default=None)
        media[product.article_number] = ProductMedia(len(direct | shared), thumb)
    return media


@dataclass
class ProductDetail:
    """A product page: the product, its sibling variants and one page of its visible assets."""

    product: Product
    siblings: list[Product]
    assets: Page[Asset]
    # Per asset id: "article" when linked to this article number, "model" when through the model code.
    link_kind: dict[int, str] = field(default_factory=dict)


def get_product(session: Session, article_number: str) -> Product:
    """One product by article number (NotFound otherwise)."""
    product = session.scalars(select(Product).where(Product.article_number == article_number)).first()
    if product is None:
        raise NotFound(f"unknown article number: {article_number}")
    return product


def product_detail(
    session: Session, viewer: Viewer, article_number: str, *, page: int = 1, size: int = 48
) -> ProductDetail:
    """The product, the other variants of its model and the assets the viewer may see (direct links and
    model-code links alike)."""
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
    for asset in assets.items:
        direct = any(link.article_number == product.article_number for link in asset.links)
        kinds[asset.id] = "article" if direct else "model"
    return ProductDetail(product, siblings, assets, kinds)


# --- asset detail -----------------------------------------------------------------------------------


def link_product(
    session: Session, viewer: Viewer, asset_id: int, key: str, *, ip: str | None = None
) -> AssetProduct:
    """Link an asset by hand to an article number or a model code (editors and above); an unknown key is
    NotFound, an empty one a ValidationError. Recorded in the audit trail."""
    require_role(viewer, Role.EDITOR)
    asset = asset_service.get_asset(session, viewer, asset_id)
    link = linking.add_link(session, asset, key, LinkSource.MANUAL, viewer.user_id)
    kind = "model" if link.model_code else "article"
    audit.record(
        session, "asset.link", actor_id=viewer.user_id, asset_id=asset.id, target=link.key, ip=ip, kind=kind
    )
    search_sync.assets_changed(session, [asset.id])
    return link


def unlink_product(
    session: Session, viewer: Viewer, asset_id: int, link_id: int, *, ip: str | None = None
) -> str:
    """Remove one product link (editors and above); returns the key it named. Recorded in the audit trail."""
    require_role(viewer, Role.EDITOR)
    asset = asset_service.get_asset(session, viewer, asset_id)
    key = next((link.key for link in asset.links if link.id == link_id), None)
    linking.remove_link(session, asset, link_id)
    audit.record(session, "asset.unlink", actor_id=viewer.user_id, asset_id=asset.id, target=key, ip=ip)
    search_sync.assets_changed(session, [asset.id])
    return key or ""


# --- asset metadata edit ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MetadataEdit:
    """Validated new values of an asset's descriptive fields; ``tags`` None leaves the tags alone."""

    title: str
    description: str | None
    rights_note: str | None
    tags: list[str] | None = None


def _clean(name: str, value: str | None, limit: int, *, single_line: bool) -> str | None:
    text = _CONTROL.sub("", value or "").strip()
    if single_line:
        text = " ".join(text.split())
    if len(text) > limit:
        raise ValidationError(f"{name} is longer than {limit} characters")
    return text or None


def parse_tags(raw: str) -> list[str]:
    """Tags from a comma (or semicolon, or line) separated text: trimmed, lower-case, unique, in order."""
    seen: dict[str, None] = {}
    for part in _TAG_SPLIT.split(raw or ""):
        tag = " ".join(_CONTROL.sub("", part).split()).lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG:
            raise ValidationError(f"tag {tag[:20]!r}... is longer than {MAX_TAG} characters")
        seen.setdefault(tag, None)
    if len(seen) > MAX_TAGS:
        raise ValidationError(f"at most {MAX_TAGS} tags per asset")
    return list(seen)


def parse_metadata_form(form: Mapping[str, str]) -> MetadataEdit:
    """Validate the edit form's fields (``title``, ``description``, ``rights_note``, optional ``tags``)."""
    title = _clean("title", form.get("title"), MAX_TITLE, single_line=True)
    if not title:
        raise ValidationError("the title must not be empty")
    tags = parse_tags(form["tags"]) if "tags" in form else None
    return MetadataEdit(
        title=title,
        description=_clean("description", form.get("description"), MAX_DESCRIPTION, single_line=False),
        rights_note=_clean("rights note", form.get("rights_note"), MAX_RIGHTS_NOTE, single_line=False),
        tags=tags,
    )


def update_asset_metadata(
    session: Session, viewer: Viewer, asset_id: int, edit: MetadataEdit, *, ip: str | None = None
) -> list[str]:
    """Apply an edit (editors and above); returns the names of the changed fields and records them in
    the audit trail. An edit that changes nothing records nothing."""
    require_role(viewer, Role.EDITOR)
    asset = asset_service.get_asset(session, viewer, asset_id)
    changed: list[str] = []
    for name in ("title", "description", "rights_note"):
        new = getattr(edit, name)
        if getattr(asset, name) != new:
            setattr(asset, name, new)
            changed.append(name)
    if edit.tags is not None:
        current = {t.tag: t for t in asset.tags}
        wanted = set(edit.tags)
        if set(current) != wanted:
            for tag, row in current.items():
                if tag not in wanted:
                    asset.tags.remove(row)
            for tag in edit.tags:
                if tag not in current:
                    asset.tags.append(AssetTag(tag=tag, source="manual"))
            changed.append("tags")
    if changed:
        audit.record(session, "asset.edit", actor_id=viewer.user_id, asset_id=asset.id, ip=ip, fields=changed)
        search_sync.assets_changed(session, [asset.id])
        webhooks.emit_asset_event(session, "asset.updated", asset.id)
    return changed
