"""Rendition presets (channels): list, create, edit, reset/delete; managers and admins."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from models import Role
from portal.errors import ValidationError
from portal.media.presets import BUILTIN, COLOURS, FORMATS, KIND_FORMATS, PresetSpec
from portal.services.distribution import renditions
from portal.services.governance.policy import require_role
from portal.services.paging import ascii_digits
from portal.web.context import runtime, viewer

#: The media kinds each rendition format serves, for the preset form.
FORMAT_KINDS = {f: [kind for kind, formats in KIND_FORMATS.items() if f in formats] for f in FORMATS}

presets_bp = Blueprint("presets", __name__)


@presets_bp.get("/admin/presets")
@login_required
def index() -> ResponseReturnValue:
    """Every preset with its settings."""
    require_role(viewer(), Role.MANAGER)
    with runtime().db.session() as session:
        presets = renditions.list_presets(session, viewer())
    return render_template("presets/index.html", presets=presets, builtin=BUILTIN)


@presets_bp.get("/admin/presets/new")
@presets_bp.get("/admin/presets/<name>")
@login_required
def edit(name: str | None = None) -> ResponseReturnValue:
    """The preset form (new, or editing one)."""
    require_role(viewer(), Role.MANAGER)
    with runtime().db.session() as session:
        spec = (
            renditions.get_preset(session, name) if name else BUILTIN["web"].with_changes(name="", label="")
        )
    return _form(spec, is_new=name is None)


def _form(
    spec: PresetSpec, *, is_new: bool, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    page = render_template(
        "presets/edit.html", spec=spec, is_new=is_new, error=error, formats=FORMATS, colours=COLOURS,
        format_kinds=FORMAT_KINDS,
        builtin=spec.name in BUILTIN,
    )  # fmt: skip
    return page, status


def _spec_from_form(name: str) -> PresetSpec:
    form = request.form

    def number(field: str) -> int | None:
        raw = (form.get(field) or "").strip()
        if not raw:
            return None
        if not ascii_digits(raw) or len(raw) > 9:
            raise ValidationError(f"{field.replace('_', ' ')}: a whole number")
        return int(raw)

    return PresetSpec(
        name=name.strip().lower(), format=(form.get("format") or "").upper(), max_edge=number("max_edge"),
        dpi=number("dpi"), colour=form.get("colour") or "srgb", quality=number("quality") or 85,
        background=(form.get("background") or "#ffffff").strip(), keep_alpha=form.get("keep_alpha") == "on",
        write_metadata=form.get("write_metadata") == "on",
        filename_template=(form.get("filename_template") or "").strip(),
        label=(form.get("label") or "").strip(),
    )  # fmt: skip


@presets_bp.post("/admin/presets")
@login_required
def save() -> ResponseReturnValue:
    """Create or change a preset; a change makes every cached rendition of it stale."""
    name = request.form.get("name") or ""
    is_new = request.form.get("is_new") == "1"
    try:
        spec = _spec_from_form(name)
    except ValidationError as exc:
        return _form(BUILTIN["web"].with_changes(name=name), is_new=is_new, error=exc.message, status=422)
    try:
        with runtime().db.transaction() as session:
            if is_new and spec.name in renditions.preset_specs(session):
                raise ValidationError(f"a preset named {spec.name!r} exists already")
            renditions.save_preset(session, viewer(), spec)
    except ValidationError as exc:
        return _form(spec, is_new=is_new, error=exc.message, status=422)
    return redirect(url_for("presets.index"))


@presets_bp.post("/admin/presets/<name>/delete")
@login_required
def delete(name: str) -> ResponseReturnValue:
    """Delete a custom preset or reset a built-in one to its defaults."""
    with runtime().db.transaction() as session:
        renditions.delete_preset(session, viewer(), name)
    return redirect(url_for("presets.index"))
