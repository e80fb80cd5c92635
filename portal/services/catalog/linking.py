"""Links between assets and products: from file names, by hand, API, CSV or embedded metadata.

A link names an article number (one variant) or a model code (every variant of the model). A file whose
product is not known yet keeps its file-name key in ``Asset.link_key``; the product import links it later.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from models import Asset, AssetProduct, LinkSource, Product
from portal.errors import NotFound, ValidationError
from portal.services.catalog import variants
from portal.services.search import sync as search_sync
from portal.settings import DEFAULT_FILENAME_PATTERN

log = logging.getLogger(__name__)
T = TypeVar("T")

# Longest key that can match anything (model codes are String(128), article numbers String(64)).
MAX_KEY_LENGTH = 128
# Longer stems cannot yield a matching key; skipping them also bounds the regex work on hostile names.
MAX_STEM_LENGTH = 300
CHUNK = 500  # keys per IN (...) query
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# File names cannot hold "/" (nor, portably, "\\"): an article number "7310/22-B" is spelled with this
# replacement in file names ("7310-22-B_1.jpg"); ASSETPORT_FILENAME_SLASH_REPLACEMENT changes it.
DEFAULT_SLASH_REPLACEMENT = "-"
# An extension is short and has a letter in it: "404.038.96" has none, "404.038.96_1.jpg" has ".jpg".
_EXTENSION = re.compile(r"\.(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,5}$")


@dataclass(frozen=True)
class LinkTarget:
    """What a key resolved to: an article (one variant) or a model code (all variants)."""

    article_number: str | None
    model_code: str | None

    @property
    def key(self) -> str:
        """The article number or model code."""
        return self.article_number or self.model_code or ""


# --- file names --------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        # A bad ASSETPORT_FILENAME_PATTERN must not make every upload fail; it is logged instead.
        log.warning("invalid filename pattern %r (%s); using the default", pattern, exc)
        return re.compile(DEFAULT_FILENAME_PATTERN)


def filename_keys(filename: str, pattern: str) -> list[str]:
    """Candidate keys from a file name, best first: the full stem, then the pattern's ``key`` group.

    Only the base name counts (browsers and zip files send paths, with either slash), in NFC (macOS sends
    decomposed accents). Keys longer than any article number or model code are dropped.
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL.sub("", unicodedata.normalize("NFC", name)).strip()
    match = _EXTENSION.search(name)
    stem = name[: match.start()].strip() if match and match.start() > 0 else name
    if not stem or len(stem) > MAX_STEM_LENGTH:
        return []
    keys = [stem]
    found = _compiled(pattern).match(stem)
    if found is not None:
        groups = found.groupdict()
        key = groups.get("key") if "key" in groups else (found.group(1) if found.re.groups else None)
        if key and key.strip() and key.strip() not in keys:
            keys.append(key.strip())
    return [k for k in keys if len(k) <= MAX_KEY_LENGTH]


# --- resolving keys ----------------------------------------------------------------------------------


def _chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    values = list(items)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def filename_form(article_number: str, replacement: str = DEFAULT_SLASH_REPLACEMENT) -> str:
    """How a file name spells an article number: its slashes (either way) replaced."""
    return article_number.replace("/", replacement).replace("\\", replacement)


def _filename_form_column(replacement: str) -> ColumnElement[str]:
    spelled = func.replace(func.replace(Product.article_number, "/", replacement), "\\", replacement)
    return func.lower(spelled)


def _lookup_slashed(session: Session, keys: Collection[str], replacement: str) -> dict[str, LinkTarget]:
    """Keys that spell an article number with a slash in file-name form ("7310-22-B" for "7310/22-B")."""
    candidates = sorted({k for k in keys if replacement and replacement in k})
    found: dict[str, LinkTarget] = {}
    if not candidates:
        return found
    values: set[str] = set()
    column = _filename_form_column(replacement)
    for chunk in _chunks(candidates):
        query = select(Product.article_number).where(
            or_(
                Product.article_number.contains("/", autoescape=True),
                Product.article_number.contains("\\", autoescape=True),
            ),
            column.in_({k.lower() for k in chunk}),
        )
        values.update(session.scalars(query))
    by_form: dict[str, str] = {}
    for value in sorted(values):  # exact-case spelling first, then a stable choice
        by_form.setdefault(filename_form(value, replacement), value)
        by_form.setdefault(filename_form(value, replacement).lower(), value)
    for key in candidates:
        match = by_form.get(key) or by_form.get(key.lower())
        if match is not None:
            found[key] = LinkTarget(match, None)
    return found


def _lookup(
    session: Session, keys: Collection[str], slash_replacement: str = DEFAULT_SLASH_REPLACEMENT
) -> dict[str, LinkTarget]:
    """Each key's target, by precedence: article number exact, article number ignoring case, article
    number in file-name form (slashes replaced), model code exact, model code ignoring case. Keys that match
    nothing are absent. A few queries for any number of keys.
    """
    found: dict[str, LinkTarget] = {}
    rest = sorted({k for k in keys if k and len(k) <= MAX_KEY_LENGTH})
    steps = (
        (Product.article_number, False, True),
        (Product.article_number, True, True),
        (Product.model_code, False, False),
        (Product.model_code, True, False),
    )
    for column, fold, is_article in steps:
        if not rest:
            break
        values: set[str] = set()
        for chunk in _chunks(rest):
            query: Select[Any]
            if fold:
                # Only the keys the exact step missed, so the scan over lower(...) stays rare.
                query = select(column).where(func.lower(column).in_({k.lower() for k in chunk}))
            else:
                query = select(column).where(column.in_(chunk))
            values.update(v for v in session.scalars(query.distinct()) if v)
        by_key: dict[str, str] = {}
        for value in sorted(values):  # sorted: a case clash (ABC and abc) resolves the same way every time
            by_key.setdefault(value.lower() if fold else value, value)
        for key in rest:
            match = by_key.get(key.lower() if fold else key)
            if match is not None:
                found[key] = LinkTarget(match, None) if is_article else LinkTarget(None, match)
        rest = [k for k in rest if k not in found]
        if is_article and fold and rest:
            found.update(_lookup_slashed(session, rest, slash_replacement))
            rest = [k for k in rest if k not in found]
    return found


def _clean_key(key: str) -> str:
    return unicodedata.normalize("NFC", str(key)).strip()


def resolve_keys(session: Session, keys: Sequence[str]) -> list[LinkTarget]:
    """The target of the first key that matches (article numbers before model codes); [] when none does."""
    cleaned = [_clean_key(k) for k in keys]
    found = _lookup(session, cleaned)
    for key in cleaned:
        if key in found:
            return [found[key]]
    return []


# --- creating and removing links ---------------------------------------------------------------------


def _announce(
    session: Session, change: str, asset_ids: Sequence[int], articles: Sequence[str | None],
    models: Sequence[str | None],
) -> None:  # fmt: skip
    """``product.assets_changed`` in the same transaction as the link change (outbox: nothing is lost)."""
    # Imported here: the webhooks module uses this one for the article numbers of its payloads.
    from portal.services.distribution import webhooks

    webhooks.emit_links_changed(session, change, asset_ids, articles, models)
    # The sibling variants' assets too: what they serve by inheritance depends on this link.
    search_sync.assets_changed(session, variants.sibling_assets(session, articles, models) - set(asset_ids))


def _ensure_link(
    session: Session, asset: Asset, target: LinkTarget, source: LinkSource | str, user_id: int | None
) -> AssetProduct:
    """The asset's link to ``target``, created when missing (from whatever source: one link per target)."""
    for link in asset.links:
        if link.article_number == target.article_number and link.model_code == target.model_code:
            return link
    if asset.id is not None:  # a transient asset is announced by whoever saves it
        _announce(session, "linked", [asset.id], [target.article_number], [target.model_code])
    link = AssetProduct(
        article_number=target.article_number,
        model_code=target.model_code,
        source=LinkSource(source).value,
        created_by_id=user_id,
    )
    asset.links.append(link)
    return link


def _flush_if_attached(session: Session, asset: Asset) -> None:  # callers read link ids right away
    if asset in session:  # a transient asset (not added yet) is saved with its links later
        session.flush()


def link_asset_by_filename(
    session: Session,
    asset: Asset,
    filename: str,
    pattern: str,
    slash_replacement: str = DEFAULT_SLASH_REPLACEMENT,
) -> list[AssetProduct]:
    """Link an asset to the product its file name names; remember the key in ``asset.link_key`` either way.

    Without a match the stripped key (the usual "<article>_<view>" reading) is kept, so importing that
    product later links the asset. An article number with a slash matches its file-name form
    (``slash_replacement`` for each slash). Idempotent.
    """
    keys = filename_keys(filename, pattern)
    if not keys:
        return []
    found = _lookup(session, keys, slash_replacement)
    key = next((k for k in keys if k in found), None)
    asset.link_key = key or keys[-1]
    if key is None:
        return []
    link = _ensure_link(session, asset, found[key], LinkSource.FILENAME, None)
    _flush_if_attached(session, asset)
    return [link]


def link_pending_assets(
    session: Session,
    article_numbers: Sequence[str],
    model_codes: Sequence[str],
    slash_replacement: str = DEFAULT_SLASH_REPLACEMENT,
) -> int:
    """Link assets whose ``link_key`` names one of these (newly arrived) products; returns links created.

    ``link_key`` is compared exactly and in all-lower/all-upper case through its index (a case-insensitive
    scan of every asset per import batch would be too slow for large catalogues). An article number with a
    slash is also looked for in its file-name form.
    """
    keys = {_clean_key(k) for k in [*article_numbers, *model_codes] if k and _clean_key(k)}
    if slash_replacement:
        keys |= {filename_form(k, slash_replacement) for k in keys if "/" in k or "\\" in k}
    if not keys:
        return 0
    variants = keys | {k.lower() for k in keys} | {k.upper() for k in keys}
    wanted = {k.lower() for k in keys}
    pending: dict[int, str] = {}
    for chunk in _chunks(sorted(variants)):
        waiting = select(Asset.id, Asset.link_key).where(Asset.link_key.in_(chunk))
        for asset_id, link_key in session.execute(waiting):
            if link_key and link_key.lower() in wanted:
                pending[asset_id] = link_key
    if not pending:
        return 0
    found = _lookup(session, set(pending.values()), slash_replacement)
    existing: set[tuple[int, str | None, str | None]] = set()
    for ids in _chunks(sorted(pending)):
        links = select(AssetProduct.asset_id, AssetProduct.article_number, AssetProduct.model_code)
        existing.update((a, n, m) for a, n, m in session.execute(links.where(AssetProduct.asset_id.in_(ids))))
    created: list[tuple[int, str | None, str | None]] = []
    for asset_id, link_key in sorted(pending.items()):
        target = found.get(link_key)
        if target is None or (asset_id, target.article_number, target.model_code) in existing:
            continue
        session.add(
            AssetProduct(
                asset_id=asset_id,
                article_number=target.article_number,
                model_code=target.model_code,
                source=LinkSource.FILENAME.value,
            )
        )
        existing.add((asset_id, target.article_number, target.model_code))
        created.append((asset_id, target.article_number, target.model_code))
        # An Asset already loaded in this session would otherwise show its old list of links.
        loaded = session.identity_map.get(identity_key(Asset, asset_id))
        if loaded is not None:
            session.expire(loaded, ["links"])
    if created:
        session.flush()
        for batch in _chunks(created):
            _announce(session, "linked", [a for a, _n, _m in batch], [n for _a, n, _m in batch],
                      [m for _a, _n, m in batch])  # fmt: skip
    return len(created)


def add_link(
    session: Session, asset: Asset, key: str, source: LinkSource, user_id: int | None = None
) -> AssetProduct:
    """Link an asset by hand, API, CSV mapping or metadata; ``key`` is an article number or a model code
    (article numbers win). Unknown key: NotFound. An existing link to the same target is returned.
    """
    text = _clean_key(key)
    if not text:
        raise ValidationError("an article number or model code is required")
    targets = resolve_keys(session, [text])
    if not targets:
        raise NotFound(f"unknown article number or model code: {text[:MAX_KEY_LENGTH]}")
    link = _ensure_link(session, asset, targets[0], source, user_id)
    _flush_if_attached(session, asset)
    return link


def remove_link(session: Session, asset: Asset, link_id: int) -> None:
    """Remove one of the asset's links; NotFound when the asset has no link with that id."""
    link = next((item for item in asset.links if item.id == link_id), None)
    if link is None:
        raise NotFound(f"asset {asset.id} has no link {link_id}")
    if link.source == LinkSource.FILENAME.value and (asset.link_key or "").lower() == link.key.lower():
        # Forget the file-name key too, or a later import of a new variant would bring the link back.
        asset.link_key = None
    target = (link.article_number, link.model_code)
    asset.links.remove(link)  # delete-orphan cascade deletes the row
    session.flush()
    _announce(session, "unlinked", [asset.id], [target[0]], [target[1]])


# --- queries -----------------------------------------------------------------------------------------


def products_for_asset(session: Session, asset_id: int) -> list[Product]:
    """Products an asset shows: linked articles and every variant of linked model codes, by article number."""
    articles = select(AssetProduct.article_number).where(
        AssetProduct.asset_id == asset_id, AssetProduct.article_number.is_not(None)
    )
    models = select(AssetProduct.model_code).where(
        AssetProduct.asset_id == asset_id, AssetProduct.model_code.is_not(None)
    )
    query = select(Product).where(or_(Product.article_number.in_(articles), Product.model_code.in_(models)))
    # Sorted here, not in SQL: PostgreSQL collations and SQLite order punctuation differently.
    return sorted(session.scalars(query), key=lambda p: p.article_number)


def asset_ids_for_article(session: Session, article_number: str) -> Select[Any]:
    """A select of ``Asset.id`` linked to the article directly or through its model code, or inherited
    from a sibling variant (``variants``)."""
    number = _clean_key(article_number)
    row = session.execute(
        select(Product.article_number, Product.model_code).where(Product.article_number == number)
    ).first()
    if row is None and number:
        row = session.execute(
            select(Product.article_number, Product.model_code)
            .where(func.lower(Product.article_number) == number.lower())
            .order_by(Product.article_number)
            .limit(1)
        ).first()
    canonical, model = (row[0], row[1]) if row is not None else (number, None)
    condition: ColumnElement[bool] = AssetProduct.article_number.in_(sorted({number, canonical}))
    if model:
        condition = or_(condition, AssetProduct.model_code == model)
    linked: ColumnElement[bool] = Asset.id.in_(select(AssetProduct.asset_id).where(condition))
    inherited = variants.inherited_for_article(session, canonical) if row is not None else {}
    return select(Asset.id).where(or_(linked, Asset.id.in_(sorted(inherited))) if inherited else linked)


def article_numbers_for_asset(session: Session, asset_id: int) -> list[str]:
    """Article numbers an asset is linked to, directly or through a model code; sorted, no duplicates."""
    direct = session.scalars(
        select(AssetProduct.article_number).where(
            AssetProduct.asset_id == asset_id, AssetProduct.article_number.is_not(None)
        )
    )
    models = select(AssetProduct.model_code).where(
        AssetProduct.asset_id == asset_id, AssetProduct.model_code.is_not(None)
    )
    variants = session.scalars(select(Product.article_number).where(Product.model_code.in_(models)))
    return sorted({n for n in [*direct, *variants] if n})
