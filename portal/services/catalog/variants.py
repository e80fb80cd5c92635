"""Variant inheritance for pages, the API, packages and link tables (the rule: ``indexer.variants``).

An asset linked to one variant also serves the model's other variants that have no asset of their own of
its media kind; those show it as "inherited from <article number>". Search documents use the same rule
(``indexer.documents``), so search, product pages, the API, packages and link tables always agree.
Inheritance only adds candidates: every consumer still filters them through the viewer's permissions.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer import variants as rule
from models import AssetProduct
from portal.services.search import sync as search_sync


def inheritance_enabled() -> bool:
    """True unless ``ASSETPORT_VARIANT_INHERITANCE`` switches inheritance off (on by default)."""
    return rule.enabled()


def inherited_for_articles(session: Session, article_numbers: Collection[str]) -> dict[str, dict[int, str]]:
    """Per article number: the asset ids it inherits and the sibling article each comes from."""
    wanted = {a for a in article_numbers if a}
    if not wanted or not rule.enabled():
        return {}
    found = rule.for_articles(session, wanted)
    return {article: found.for_article(article) for article in sorted(wanted) if found.for_article(article)}


def inherited_for_article(session: Session, article_number: str) -> dict[int, str]:
    """The asset ids this article inherits from its siblings -> the article number each comes from."""
    return inherited_for_articles(session, [article_number]).get(article_number, {})


def inherited_by_asset(session: Session, asset_id: int) -> dict[str, str]:
    """The article numbers an asset serves by inheritance -> the sibling it is linked to."""
    if not rule.enabled():
        return {}
    return rule.for_assets(session, [asset_id]).by_asset().get(asset_id, {})


def sibling_assets(
    session: Session, article_numbers: Collection[str | None], model_codes: Collection[str | None]
) -> set[int]:
    """Assets of the sibling variants of these articles and models (none when inheritance is off): their
    search documents change when a link to one of these changes."""
    return rule.sibling_asset_ids(session, {a for a in article_numbers if a}, {m for m in model_codes if m})


def status_changed(session: Session, asset_id: int, before: str, after: str) -> None:
    """An asset went into or out of service (archived, rejected): its siblings' documents change."""
    if (before in rule.RETIRED) == (after in rule.RETIRED) or not rule.enabled():
        return
    rows = session.execute(
        select(AssetProduct.article_number, AssetProduct.model_code).where(AssetProduct.asset_id == asset_id)
    ).all()
    siblings = sibling_assets(session, [a for a, _m in rows], [m for _a, m in rows]) - {asset_id}
    search_sync.assets_changed(session, siblings)


def inherited_note(source: str) -> str:
    """How pages, the API and reports say it: ``inherited from 546451996``."""
    return f"inherited from {source}"
