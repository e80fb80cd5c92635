"""Editing an asset in the catalogue: product links by hand, and its descriptive metadata (title,
description, tags, rights note) with validation, an audit event, the search sync and a webhook."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from models import (
    AssetProduct,
    AssetTag,
    LinkSource,
    Role,
)
from portal.errors import ValidationError
from portal.services.catalog import assets as asset_service
from portal.services.catalog import linking
from portal.services.distribution import webhooks
from portal.services.governance import audit
from portal.services.governance.policy import (
    Viewer,
    require_role,
)
from portal.services.search import sync as search_sync

MAX_TITLE = 500
MAX_DESCRIPTION = 20_000
MAX_RIGHTS_NOTE = 5_000
MAX_TAG = 100
MAX_TAGS = 100
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG_SPLIT = re.compile(r"[,;\n]")


def link_product(
    session: Session, viewer: Viewer, asset_id: int, key: str, *, ip: str | None = None
) -> AssetProduct:
    """Link an asset by hand to an article number or a model code (editors and above); an unknown key is
    NotFound, an empty one a ValidationError. Recorded in the audit trail."""
    require_role(viewer, Role.EDITOR)
    asset = asset_service.get_asset(session, viewer, asset_id)
    link = linking.add_link(session, asset, key, LinkSource.MANUAL, viewer.user_id)
    kind = "model" if link.model_code else "article"
    audit.record(
        session, "asset.link", actor_id=viewer.user_id, asset_id=asset.id, target=link.key, ip=ip, kind=kind
    )
    search_sync.assets_changed(session, [asset.id])
    return link


def unlink_product(
    session: Session, viewer: Viewer, asset_id: int, link_id: int, *, ip: str | None = None
) -> str:
    """Remove one product link (editors and above); returns the key it named. Recorded in the audit trail."""
    require_role(viewer, Role.EDITOR)
    asset = asset_service.get_asset(session, viewer, asset_id)
    key = next((link.key for link in asset.links if link.id == link_id), None)
    linking.remove_link(session, asset, link_id)
    audit.record(session, "asset.unlink", actor_id=viewer.user_id, asset_id=asset.id, target=key, ip=ip)
    search_sync.assets_changed(session, [asset.id])
    return key or ""


# --- asset metadata edit ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MetadataEdit:
    """Validated new values of an asset's descriptive fields; ``tags`` None leaves the tags alone."""

    title: str
    description: str | None
    rights_note: str | None
    tags: list[str] | None = None


def _clean(name: str, value: str | None, limit: int, *, single_line: bool) -> str | None:
    text = _CONTROL.sub("", value or "").strip()
    if single_line:
        text = " ".join(text.split())
    if len(text) > limit:
        raise ValidationError(f"{name} is longer than {limit} characters")
    return text or None


def parse_tags(raw: str) -> list[str]:
    """Tags from a comma (or semicolon, or line) separated text: trimmed, lower-case, unique, in order."""
    seen: dict[str, None] = {}
    for part in _TAG_SPLIT.split(raw or ""):
        tag = " ".join(_CONTROL.sub("", part).split()).lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG:
            raise ValidationError(f"tag {tag[:20]!r}... is longer than {MAX_TAG} characters")
        seen.setdefault(tag, None)
    if len(seen) > MAX_TAGS:
        raise ValidationError(f"at most {MAX_TAGS} tags per asset")
    return list(seen)


def parse_metadata_form(form: Mapping[str, str]) -> MetadataEdit:
    """Validate the edit form's fields (``title``, ``description``, ``rights_note``, optional ``tags``)."""
    title = _clean("title", form.get("title"), MAX_TITLE, single_line=True)
    if not title:
        raise ValidationError("the title must not be empty")
    tags = parse_tags(form["tags"]) if "tags" in form else None
    return MetadataEdit(
        title=title,
        description=_clean("description", form.get("description"), MAX_DESCRIPTION, single_line=False),
        rights_note=_clean("rights note", form.get("rights_note"), MAX_RIGHTS_NOTE, single_line=False),
        tags=tags,
    )


def update_asset_metadata(
    session: Session, viewer: Viewer, asset_id: int, edit: MetadataEdit, *, ip: str | None = None
) -> list[str]:
    """Apply an edit (editors and above); returns the names of the changed fields and records them in
    the audit trail. An edit that changes nothing records nothing."""
    require_role(viewer, Role.EDITOR)
    asset = asset_service.get_asset(session, viewer, asset_id)
    changed: list[str] = []
    for name in ("title", "description", "rights_note"):
        new = getattr(edit, name)
        if getattr(asset, name) != new:
            setattr(asset, name, new)
            changed.append(name)
    if edit.tags is not None:
        current = {t.tag: t for t in asset.tags}
        wanted = set(edit.tags)
        if set(current) != wanted:
            for tag, row in current.items():
                if tag not in wanted:
                    asset.tags.remove(row)
            for tag in edit.tags:
                if tag not in current:
                    asset.tags.append(AssetTag(tag=tag, source="manual"))
            changed.append("tags")
    if changed:
        audit.record(session, "asset.edit", actor_id=viewer.user_id, asset_id=asset.id, ip=ip, fields=changed)
        search_sync.assets_changed(session, [asset.id])
        webhooks.emit_asset_event(session, "asset.updated", asset.id)
    return changed
