"""Batch upload: many files, one set of values (title pattern, tags, products, visibility, rights, custom
field values), per-file overrides, and "submit all for review".

Each file is stored on its own (``upload_one``), so a corrupt file among ten is reported for that file while
the other nine are kept. The batch values are checked once before any file is sent (``check_batch``) and
again with every file, so a client that skips the page's checks gets the same clear message.

Custom metadata fields: the values arrive as ``fields`` (key -> value, from the inputs of the
``custom_fields/_inputs.html`` macro) and are checked for the viewer (``check_custom_fields``), asked for
when "submit for review" needs them (``missing_custom_fields``) and stored on every file
(``apply_custom_fields``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from indexer.custom_fields import load_specs
from models import Asset, Role, Visibility
from portal.errors import PortalError, ValidationError
from portal.runtime import Runtime
from portal.services.catalog import custom_values, editing, linking
from portal.services.catalog.ingest import IngestResult, ingest_file
from portal.services.governance import rights, workflow
from portal.services.governance.policy import Viewer, require_role

MAX_PATTERN = 300
MAX_PRODUCTS = 50
PLACEHOLDERS = ("name", "n", "ext")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_N_FORMAT = re.compile(r"^n(?::0?(\d))?$")


@dataclass(frozen=True)
class BatchSpec:
    """Validated values for every file of a batch (``submit``: send each asset to review once stored)."""

    title_pattern: str | None = None
    tags: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    visibility: str | None = None
    rights_note: str | None = None
    rights_expire_at: datetime | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    submit: bool = False


@dataclass(frozen=True)
class FileOverride:
    """One file's own title and extra tags (None / empty: the batch's)."""

    title: str | None = None
    tags: list[str] = field(default_factory=list)


@dataclass
class BatchFileResult:
    """What happened to one file: stored (new or known bytes), values applied, submitted, or why not."""

    filename: str
    n: int
    asset_id: int | None = None
    title: str | None = None
    created: bool = False
    submitted: bool = False
    linked: list[str] = field(default_factory=list)
    error: str | None = None
    status: int = 201
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file is stored (the asset exists)."""
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form for the upload page."""
        return {
            "filename": self.filename, "n": self.n, "asset_id": self.asset_id, "title": self.title,
            "created": self.created, "duplicate": self.ok and not self.created, "submitted": self.submitted,
            "linked": self.linked, "error": self.error, "warnings": self.warnings,
        }  # fmt: skip


# --- parsing ------------------------------------------------------------------------------------------


def check_pattern(pattern: str) -> None:
    """Refuse unknown placeholders: ``{name}`` (file name without extension), ``{n}`` (running number,
    ``{n:03}`` zero-padded) and ``{ext}`` are known."""
    if len(pattern) > MAX_PATTERN:
        raise ValidationError(f"the title pattern is longer than {MAX_PATTERN} characters")
    for token in _PLACEHOLDER.findall(pattern):
        if token not in PLACEHOLDERS and not _N_FORMAT.match(token):
            raise ValidationError(
                f"unknown placeholder {{{token}}} in the title pattern; "
                "use {name}, {n} (or {n:03}), {ext}"
            )


def render_title(pattern: str | None, filename: str, n: int) -> str | None:
    """The title for file ``n`` (1-based) of a batch; None when the pattern is empty (automatic title)."""
    if not pattern or not pattern.strip():
        return None
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""

    def fill(match: re.Match[str]) -> str:
        token = match.group(1)
        if token == "name":
            return stem or filename
        if token == "ext":
            return ext.lower()
        width = _N_FORMAT.match(token)
        if width is not None:
            return str(n).zfill(int(width.group(1) or 0))
        return match.group(0)

    title = " ".join(_PLACEHOLDER.sub(fill, pattern).split())
    return title[: editing.MAX_TITLE] or None


def parse_batch(
    values: Mapping[str, str],
    products: list[str],
    fields: dict[str, Any] | None = None,
) -> BatchSpec:
    """Validate the batch form: ``title_pattern``, ``tags``, ``visibility``, ``rights_note``,
    ``rights_expire_at``, ``submit`` ("1"), the picked ``products`` and the custom ``fields``."""
    pattern = " ".join((values.get("title_pattern") or "").split()) or None
    if pattern:
        check_pattern(pattern)
    visibility = (values.get("visibility") or "").strip().lower() or None
    if visibility is not None and visibility not in {v.value for v in Visibility}:
        raise ValidationError(f"visibility must be one of {', '.join(v.value for v in Visibility)}")
    keys = list(dict.fromkeys(k.strip() for k in products if k.strip()))
    if len(keys) > MAX_PRODUCTS:
        raise ValidationError(f"link at most {MAX_PRODUCTS} products per batch")
    note = (values.get("rights_note") or "").strip() or None
    if note and len(note) > rights.MAX_NOTE:
        raise ValidationError(f"the rights note is longer than {rights.MAX_NOTE} characters")
    return BatchSpec(
        title_pattern=pattern,
        tags=editing.parse_tags(values.get("tags") or ""),
        products=keys,
        visibility=visibility,
        rights_note=note,
        rights_expire_at=rights.parse_expiry(values.get("rights_expire_at")),
        fields=dict(fields or {}),
        submit=(values.get("submit") or "").strip().lower() in ("1", "true", "yes", "on"),
    )


def parse_override(values: Mapping[str, str]) -> FileOverride:
    """One file's ``file_title`` and ``file_tags``."""
    title = " ".join((values.get("file_title") or "").split()) or None
    if title and len(title) > editing.MAX_TITLE:
        raise ValidationError(f"the title is longer than {editing.MAX_TITLE} characters")
    return FileOverride(title=title, tags=editing.parse_tags(values.get("file_tags") or ""))


# --- required values ------------------------------------------------------------------------------------


def check_custom_fields(session: Session, viewer: Viewer, values: Mapping[str, Any]) -> dict[str, Any]:
    """The custom field values checked for this viewer (``custom_values.parse_values``): an unknown field,
    a staff-only one the viewer may not see, or a value a field does not accept is a ValidationError."""
    return custom_values.parse_values(load_specs(session), viewer, values) if values else {}


def missing_custom_fields(session: Session, values: Mapping[str, Any]) -> list[str]:
    """Labels of the custom fields that are required to submit for review and have no value in ``values``
    (the submit rule, ``custom_values.require_complete``, asked before any file is sent)."""
    return [
        spec.label()
        for spec in load_specs(session)
        if spec.required and values.get(spec.key) in (None, "", [])
    ]


def apply_custom_fields(
    session: Session, viewer: Viewer, asset_id: int, values: Mapping[str, Any], ip: str | None = None
) -> list[str]:
    """Store the checked custom field values on one asset through the metadata edit service (its write
    rules and audit apply); returns the keys given a value."""
    parsed = {k: v for k, v in check_custom_fields(session, viewer, values).items() if v is not None}
    if parsed:
        edit = editing.MetadataEdit(None, None, None, given=frozenset(), custom_fields=parsed)
        editing.update_asset_metadata(session, viewer, asset_id, edit, ip=ip)
    return sorted(parsed)


def missing_for_submit(session: Session, spec: BatchSpec, fields: Mapping[str, Any]) -> list[str]:
    """What the batch still needs before its files may go to review (empty: nothing); ``fields`` are the
    checked custom field values."""
    missing = [] if spec.visibility else ["visibility"]
    return missing + missing_custom_fields(session, fields)


def check_batch(session: Session, viewer: Viewer, spec: BatchSpec) -> None:
    """Refuse a batch before any file is sent: the role, unknown products, and (to submit) missing
    required values, named in one clear message."""
    require_role(viewer, Role.EDITOR)
    unknown = [key for key in spec.products if not linking.resolve_keys(session, [key])]
    if unknown:
        raise ValidationError(f"unknown article number or model code: {', '.join(unknown)}")
    fields = check_custom_fields(session, viewer, spec.fields)
    if spec.submit:
        missing = missing_for_submit(session, spec, fields)
        if missing:
            raise ValidationError(
                "fill in before submitting for review: " + ", ".join(missing), missing=missing
            )


# --- one file ---------------------------------------------------------------------------------------


def upload_one(
    rt: Runtime,
    viewer: Viewer,
    path: Path,
    filename: str,
    spec: BatchSpec,
    n: int,
    override: FileOverride | None = None,
    *,
    ip: str | None = None,
) -> BatchFileResult:
    """Store file ``n`` of a batch as a new draft with the batch values (and its overrides), then submit it
    when asked. A file refused by ingest (corrupt, unsupported) comes back with ``error``; the same bytes
    as an existing asset come back as that asset, untouched by the batch values."""
    with rt.db.session() as session:
        check_batch(session, viewer, spec)
    own = override or FileOverride()
    title = own.title or render_title(spec.title_pattern, filename, n)
    ingested = ingest_file(
        rt, path, filename, user_id=viewer.user_id, title=title, link_keys=spec.products, ip=ip
    )
    result = _from_ingest(ingested, n)
    if not ingested.ok or not ingested.created or ingested.asset_id is None:
        if result.ok:
            result.warnings.append("already stored: the batch values were not applied to the existing asset")
        return result
    asset_id = ingested.asset_id
    try:
        with rt.db.transaction() as session:
            _apply_values(session, viewer, asset_id, spec, own, ip)
    except PortalError as exc:
        result.warnings.append(f"stored as a draft, but the batch values were not applied: {exc.message}")
        return result
    if spec.submit:
        try:
            with rt.db.transaction() as session:
                workflow.transition(session, viewer, asset_id, "submit", None, ip=ip)
            result.submitted = True
        except PortalError as exc:
            result.warnings.append(f"stored as a draft, not submitted: {exc.message}")
    return result


def _from_ingest(ingested: IngestResult, n: int) -> BatchFileResult:
    return BatchFileResult(
        filename=ingested.filename,
        n=n,
        asset_id=ingested.asset_id,
        created=ingested.created,
        linked=list(ingested.linked),
        error=ingested.error,
        status=ingested.status,
    )


def _apply_values(
    session: Session, viewer: Viewer, asset_id: int, spec: BatchSpec, own: FileOverride, ip: str | None
) -> None:
    """Tags (the file's embedded keywords kept), visibility and rights, custom fields: through the single
    asset services, so the field rules and the audit trail apply as for a hand edit."""
    extra = list(dict.fromkeys([*spec.tags, *own.tags]))
    if extra:
        editing.update_asset_metadata(
            session, viewer, asset_id,
            editing.MetadataEdit(title=None, description=None, rights_note=None, tags=extra,
                                 given=frozenset(), tags_shown=[]),
            ip=ip,
        )  # fmt: skip
    given = {
        name
        for name, value in (
            ("visibility", spec.visibility),
            ("rights_note", spec.rights_note),
            ("rights_expire_at", spec.rights_expire_at),
        )
        if value is not None
    }
    if given:
        edit = rights.RightsEdit(
            visibility=spec.visibility,
            rights_note=spec.rights_note,
            usage_restrictions=None,
            rights_expire_at=spec.rights_expire_at,
            given=frozenset(given),
        )
        rights.update_rights(session, viewer, asset_id, edit, ip=ip)
    apply_custom_fields(session, viewer, asset_id, spec.fields, ip)


def file_title(result: BatchFileResult, session: Session) -> BatchFileResult:
    """Fill in the stored asset's title (for the per-file report)."""
    if result.asset_id is not None:
        asset = session.get(Asset, result.asset_id)
        result.title = asset.title if asset is not None else None
    return result
