"""Editing an asset in the catalogue: product links by hand, and its descriptive metadata (title,
description, tags, rights note) with validation, an audit event, the search sync and a webhook."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from models import (
    AssetProduct,
    AssetTag,
    LinkSource,
    Role,
)
from portal.errors import NotFound, ValidationError
from portal.services.catalog import assets as asset_service
from portal.services.catalog import custom_values, linking
from portal.services.distribution import webhooks
from portal.services.governance import audit
from portal.services.governance.fields import Field, require_write
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
MAX_LINKS_AT_ONCE = 100
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG_SPLIT = re.compile(r"[,;\n]")


def link_product(
    session: Session, viewer: Viewer, asset_id: int, key: str, *, ip: str | None = None
) -> AssetProduct:
    """Link an asset by hand to an article number or a model code (editors and above); an unknown key is
    NotFound, an empty one a ValidationError. Recorded in the audit trail."""
    require_role(viewer, Role.EDITOR)
    asset = asset_service.get_asset(session, viewer, asset_id)
    require_write(viewer, asset, Field.LINKS)
    link = linking.add_link(session, asset, key, LinkSource.MANUAL, viewer.user_id)
    kind = "model" if link.model_code else "article"
    audit.record(
        session, "asset.link", actor_id=viewer.user_id, asset_id=asset.id, target=link.key, ip=ip, kind=kind
    )
    search_sync.assets_changed(session, [asset.id])
    return link


def link_products(
    session: Session, viewer: Viewer, asset_id: int, keys: Sequence[str], *, ip: str | None = None
) -> list[AssetProduct]:
    """Link an asset to several article numbers or model codes at once (the asset page's picker): all or
    none. Every unknown key is named in one NotFound, so the form can say which to remove; none at all or
    too many is a ValidationError. Who may link is checked first, so a partner learns nothing."""
    require_role(viewer, Role.EDITOR)
    require_write(viewer, asset_service.get_asset(session, viewer, asset_id), Field.LINKS)
    wanted = list(dict.fromkeys(k.strip() for k in keys if k and k.strip()))
    if not wanted:
        raise ValidationError("choose at least one product to link")
    if len(wanted) > MAX_LINKS_AT_ONCE:
        raise ValidationError(f"link at most {MAX_LINKS_AT_ONCE} products at once")
    unknown = [k for k in wanted if not linking.resolve_keys(session, [k])]
    if unknown:
        names = ", ".join(k[:64] for k in unknown[:10]) + (" …" if len(unknown) > 10 else "")
        noun = "article number or model code" if len(unknown) == 1 else "article numbers or model codes"
        raise NotFound(f"unknown {noun}: {names}")
    return [link_product(session, viewer, asset_id, key, ip=ip) for key in wanted]


def unlink_product(
    session: Session, viewer: Viewer, asset_id: int, link_id: int, *, ip: str | None = None
) -> str:
    """Remove one product link (editors and above); returns the key it named. Recorded in the audit trail."""
    require_role(viewer, Role.EDITOR)
    asset = asset_service.get_asset(session, viewer, asset_id)
    require_write(viewer, asset, Field.LINKS)
    key = next((link.key for link in asset.links if link.id == link_id), None)
    linking.remove_link(session, asset, link_id)
    audit.record(session, "asset.unlink", actor_id=viewer.user_id, asset_id=asset.id, target=key, ip=ip)
    search_sync.assets_changed(session, [asset.id])
    return key or ""


# --- asset metadata edit ----------------------------------------------------------------------------


TEXT_FIELDS = frozenset({"title", "description", "rights_note"})


@dataclass(frozen=True)
class MetadataEdit:
    """Validated new values of an asset's descriptive fields. Only the text fields named in ``given`` are
    written (a field a form does not show stays untouched); ``tags`` None leaves the tags alone."""

    title: str | None
    description: str | None
    rights_note: str | None
    tags: list[str] | None = None
    given: frozenset[str] = TEXT_FIELDS
    # The tags the form showed: when known, only the user's own additions and removals are applied, so a
    # tag accepted (or added) elsewhere after the form was rendered survives the save.
    tags_shown: list[str] | None = None
    # Validated custom field values to write (``custom_values.parse_*``; None clears one); keys not in it
    # stay as they are.
    custom_fields: Mapping[str, Any] | None = None


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
    """Validate the edit form's fields (``title``, ``description``, ``rights_note``, ``tags``); a field
    the form does not send is left untouched, never cleared."""
    given = frozenset(name for name in TEXT_FIELDS if name in form)
    title = _clean("title", form.get("title"), MAX_TITLE, single_line=True)
    if "title" in given and not title:
        raise ValidationError("the title must not be empty")
    tags = parse_tags(form["tags"]) if "tags" in form else None
    return MetadataEdit(
        title=title,
        description=_clean("description", form.get("description"), MAX_DESCRIPTION, single_line=False),
        rights_note=_clean("rights note", form.get("rights_note"), MAX_RIGHTS_NOTE, single_line=False),
        tags=tags,
        given=given,
        tags_shown=parse_tags(form["tags_shown"]) if tags is not None and "tags_shown" in form else None,
    )


def update_asset_metadata(
    session: Session, viewer: Viewer, asset_id: int, edit: MetadataEdit, *, ip: str | None = None
) -> list[str]:
    """Apply an edit (editors and above); returns the names of the changed fields and records them in
    the audit trail. An edit that changes nothing records nothing."""
    require_role(viewer, Role.EDITOR)
    asset = asset_service.get_asset(session, viewer, asset_id)
    require_write(viewer, asset, Field.METADATA)  # an archived asset refuses even a no-op edit
    if "title" in edit.given and not edit.title:
        raise ValidationError("the title must not be empty")
    changed: list[str] = []
    for name in ("title", "description", "rights_note"):
        if name not in edit.given:
            continue  # not on the form (or not in the request): untouched
        new = getattr(edit, name)
        if getattr(asset, name) != new:
            require_write(viewer, asset, Field.RIGHTS if name == "rights_note" else Field.METADATA)
            setattr(asset, name, new)
            changed.append(name)
    if edit.tags is not None:
        current = {t.tag: t for t in asset.tags}
        wanted = _wanted_tags(list(current), edit.tags, edit.tags_shown)
        if set(current) != set(wanted):
            require_write(viewer, asset, Field.TAGS)
            for tag, row in current.items():
                if tag not in wanted:
                    asset.tags.remove(row)
            for tag in wanted:
                if tag not in current:
                    asset.tags.append(AssetTag(tag=tag, source="manual"))
            changed.append("tags")
    if edit.custom_fields:
        keys = custom_values.apply_values(asset, edit.custom_fields)
        if keys:
            # Raising here rolls the transaction back, the values just applied with it.
            require_write(viewer, asset, Field.METADATA)
            changed.append("custom_fields")
    if changed:
        audit.record(session, "asset.edit", actor_id=viewer.user_id, asset_id=asset.id, ip=ip, fields=changed)
        search_sync.assets_changed(session, [asset.id])
        webhooks.emit_asset_event(session, "asset.updated", asset.id)
    return changed


def _wanted_tags(current: list[str], submitted: list[str], shown: list[str] | None) -> list[str]:
    """The tags after a save: the submitted list, or (when the form said what it showed) the current tags
    minus what the user removed plus what the user added."""
    if shown is None:
        return submitted
    removed = set(shown) - set(submitted)
    kept = [tag for tag in current if tag not in removed]
    return kept + [tag for tag in submitted if tag not in shown and tag not in kept]
