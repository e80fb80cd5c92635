"""Share links: ``/s/<token>`` shows what was shared (after its password, when it has one) and serves
its thumbnails, previews and allowed downloads. Revoked and expired links answer 410 with a clear page."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, render_template, request, session
from flask.typing import ResponseReturnValue

from portal.errors import NotFound
from portal.services.brand import hub as brand_service
from portal.services.brand import share_links as sharelinks
from portal.services.brand.delivery import VIEW_PRESETS, deliver
from portal.services.distribution import playback, renditions
from portal.web import public
from portal.web.brand import PRESET_LABELS
from portal.web.context import client_ip, runtime
from portal.web.files import STABLE_PUBLIC, send_ranged
from portal.web.terms import terms_redirect

share_bp = Blueprint("share", __name__, url_prefix="/s")
public.install(share_bp)
UNLOCKED_KEY = "share_unlocked"
MAX_UNLOCKED = 50  # link ids remembered per browser session


@share_bp.before_request
def _rate_limit() -> None:
    if request.endpoint != "share.asset_file":
        public.limit("pages")


def _unlocked(link_id: int) -> bool:
    return link_id in (session.get(UNLOCKED_KEY) or [])


def _unlock(link_id: int) -> None:
    ids = [i for i in (session.get(UNLOCKED_KEY) or []) if i != link_id]
    session[UNLOCKED_KEY] = [*ids, link_id][-MAX_UNLOCKED:]


@share_bp.get("/<token>")
def show(token: str) -> ResponseReturnValue:
    """The shared assets, their note and downloads; the password form first when the link has one."""
    rt = runtime()
    with rt.db.transaction() as db:
        link = sharelinks.open_link(db, token)
        brand = brand_service.get_settings(db)
        if link.password_hash and not _unlocked(link.id):
            return render_template("share/password.html", brand=brand, link=link, token=token, error=None)
        ids = sharelinks.asset_ids(rt, db, link)
        tiles = brand_service.tiles_for(db, sharelinks.SHARE_VIEWER, ids)
        sharelinks.record_access(db, link.id, "view", client_ip=client_ip())
        return render_template(
            "share/show.html",
            brand=brand,
            link=link,
            token=token,
            tiles=tiles,
            presets=[(p, PRESET_LABELS.get(p, p)) for p in link.allowed_presets if p not in VIEW_PRESETS],
        )


@share_bp.post("/<token>")
def unlock(token: str) -> ResponseReturnValue:
    """Check the link's password (CSRF-checked, rate-limited per link and client)."""
    with runtime().db.session() as db:
        link = sharelinks.open_link(db, token)
        public.limit_password(link.id)
        if not sharelinks.password_ok(link, request.form.get("password", "")):
            brand = brand_service.get_settings(db)
            page = render_template(
                "share/password.html",
                brand=brand,
                link=link,
                token=token,
                error="That password is not right.",
            )
            return page, 401
        _unlock(link.id)
    return show(token)


@share_bp.get("/<token>/a/<int:asset_id>/play")
def play(token: str, asset_id: int) -> ResponseReturnValue:
    """A shared video or sound streamed to the player (a view, like the preview), with Range requests;
    never kept by shared caches, since the link may be revoked at any moment."""
    rt = runtime()
    public.limit("media")
    with rt.db.session() as db:
        link = sharelinks.open_link(db, token)
        if link.password_hash and not _unlocked(link.id):
            raise NotFound("asset not found")
        sharelinks.require_member(rt, db, link, asset_id)
        file = playback.deliver_playable(db, rt, sharelinks.SHARE_VIEWER, asset_id)
    return send_ranged(replace(file, shared_cache=False), STABLE_PUBLIC)


@share_bp.get("/<token>/a/<int:asset_id>/<preset>")
def asset_file(token: str, asset_id: int, preset: str) -> ResponseReturnValue:
    """A thumbnail/preview of a shared asset, or a download the link allows (logged)."""
    rt = runtime()
    public.limit("media" if preset in VIEW_PRESETS else "downloads")
    with rt.db.transaction() as db:
        link = sharelinks.open_link(db, token)
        if link.password_hash and not _unlocked(link.id):
            raise NotFound("asset not found")
        sharelinks.require_member(rt, db, link, asset_id)
        if preset not in VIEW_PRESETS:
            sharelinks.require_download(link, preset)
            # The hub's usage terms hold for shared downloads too.
            gate = terms_redirect(db)
            if gate is not None:
                return gate
        file = deliver(db, rt, sharelinks.SHARE_VIEWER, asset_id, preset)
        if preset not in VIEW_PRESETS:
            sharelinks.record_access(
                db, link.id, "download", asset_id=asset_id, preset=preset, client_ip=client_ip()
            )
    if preset not in VIEW_PRESETS:
        renditions.record_download(rt, sharelinks.SHARE_VIEWER, file, client_ip())
    # Never in shared caches: the link may be revoked at any moment.
    return public.file_response(file, force_download=preset not in VIEW_PRESETS, shared_cache=False)
