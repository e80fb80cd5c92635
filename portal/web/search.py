"""The search page: a search box with results as you type, facets, chips, sort, paging, saved searches.

The URL holds the whole state (``q``, ``f.<field>``, ``sort``, ``page``, ``size``), so a search can be shared
and bookmarked. htmx requests that target ``#search-body`` get only the facets and results.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from indexer.query import FacetValue, SearchHit, SearchResult
from indexer.schema import ATTR_PREFIX, is_custom_field_name
from models import Role
from portal.errors import Conflict, ValidationError
from portal.services.catalog import custom_values
from portal.services.search.explain import Explanation
from portal.services.search.queries import SearchParams, explanations, parse_params, run_search
from portal.services.search.saved import delete_saved_search, save_search, saved_searches
from portal.web.context import runtime, viewer
from portal.web.flashing import flash

search_bp = Blueprint("search", __name__)

PAGE_SIZE = 48
RESULTS_TARGET = "search-body"  # the id of the region htmx swaps
TOP_FACET_VALUES = 5  # shown before "more"
SORT_LABELS = {
    "relevance": "Relevance",
    "newest": "Newest first",
    "oldest": "Oldest first",
    "name": "Name A\u2013Z",
}
FACET_LABELS = {
    "file_type": "File type",
    "media_kind": "Media type",
    "orientation": "Orientation",
    "megapixel_band": "Resolution",
    "duration_band": "Duration",
    "page_band": "Pages",
    "codec": "Codec",
    "color_mode": "Colour mode",
    "tags": "Tags",
    "auto_tags": "Auto tags",
    "status": "Status",
    "visibility": "Visibility",
    "category": "Category",
    "product_type": "Product type",
    "brand": "Brand",
    "article_numbers": "Article number",
    "model_codes": "Model code",
    "collections": "Collection",
    "uploaded_by": "Uploaded by",
}
# Fields whose values are lower-case codes ("in_review"): shown capitalised, sent unchanged.
CODED_FIELDS = frozenset({"media_kind", "orientation", "status", "visibility"})
# Pillow's colour mode codes as people know them.
COLOR_MODES = {
    "1": "1-bit",
    "L": "Greyscale",
    "LA": "Greyscale + alpha",
    "I;16": "16-bit greyscale",
    "I": "32-bit greyscale",
    "F": "32-bit float",
    "P": "Palette",
    "PA": "Palette + alpha",
    "RGBA": "RGB + alpha",
}
# Product facets (what marketing searches by) come first in the sidebar, then the file's own facets.
PRODUCT_FACETS = ("category", "product_type", "brand")


def _custom_labels() -> Mapping[str, tuple[str, dict[str, str]]]:
    """Custom field facets' labels and option labels for this viewer, read once per request."""
    if "custom_field_labels" not in g:
        with runtime().db.session() as session:
            g.custom_field_labels = custom_values.option_labels(session, viewer())
    labels: Mapping[str, tuple[str, dict[str, str]]] = g.custom_field_labels
    return labels


def facet_label(name: str) -> str:
    """A facet field as people say it: ``attr.bucket_size`` -> "Bucket size", ``file_type`` -> "File type"."""
    if name in FACET_LABELS:
        return FACET_LABELS[name]
    if is_custom_field_name(name) and name in _custom_labels():
        return _custom_labels()[name][0]
    words = (name[len(ATTR_PREFIX) :] if name.startswith(ATTR_PREFIX) else name).replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else name


def value_label(name: str, value: str) -> str:
    """A facet value for display (codes such as ``in_review`` become "In review")."""
    if name in CODED_FIELDS:
        text = value.replace("_", " ")
        return text[:1].upper() + text[1:]
    if name == "color_mode":
        return COLOR_MODES.get(value, value)
    if is_custom_field_name(name):
        return _custom_labels().get(name, ("", {}))[1].get(value, value)
    return value


def _facet_order(name: str) -> int:
    if name in PRODUCT_FACETS:
        return PRODUCT_FACETS.index(name)
    if name.startswith(ATTR_PREFIX) or is_custom_field_name(name):
        return len(PRODUCT_FACETS)
    return len(PRODUCT_FACETS) + 1


def search_url(query: str) -> str:
    """The search page's URL for a query string."""
    base = url_for("search.index")
    return f"{base}?{query}" if query else base


def _facet_groups(params: SearchParams, result: SearchResult) -> list[dict[str, Any]]:
    """Facet groups to show: each with its values (selected ones kept even when they dropped out)."""
    groups = []
    # A stable sort: within each band the service's order stays.
    for name, values in sorted(result.facets.items(), key=lambda item: _facet_order(item[0])):
        selected = params.filters.get(name, ())
        shown: list[FacetValue] = list(values)
        present = {v.value for v in shown}
        shown += [FacetValue(value, 0) for value in selected if value not in present]
        if not shown:
            continue
        slug = name.replace(".", "-")
        options = [_option(name, slug, v, v.value in selected) for v in shown]
        # Keep the selected values in the visible top part, so a choice is never hidden behind "more".
        top = options[:TOP_FACET_VALUES] + [o for o in options[TOP_FACET_VALUES:] if o["checked"]]
        extra = [o for o in options[TOP_FACET_VALUES:] if not o["checked"]]
        groups.append(
            {
                "name": name,
                "label": facet_label(name),
                "top": top,
                "extra": extra,
                "selected": selected,
                "slug": slug,
            }
        )
    return groups


def _option(name: str, slug: str, facet: FacetValue, checked: bool) -> dict[str, Any]:
    # The checkbox id depends on the value only, so htmx puts the focus back on it after a swap.
    digest = hashlib.blake2s(facet.value.encode(), digest_size=5).hexdigest()
    return {
        "value": facet.value,
        "label": value_label(name, facet.value),
        "count": facet.count,
        "checked": checked,
        "id": f"f-{slug}-{digest}",
    }


def _chips(params: SearchParams) -> list[dict[str, str]]:
    """The active filters as removable chips."""
    return [
        {
            "field": facet_label(name),
            "value": value_label(name, value),
            "url": search_url(params.toggled(name, value)),
        }
        for name in sorted(params.filters, key=facet_label)
        for value in params.filters[name]
    ]


def _tile(hit: SearchHit, text: str, why: Explanation | None = None) -> dict[str, Any]:
    """What a result tile shows; an article number matching the search text comes first."""
    doc = hit.doc
    articles = [str(a) for a in doc.get("article_numbers") or []]
    needle = text.casefold()
    if needle:
        articles.sort(key=lambda a: 0 if a.casefold() == needle else 1 if needle in a.casefold() else 2)
    width, height = doc.get("width"), doc.get("height")
    return {
        "id": hit.id,
        "title": doc.get("title") or doc.get("original_filename") or f"Asset {hit.id}",
        "articles": articles,
        "products": list(doc.get("product_names") or []),
        "file_type": str(doc.get("file_type") or doc.get("media_kind") or "file").upper(),
        "media_kind": doc.get("media_kind") or "other",
        "size": f"{width}\u00d7{height}" if width and height else "",
        "status": doc.get("status") or "",
        "why": why,
    }


def _page_context(params: SearchParams, result: SearchResult) -> dict[str, Any]:
    why = explanations(runtime(), params, result)
    pages = max(1, -(-result.total // params.size))
    first = (params.page - 1) * params.size + 1
    return {
        "params": params,
        "result": result,
        "tiles": [_tile(hit, params.text, why.get(hit.id)) for hit in result.hits],
        "groups": _facet_groups(params, result),
        "chips": _chips(params),
        "clear_url": search_url(params.query_string(filters={}, page=1)),
        "pages": pages,
        "first": first,
        "last": min(result.total, params.page * params.size),
        "page_url": lambda n: search_url(params.query_string(page=n)),
        "sort_labels": SORT_LABELS,
        "state": params.query_string(page=1),
        "page_size": PAGE_SIZE,
    }


def describe(query: str) -> str:
    """A saved search in words: ``"paint" · Bucket size: 1l · Name A-Z``."""
    try:
        params = parse_params(parse_qs(query), default_size=PAGE_SIZE)
    except ValidationError:
        return query  # saved under rules that changed since: show it as it is
    parts = [f"\u201c{params.text}\u201d"] if params.text else []
    parts += [f"{chip['field']}: {chip['value']}" for chip in _chips(params)]
    if params.sort != "relevance":
        parts.append(SORT_LABELS[params.sort])
    return " \u00b7 ".join(parts) or "All assets"


def _saved(user_id: int | None) -> list[dict[str, Any]]:
    if user_id is None:
        return []
    with runtime().db.session() as session:
        return [
            {
                "id": s.id,
                "name": s.name,
                "url": search_url(s.query),
                "query": s.query,
                "about": describe(s.query),
            }
            for s in saved_searches(session, user_id)
        ]


def _render(params: SearchParams, *, status: int = 200, save_name: str = "") -> ResponseReturnValue:
    return render_result(params, run_search(runtime(), viewer(), params), status=status, save_name=save_name)


def render_result(
    params: SearchParams,
    result: SearchResult,
    *,
    status: int = 200,
    save_name: str = "",
    image_name: str = "",
) -> ResponseReturnValue:
    """The search page (or its htmx part) for a result; ``image_name`` marks a search by image."""
    context = _page_context(params, result)
    context["can_share"] = viewer().at_least(Role.MANAGER)  # share links: managers
    context["can_select"] = viewer().is_authenticated  # the selection bar (add to a collection: everyone)
    context["can_bulk"] = viewer().at_least(Role.EDITOR)  # bulk edit: editors and above
    context["image_name"] = image_name or _image_name(params)
    context["similar"] = _similar_reference(params)
    headers = {"Vary": "HX-Request, HX-Target"}
    # htmx swaps only the facets and results; history restores (no HX-Target) and plain requests get the page.
    partial = (
        request.method == "GET"
        and request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Target") == RESULTS_TARGET
        and not request.headers.get("HX-History-Restore-Request")
    )
    if partial:
        # The canonical URL (no empty or default values) goes into the address bar.
        headers["HX-Push-Url"] = search_url(params.query_string())
        return render_template("search/_body.html", **context), status, headers
    html = render_template(
        "search/index.html",
        saved=_saved(viewer().user_id),
        save_name=save_name,
        **context,
    )
    return html, status, headers


def _image_name(params: SearchParams) -> str:
    """The file name of a search by image (its token was checked by the search that just ran)."""
    if not params.image:
        return ""
    from portal.services.vision.similar import query_image

    return query_image(runtime(), params.image).name


def _similar_reference(params: SearchParams) -> dict[str, Any] | None:
    """The asset a "find similar" search starts from (the search that just ran let the viewer see it)."""
    if params.similar_to is None:
        return None
    from portal.services.vision.similar import require_reference

    title = require_reference(runtime(), viewer(), params.similar_to)
    back = params.query_string(similar_to=None, min_score=0, page=1)
    return {"id": params.similar_to, "title": title, "clear_url": search_url(back)}


@search_bp.context_processor
def _labels() -> dict[str, Any]:
    return {"facet_label": facet_label, "value_label": value_label, "search_url": search_url}


@search_bp.get("/search")
@login_required
def index() -> ResponseReturnValue:
    """Search the assets the viewer may see; ``q``, ``f.<field>`` (repeat), ``sort``, ``page``, ``size``."""
    params = parse_params(request.args.to_dict(flat=False), default_size=PAGE_SIZE)
    return _render(params)


def _form_params(form: Mapping[str, str]) -> SearchParams:
    """The search state a form sent along (the page's query string), validated like the URL."""
    raw = (form.get("query") or "").lstrip("?")
    if len(raw) > 8000:
        raise ValidationError("the search to save is too long")
    return parse_params(parse_qs(raw), default_size=PAGE_SIZE)


@search_bp.post("/search/saved")
@login_required
def save() -> ResponseReturnValue:
    """Keep the current search under a name; a duplicate or empty name shows the page again with why."""
    params = _form_params(request.form)
    name = request.form.get("name") or ""
    try:
        with runtime().db.transaction() as session:
            saved = save_search(session, viewer(), name, params)
            label = saved.name
    except (Conflict, ValidationError) as exc:
        flash(exc.message, "danger")
        return _render(params, status=exc.status, save_name=name)
    flash(f"Saved search “{label}”.", "success")
    return redirect(search_url(params.query_string(page=1)))


@search_bp.post("/search/saved/<int:saved_id>/delete")
@login_required
def delete(saved_id: int) -> ResponseReturnValue:
    """Remove one of the viewer's saved searches (someone else's is a 404) and go back to the search."""
    with runtime().db.transaction() as session:
        delete_saved_search(session, viewer(), saved_id)
    flash("Saved search removed.", "success")
    try:
        back = _form_params(request.form).query_string()
    except ValidationError:
        back = ""
    return redirect(search_url(back))
