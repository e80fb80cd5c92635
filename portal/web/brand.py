"""The public brand hub: home, search with facets, asset pages, usage terms and downloads (no login).

Every page asks the services as the anonymous viewer; hidden and missing assets answer the same 404.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from models import BrandSettings
from portal.errors import NotFound
from portal.services.brand import hub as brand_service
from portal.services.brand.delivery import VIEW_PRESETS, deliver, public_asset
from portal.services.distribution import playback, renditions
from portal.services.governance.policy import ANONYMOUS
from portal.services.search.queries import parse_params
from portal.web import public
from portal.web.context import client_ip, runtime
from portal.web.files import STABLE_PUBLIC, send_ranged
from portal.web.search import facet_label, value_label
from portal.web.terms import TERMS_KEY, terms_needed, terms_redirect

brand_bp = Blueprint("brand", __name__, url_prefix="/brand")
public.install(brand_bp)
PAGE_SIZE = 24
PRESET_LABELS = {
    "web": "Web (2048 px JPEG)",
    "print": "Print (full size)",
    "preview": "Preview (1280 px)",
    "thumb": "Thumbnail",
    "original": "Original file",
    "video-720": "Video (720p MP4)",
    "video-1080": "Video (1080p MP4)",
    "audio-web": "Audio (AAC)",
}


@brand_bp.before_request
def _rate_limit() -> None:
    endpoint = request.endpoint or ""
    if endpoint in ("brand.asset_file", "brand.logo", "brand.theme"):
        return  # counted per kind of file in the view
    public.limit("pages")


def _brand(db: Session, settings: BrandSettings | None = None) -> dict[str, object]:
    """The layout's context: the hub's settings and its sections for the navigation."""
    sections = brand_service.list_sections(db)
    brand = settings if settings is not None else brand_service.get_settings(db)
    return {"brand": brand, "nav_sections": [(s.slug, s.title) for s in sections]}


@brand_bp.get("/")
def home_slash() -> ResponseReturnValue:
    """``/brand/`` is ``/brand``."""
    return redirect(url_for("brand.home"), code=308)


@brand_bp.get("")
def home() -> ResponseReturnValue:
    """The hub's home page: logo, intro, one block per section."""
    rt = runtime()
    with rt.db.session() as db:
        views = [brand_service.section_view(rt, db, s) for s in brand_service.list_sections(db)]
        context = _brand(db)
    return render_template("brand/home.html", sections=views, **context)


@brand_bp.get("/section/<slug>")
def section(slug: str) -> ResponseReturnValue:
    """Every public asset of one section."""
    rt = runtime()
    with rt.db.session() as db:
        view = brand_service.section_view(rt, db, brand_service.get_section(db, slug), size=200)
        context = _brand(db)
    return render_template("brand/section.html", view=view, **context)


@brand_bp.get("/search")
def search() -> ResponseReturnValue:
    """Search the public assets with facets (the same engine and service, as the anonymous viewer)."""
    params = parse_params(request.args.to_dict(flat=False), default_size=PAGE_SIZE)
    rt = runtime()
    with rt.db.session() as db:
        tiles, result = brand_service.hub_search(rt, db, params)
        context = _brand(db)
    facets = [
        {
            "name": name,
            "label": facet_label(name),
            "options": [
                {
                    "value": v.value,
                    "label": value_label(name, v.value),
                    "count": v.count,
                    "selected": v.value in params.filters.get(name, ()),
                    "href": params.toggled(name, v.value),
                }
                for v in values[:12]
            ],
        }
        for name, values in result.facets.items()
        if values
    ]
    chips = [
        {"label": f"{facet_label(n)}: {value_label(n, v)}", "href": params.toggled(n, v)}
        for n, vs in params.filters.items()
        for v in vs
    ]
    pages = max(1, -(-result.total // params.size))
    return render_template(
        "brand/search.html",
        params=params,
        tiles=tiles,
        total=result.total,
        facets=facets,
        chips=chips,
        pages=pages,
        **context,
    )


@brand_bp.get("/a/<int:asset_id>")
def asset(asset_id: int) -> ResponseReturnValue:
    """One public asset: preview, metadata, the downloads offered to the public."""
    with runtime().db.session() as db:
        page = public_asset(db, asset_id)
        return render_template(
            "brand/asset.html",
            asset=page.asset,
            version=page.version,
            presets=[(p, PRESET_LABELS.get(p, p)) for p in page.presets],
            terms_needed=terms_needed(page.settings.terms, page.settings.terms_version),
            **_brand(db, page.settings),
        )


@brand_bp.get("/a/<int:asset_id>/play")
def play(asset_id: int) -> ResponseReturnValue:
    """The web rendition of a public video or sound for the player (a view, like the preview: no terms
    needed), with HTTP Range requests."""
    rt = runtime()
    public.limit("media")
    with rt.db.session() as db:
        file = playback.deliver_playable(db, rt, ANONYMOUS, asset_id)
    return send_ranged(file, STABLE_PUBLIC)


@brand_bp.get("/a/<int:asset_id>/<preset>")
def asset_file(asset_id: int, preset: str) -> ResponseReturnValue:
    """A thumbnail/preview (inline), or a download once the visitor has accepted the usage terms."""
    rt = runtime()
    if preset in VIEW_PRESETS:
        public.limit("media")
        with rt.db.session() as db:
            file = deliver(db, rt, ANONYMOUS, asset_id, preset)
        return public.file_response(file)
    public.limit("downloads")
    with rt.db.session() as db:
        page = public_asset(db, asset_id)
        if preset not in page.presets:
            raise NotFound(f"the {preset} file is not offered to the public")
        gate = terms_redirect(db)
        if gate is not None:
            return gate
        file = deliver(db, rt, ANONYMOUS, asset_id, preset)
    renditions.record_download(rt, ANONYMOUS, file, client_ip())
    return public.file_response(file, force_download=True)


@brand_bp.get("/terms")
def terms() -> ResponseReturnValue:
    """The usage terms, with the accept button when not yet accepted."""
    with runtime().db.session() as db:
        settings = brand_service.get_settings(db)
        accepted = not terms_needed(settings.terms, settings.terms_version)
        context = _brand(db, settings)
    return render_template("brand/terms.html", accepted=accepted, next=_safe_next(), **context)


@brand_bp.post("/terms")
def accept_terms() -> ResponseReturnValue:
    """Accept the current terms for this browser session (CSRF-checked), then go where the visitor was."""
    with runtime().db.session() as db:
        version = brand_service.get_settings(db).terms_version
    session[TERMS_KEY] = version
    return redirect(_safe_next() or url_for("brand.home"))


def _safe_next() -> str:
    """Only paths inside the hub are followed (no open redirects)."""
    target = request.values.get("next", "")
    if target.startswith(("/brand/", "/a/", "/s/")) and "//" not in target and "\\" not in target:
        return target
    return ""


@brand_bp.get("/theme.css")
def theme() -> ResponseReturnValue:
    """The brand colour as CSS variables (a style sheet, since the CSP forbids inline styles)."""
    with runtime().db.session() as db:
        colour = brand_service.get_settings(db).colour
    if not brand_service.COLOUR.match(colour):
        colour = "#1f4e79"
    css = f":root {{ --brand: {colour}; --brand-rgb: {_rgb(colour)}; }}\n"
    response = Response(css, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _rgb(colour: str) -> str:
    return ", ".join(str(int(colour[i : i + 2], 16)) for i in (1, 3, 5))


@brand_bp.get("/logo")
def logo() -> ResponseReturnValue:
    """The brand's logo (PNG, JPEG or WebP only)."""
    public.limit("media")
    with runtime().db.session() as db:
        settings = brand_service.get_settings(db)
        sha, mime = settings.logo_sha256, settings.logo_mime
    if not sha or not mime:
        raise NotFound("no logo")
    response = Response(runtime().blobs.iter_chunks(sha), mimetype=mime, direct_passthrough=True)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["ETag"] = f'"{sha}"'
    return response
