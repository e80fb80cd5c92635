"""Product pages: the searchable, filterable list and one product with its variants and assets."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import login_required

from portal.services.catalog import browse as catalog
from portal.services.catalog import product_locales
from portal.services.paging import parse_paging
from portal.web.context import runtime, viewer

products_bp = Blueprint("products", __name__)


@products_bp.get("/products")
@login_required
def index() -> ResponseReturnValue:
    """Products by text (article number, name, model code) and category, with category counts."""
    page, size = parse_paging(request.args.get("page"), request.args.get("size"), default_size=50)
    q = (request.args.get("q") or "").strip()[: catalog.MAX_QUERY]
    category = (request.args.get("category") or "").strip()
    with runtime().db.session() as session:
        result = catalog.search_products(session, q=q, category=category or None, page=page, size=size)
        categories = catalog.category_counts(session, q=q)
        media = catalog.product_media(session, viewer(), result.items)
        languages = product_locales.preferred_languages(request.headers.get("Accept-Language"))
        default = runtime().settings.content_language
        names = {
            p.article_number: product_locales.display_text(p.name, None, p.translations, languages, default)
            for p in result.items
        }
        return render_template(
            "products/index.html",
            result=result,
            categories=categories,
            media=media,
            q=q,
            category=category,
            names=names,
        )


@products_bp.get("/products/<path:article_number>")
@login_required
def detail(article_number: str) -> ResponseReturnValue:
    """One product: attributes, price, variants of its model and the assets the viewer may see."""
    page, size = parse_paging(request.args.get("page"), request.args.get("size"))
    with runtime().db.session() as session:
        data = catalog.product_detail(
            session,
            viewer(),
            article_number,
            page=page,
            size=size,
            languages=product_locales.preferred_languages(request.headers.get("Accept-Language")),
            default_language=runtime().settings.content_language,
        )
        return render_template("products/detail.html", data=data, product=data.product)
