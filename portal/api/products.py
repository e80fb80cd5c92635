"""``/api/v1/products/<article_number>``: read and upsert one product with its linked assets."""

from __future__ import annotations

from flask import jsonify
from flask.typing import ResponseReturnValue

from models import Asset, Product, Role
from portal.api import api_bp, json_body
from portal.api import models as m
from portal.api.schema import operation
from portal.services.catalog import assets as asset_service
from portal.services.catalog import browse, variants
from portal.services.catalog.products import product_to_dict, upsert_product
from portal.services.governance.policy import require_role
from portal.web.context import runtime, viewer


@api_bp.get("/products/<path:article_number>")
@operation(responses={200: m.ProductWithAssets})
def get_product(article_number: str) -> ResponseReturnValue:
    """A product and the assets (visible to the caller) linked to it."""
    with runtime().db.session() as session:
        product = browse.get_product(session, article_number)
        page = asset_service.list_assets(session, viewer(), size=200, article_number=product.article_number)
        data = product_to_dict(product)
        own = {a.id for a in page.items if _serves_directly(a, product)}
        inherited = variants.inherited_for_article(session, product.article_number)
        data["assets"] = [
            {
                **asset_service.asset_summary(a, viewer()),
                "inherited_from": None if a.id in own else inherited.get(a.id),
            }
            for a in page.items
        ]
        data["asset_count"] = page.total
        return jsonify(data)


def _serves_directly(asset: Asset, product: Product) -> bool:
    """Linked to the product's article number or to its model code (not only inherited)."""
    return any(
        link.article_number == product.article_number
        or (link.model_code and link.model_code == product.model_code)
        for link in asset.links
    )


@api_bp.put("/products/<path:article_number>")
@operation(responses={200: m.Product, 201: m.Product}, body=m.ProductBody, errors=(403,))
def put_product(article_number: str) -> ResponseReturnValue:
    """Create or update one product (same rules as the file import). 201 created, 200 updated."""
    require_role(viewer(), Role.EDITOR)
    body = json_body()
    rt = runtime()
    with rt.db.transaction() as session:
        # The upsert also links assets that were waiting for this product.
        product, created = upsert_product(
            session,
            body,
            article_number=article_number,
            slash_replacement=rt.settings.filename_slash_replacement,
        )
        data = product_to_dict(product)
    return jsonify(data), 201 if created else 200
