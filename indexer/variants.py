"""Variants share their model's pictures: the one rule of inheritance, for every consumer.

An asset linked to one variant (by article number) also serves the model's other variants that have no
asset of their own for that purpose. The purpose of an asset is its media kind (image, video, document,
...): a variant with its own image inherits no image, but still inherits its sibling's video. A model-code
link already serves every variant, so it counts as every variant's own asset of its kind.

The rule is structural (links, products and media kinds; archived and rejected assets are out of it, but
never visibility or who is asking): what a viewer sees of an inherited asset is decided by the same
permission checks as for any other asset, so inheritance never widens what a role may see.
``ASSETPORT_VARIANT_INHERITANCE=false`` switches it off.

``compute`` is the pure rule; ``for_models`` / ``for_articles`` / ``for_assets`` read what it needs in a few
queries. Search documents (``indexer.documents``), product pages, the API, packages and link tables all go
through these (``portal.services.catalog.variants``).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from models import Asset, AssetProduct, Product

ENV_INHERITANCE = "ASSETPORT_VARIANT_INHERITANCE"
# Assets out of service (archived, rejected) neither count as a variant's own nor serve its siblings.
RETIRED = ("archived", "rejected")
_OFF = frozenset({"0", "false", "no", "off"})
KEY_CHUNK = 500


def enabled() -> bool:
    """True unless ``ASSETPORT_VARIANT_INHERITANCE`` says false/0/no/off (on by default)."""
    return os.environ.get(ENV_INHERITANCE, "true").strip().lower() not in _OFF


# (asset id, article number or None, model code or None, media kind)
LinkRow = tuple[int, str | None, str | None, str]


@dataclass
class Inheritance:
    """Who inherits what: per article number, the inherited asset ids and the article each comes from."""

    by_article: dict[str, dict[int, str]] = field(default_factory=dict)

    def for_article(self, article_number: str) -> dict[int, str]:
        """Asset id -> the sibling article number it is inherited from (empty: nothing inherited)."""
        return self.by_article.get(article_number, {})

    def by_asset(self) -> dict[int, dict[str, str]]:
        """Asset id -> {article number that inherits it: the article it comes from}."""
        out: dict[int, dict[str, str]] = defaultdict(dict)
        for article, assets in self.by_article.items():
            for asset_id, source in assets.items():
                out[asset_id][article] = source
        return dict(out)


def compute(variants: Iterable[tuple[str, str | None]], links: Iterable[LinkRow]) -> Inheritance:
    """The inheritance among ``variants`` ((article number, model code)) given every link to them.

    ``links`` must hold every link to those articles and their model codes (else a variant's own asset may
    be missed). Each inherited asset names the first sibling (by article number) it is linked to.
    """
    members: dict[str, list[str]] = defaultdict(list)
    for number, code in variants:
        if code:
            members[code].append(number)
    own_kinds: dict[str, set[str]] = defaultdict(set)
    model_kinds: dict[str, set[str]] = defaultdict(set)
    direct: dict[str, dict[int, str]] = defaultdict(dict)  # article -> {asset: kind}
    for asset_id, article, model, kind in links:
        if article:
            own_kinds[article].add(kind)
            direct[article][asset_id] = kind
        elif model:
            model_kinds[model].add(kind)
    result = Inheritance()
    for model, articles in members.items():
        ordered = sorted(set(articles))
        for article in ordered:
            own = own_kinds.get(article, set()) | model_kinds.get(model, set())
            inherited: dict[int, str] = {}
            for source in ordered:
                if source == article:
                    continue
                for asset_id, kind in sorted(direct.get(source, {}).items()):
                    if kind not in own and asset_id not in direct.get(article, {}):
                        inherited.setdefault(asset_id, source)
            if inherited:
                result.by_article[article] = inherited
    return result


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), KEY_CHUNK):
        yield items[start : start + KEY_CHUNK]


def for_models(session: Session, model_codes: Collection[str]) -> Inheritance:
    """The inheritance within these models (every variant of each), read in two queries per 500 models."""
    models = sorted({m for m in model_codes if m})
    if not models or not enabled():
        return Inheritance()
    return _read(session, [Product.model_code.in_(chunk) for chunk in _chunks(models)])


def _read(session: Session, model_conditions: Sequence[ColumnElement[bool]]) -> Inheritance:
    """Every variant of the models ``model_conditions`` (on ``Product.model_code``) pick, and every link
    to them (by article number or model code) with its asset's media kind."""
    variants: list[tuple[str, str | None]] = []
    links: list[LinkRow] = []
    columns = (AssetProduct.asset_id, AssetProduct.article_number, AssetProduct.model_code, Asset.media_kind)
    for condition in model_conditions:
        found = [
            (a, m)
            for a, m in session.execute(select(Product.article_number, Product.model_code).where(condition))
        ]
        if not found:
            continue
        variants.extend(found)
        models = sorted({m for _a, m in found if m})
        members = select(Product.article_number).where(condition)
        rows = (
            select(*columns)
            .join(Asset, Asset.id == AssetProduct.asset_id)
            .where(or_(AssetProduct.article_number.in_(members), AssetProduct.model_code.in_(models)))
            .where(Asset.status.not_in(RETIRED))
        )
        links.extend((a, n, m, k) for a, n, m, k in session.execute(rows))
    return compute(variants, links)


def models_of_articles(session: Session, article_numbers: Collection[str]) -> set[str]:
    """The model codes of these article numbers (those that have one)."""
    found: set[str] = set()
    for chunk in _chunks(sorted({a for a in article_numbers if a})):
        rows = select(Product.model_code).where(Product.article_number.in_(chunk))
        found.update(m for m in session.scalars(rows) if m)
    return found


def for_articles(session: Session, article_numbers: Collection[str]) -> Inheritance:
    """The inheritance within the models of these article numbers."""
    if not enabled():
        return Inheritance()
    return for_models(session, models_of_articles(session, article_numbers))


def for_assets(session: Session, asset_ids: Collection[int]) -> Inheritance:
    """The inheritance within the models these assets are linked to by article number (two queries per
    500 assets)."""
    ids = sorted({int(i) for i in asset_ids})
    if not ids or not enabled():
        return Inheritance()
    conditions: list[ColumnElement[bool]] = []
    for start in range(0, len(ids), KEY_CHUNK):
        linked = (
            select(Product.model_code)
            .join(AssetProduct, AssetProduct.article_number == Product.article_number)
            .where(AssetProduct.asset_id.in_(ids[start : start + KEY_CHUNK]), Product.model_code.is_not(None))
        )
        conditions.append(Product.model_code.in_(linked))
    return _read(session, conditions)


def sibling_asset_ids(
    session: Session, article_numbers: Collection[str], model_codes: Collection[str]
) -> set[int]:
    """Assets linked by article number to any variant of these models or of these articles' models: the
    documents whose inherited article numbers may change when one of them changes."""
    if not enabled():
        return set()
    models = set(model_codes) | models_of_articles(session, article_numbers)
    found: set[int] = set()
    for chunk in _chunks(sorted(m for m in models if m)):
        variants = select(Product.article_number).where(Product.model_code.in_(chunk))
        rows = select(AssetProduct.asset_id).where(
            or_(AssetProduct.article_number.in_(variants), AssetProduct.model_code.in_(chunk))
        )
        found.update(session.scalars(rows.distinct()))
    return found
