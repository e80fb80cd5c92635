"""Share links: a selection, a collection or a search handed to someone without an account.

Decision on what a link may carry: a link acts as a *partner* would (``SHARE_VIEWER``). It grants access
only to assets that are approved and unexpired and whose visibility is ``partner`` or ``public`` — a
manager may share partner-visible press material with a journalist, but ``internal`` assets never leave
through a link, and nothing unapproved or expired ever does. The rule is applied at request time on every
page and download, so an asset that is unapproved, made internal or whose rights expire drops out of
every link at once. Only the SHA-256 of a link's token is stored; the link is shown once, when made.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import Asset, Collection, Role, ShareLink, ShareLinkAccess
from models.base import utcnow
from portal.errors import NotFound, PortalError, ValidationError
from portal.runtime import Runtime
from portal.services.accounts.tokens import hash_token
from portal.services.brand.collections import readable, require_assets, visible_item_ids
from portal.services.brand.hub import KNOWN_PRESETS, section_params, still_visible
from portal.services.governance.policy import Viewer, can_view, require_role
from portal.services.search.queries import run_search

SHARE_VIEWER = Viewer(None, Role.PARTNER)
KINDS = ("selection", "collection", "search")
MAX_ASSETS = 500  # the most a link shows (a search link: its first hits)
MAX_DAYS = 366
MIN_PASSWORD = 6


class LinkGone(PortalError):
    """The link existed but was revoked or has expired."""

    status = 410
    code = "gone"


@dataclass(frozen=True)
class NewLink:
    """A freshly made link: its id and the token (never stored, shown once)."""

    id: int
    token: str


def create_link(
    session: Session,
    viewer: Viewer,
    *,
    kind: str,
    target: dict[str, Any],
    expires_at: datetime,
    title: str = "",
    note: str = "",
    password: str | None = None,
    allowed_presets: list[str] | None = None,
    download: bool = True,
) -> NewLink:
    """Make a share link (managers). ``target``: ``asset_ids`` | ``collection_id`` | ``query``."""
    require_role(viewer, Role.MANAGER)
    clean_target = _check_target(session, viewer, kind, target)
    now = utcnow()
    if expires_at <= now:
        raise ValidationError("the expiry date must be in the future")
    if expires_at > now + timedelta(days=MAX_DAYS):
        raise ValidationError(f"a link may last at most {MAX_DAYS} days")
    presets = list(dict.fromkeys(allowed_presets or []))
    unknown = [p for p in presets if p not in KNOWN_PRESETS]
    if unknown:
        raise ValidationError(f"unknown presets: {', '.join(unknown)}")
    if download and not presets:
        raise ValidationError("choose at least one preset to download, or switch downloads off")
    if password is not None and password != "" and len(password) < MIN_PASSWORD:
        raise ValidationError(f"a link password needs at least {MIN_PASSWORD} characters")
    token = secrets.token_urlsafe(24)
    link = ShareLink(
        token_hash=hash_token(token),
        kind=kind,
        target=clean_target,
        title=" ".join((title or "").split())[:200],
        note=(note or "").strip(),
        expires_at=expires_at,
        password_hash=generate_password_hash(password) if password else None,
        allowed_presets=presets,
        download=download,
        created_by_id=viewer.user_id,
    )
    session.add(link)
    session.flush()
    return NewLink(link.id, token)


def _check_target(session: Session, viewer: Viewer, kind: str, target: dict[str, Any]) -> dict[str, Any]:
    if kind == "selection":
        try:
            ids = list(dict.fromkeys(int(i) for i in target.get("asset_ids") or []))
        except (TypeError, ValueError):
            raise ValidationError("asset ids must be whole numbers") from None
        if not ids or len(ids) > MAX_ASSETS:
            raise ValidationError(f"select between 1 and {MAX_ASSETS} assets")
        require_assets(session, ids)
        return {"asset_ids": ids}
    if kind == "collection":
        collection_id = target.get("collection_id")
        # Only a collection the manager reaches (own, or shared with them) may go out through a link.
        if not isinstance(collection_id, int) or not session.scalar(
            select(Collection.id).where(Collection.id == collection_id, readable(viewer))
        ):
            raise ValidationError("choose an existing collection")
        return {"collection_id": collection_id}
    if kind == "search":
        query = str(target.get("query") or "").lstrip("?")
        section_params(query)  # validates
        return {"query": query}
    raise ValidationError(f"a share link is one of: {', '.join(KINDS)}")


def open_link(session: Session, token: str) -> ShareLink:
    """The link for a token: NotFound when unknown, LinkGone when revoked or expired."""
    if not token or len(token) > 100:
        raise NotFound("share link not found")
    link = session.scalars(select(ShareLink).where(ShareLink.token_hash == hash_token(token))).first()
    if link is None:
        raise NotFound("share link not found")
    if link.revoked_at is not None:
        raise LinkGone("this share link was revoked by its owner")
    if link.expires_at <= utcnow():
        raise LinkGone(f"this share link expired on {link.expires_at:%Y-%m-%d}")
    return link


def password_ok(link: ShareLink, password: str) -> bool:
    """True when the link has no password or ``password`` is it."""
    if link.password_hash is None:
        return True
    return check_password_hash(link.password_hash, password or "")


def get_link(session: Session, viewer: Viewer, link_id: int) -> ShareLink:
    """A link by id for managers (settings and access log); NotFound when there is none."""
    require_role(viewer, Role.MANAGER)
    link = session.get(ShareLink, link_id)
    if link is None:
        raise NotFound("share link not found")
    return link


def revoke(session: Session, viewer: Viewer, link_id: int) -> ShareLink:
    """Stop a link now (managers); revoking twice keeps the first time."""
    link = get_link(session, viewer, link_id)
    if link.revoked_at is None:
        link.revoked_at = utcnow()
    return link


def asset_ids(rt: Runtime, session: Session, link: ShareLink) -> list[int]:
    """The assets the link shows right now, in order: its target filtered by the share rule."""
    if link.kind == "selection":
        ids = [int(i) for i in link.target.get("asset_ids") or []]
        visible = still_visible(session, SHARE_VIEWER, ids)
        return [i for i in ids if i in visible]
    if link.kind == "collection":
        return visible_item_ids(session, int(link.target.get("collection_id") or 0), SHARE_VIEWER)[
            :MAX_ASSETS
        ]
    found = _search_ids(rt, link)
    visible = still_visible(session, SHARE_VIEWER, found)
    return [i for i in found if i in visible]


def _search_ids(rt: Runtime, link: ShareLink) -> list[int]:
    """A search link's hits, kept a minute: every thumbnail of its page asks for membership. Removals
    still apply at once, since every caller re-checks the ids against the database."""
    query = str(link.target.get("query") or "")

    def compute() -> list[int]:
        params = section_params(query, size=200)
        found: list[int] = []
        page = 1
        while len(found) < MAX_ASSETS:
            result = run_search(rt, SHARE_VIEWER, replace(params, page=page))
            found.extend(hit.id for hit in result.hits)
            if page * params.size >= result.total or not result.hits:
                break
            page += 1
        return found[:MAX_ASSETS]

    return rt.cache.get_or_compute(("share_search", link.id, query), compute)


def require_member(rt: Runtime, session: Session, link: ShareLink, asset_id: int) -> Asset:
    """The asset when the link shows it now; NotFound otherwise (same answer for hidden and missing)."""
    asset = session.get(Asset, asset_id)
    if asset is None or not can_view(SHARE_VIEWER, asset) or not _targets(rt, session, link, asset_id):
        raise NotFound("asset not found")
    return asset


def _targets(rt: Runtime, session: Session, link: ShareLink, asset_id: int) -> bool:
    """True when the link's target holds the asset; the caller has checked the share rule on it, so a
    selection or search need not re-check all their ids (every thumbnail of the page asks)."""
    if link.kind == "selection":
        return asset_id in {int(i) for i in link.target.get("asset_ids") or []}
    if link.kind == "search":
        return asset_id in _search_ids(rt, link)
    return asset_id in asset_ids(rt, session, link)


def require_download(link: ShareLink, preset: str) -> None:
    """Raise unless the link allows downloading this preset."""
    if not link.download:
        raise NotFound("downloads are switched off for this link")
    if preset not in link.allowed_presets:
        raise NotFound(f"the {preset} file is not offered by this link")


def record_access(
    session: Session,
    link_id: int,
    action: str,
    *,
    asset_id: int | None = None,
    preset: str | None = None,
    client_ip: str | None = None,
) -> None:
    """Log a view of the link's page or a download through it."""
    session.add(
        ShareLinkAccess(
            link_id=link_id, action=action, asset_id=asset_id, preset=preset, client_ip=(client_ip or "")[:64]
        )
    )


def list_links(session: Session) -> list[tuple[ShareLink, int, int]]:
    """Every link, newest first, with its view and download counts."""
    counts: dict[tuple[int, str], int] = {
        (link_id, action): n
        for link_id, action, n in session.execute(
            select(ShareLinkAccess.link_id, ShareLinkAccess.action, func.count()).group_by(
                ShareLinkAccess.link_id, ShareLinkAccess.action
            )
        )
    }
    links = session.scalars(select(ShareLink).order_by(ShareLink.created_at.desc(), ShareLink.id.desc()))
    return [(link, counts.get((link.id, "view"), 0), counts.get((link.id, "download"), 0)) for link in links]


def access_log(session: Session, link_id: int, limit: int = 200) -> list[ShareLinkAccess]:
    """A link's newest accesses."""
    return list(
        session.scalars(
            select(ShareLinkAccess)
            .where(ShareLinkAccess.link_id == link_id)
            .order_by(ShareLinkAccess.at.desc(), ShareLinkAccess.id.desc())
            .limit(limit)
        )
    )


def link_state(link: ShareLink, now: datetime | None = None) -> str:
    """``active``, ``revoked`` or ``expired``."""
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= (now or utcnow()) else "active"
