"""The auto-tag vocabulary (managed by managers) and the tag suggestions of the models.

A suggestion stays pending until a manager accepts it (it becomes a real tag with source ``auto``, indexed
and a search facet) or rejects it (it is not suggested again). Re-tagging replaces pending suggestions only.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from models import Asset, AssetTag, Role, TagSuggestion, TagVocabulary
from models.base import utcnow
from models.vision import SuggestionState
from portal.errors import NotFound, ValidationError
from portal.services.csv_text import csv_rows
from portal.services.distribution import webhooks
from portal.services.governance import audit
from portal.services.governance.policy import Viewer, can_edit, require_role, require_view
from portal.services.search import sync as search_sync
from tagging.vocabulary import DEFAULT_VOCABULARY, GROUPS, Tag, parse_vocabulary_csv

# Assets per IN (...) list when storing suggestions in bulk: well under every database's parameter limit.
ID_CHUNK = 500

AUTO_SOURCE = "auto"
MAX_PROMPTS = 20
_LINE = re.compile(r"^line \d+: ")


@dataclass
class ImportReport:
    """What a vocabulary CSV import did; ``errors`` name the line of each rejected row."""

    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def vocabulary(session: Session) -> list[TagVocabulary]:
    """Every vocabulary row, by group and name."""
    return list(session.scalars(select(TagVocabulary).order_by(TagVocabulary.group, TagVocabulary.name)))


def active_tags(session: Session) -> list[Tag]:
    """The enabled tags the models score; the default list while the vocabulary was never set up."""
    rows = vocabulary(session)
    if not rows:
        return list(DEFAULT_VOCABULARY)
    return [
        Tag(r.name, list(r.prompts or []), float(r.threshold), r.group or "object") for r in rows if r.enabled
    ]


def _check(name: str, group: str, threshold: float, prompts: Sequence[str]) -> tuple[str, str, list[str]]:
    clean = " ".join((name or "").split())
    if not clean:
        raise ValidationError("the tag name is empty")
    if len(clean) > 100:
        raise ValidationError("the tag name is longer than 100 characters")
    group = (group or "object").strip().lower()
    if group not in GROUPS:
        raise ValidationError(f"unknown group {group!r}; use one of {', '.join(GROUPS)}")
    if not 0.0 <= threshold <= 1.0:
        raise ValidationError("the threshold must be between 0 and 1")
    kept = [" ".join(p.split()) for p in prompts if p and p.strip()]
    if len(kept) > MAX_PROMPTS:
        raise ValidationError(f"at most {MAX_PROMPTS} prompts per tag")
    return clean, group, kept


def save_tag(
    session: Session,
    viewer: Viewer,
    name: str,
    *,
    group: str = "object",
    threshold: float = 0.35,
    prompts: Sequence[str] = (),
    enabled: bool = True,
) -> TagVocabulary:
    """Create a tag or update the one with this name (managers)."""
    require_role(viewer, Role.MANAGER)
    clean, group, kept = _check(name, group, threshold, prompts)
    row = session.scalar(select(TagVocabulary).where(TagVocabulary.name == clean))
    if row is None:
        row = TagVocabulary(name=clean)
        session.add(row)
    row.group, row.threshold, row.prompts, row.enabled = group, float(threshold), kept, enabled
    session.flush()
    return row


def update_tag(
    session: Session,
    viewer: Viewer,
    tag_id: int,
    *,
    threshold: float | None = None,
    enabled: bool | None = None,
) -> TagVocabulary:
    """Change a tag's threshold or switch it on or off (managers)."""
    require_role(viewer, Role.MANAGER)
    row = session.get(TagVocabulary, tag_id)
    if row is None:
        raise NotFound("tag not found")
    if threshold is not None:
        if not 0.0 <= threshold <= 1.0:
            raise ValidationError("the threshold must be between 0 and 1")
        row.threshold = float(threshold)
    if enabled is not None:
        row.enabled = enabled
    return row


def load_defaults(session: Session, viewer: Viewer) -> int:
    """Add the default product-photography vocabulary; existing tags are left as they are."""
    require_role(viewer, Role.MANAGER)
    have = set(session.scalars(select(TagVocabulary.name)))
    added = 0
    for tag in DEFAULT_VOCABULARY:
        if tag.name not in have:
            session.add(
                TagVocabulary(
                    name=tag.name, group=tag.group, threshold=tag.threshold, prompts=list(tag.prompts)
                )
            )
            added += 1
    return added


def import_csv(session: Session, viewer: Viewer, text: str) -> ImportReport:
    """Upsert tags from a CSV (``name,group,threshold,prompts``); each bad line is reported, the rest kept."""
    require_role(viewer, Role.MANAGER)
    report = ImportReport()
    rows = csv_rows(text.lstrip("\ufeff"))
    header = rows[0][1] if rows else None
    if not header:
        report.errors.append("line 1: the file is empty")
        return report
    seen: set[str] = set()
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        tag = _parse_line(header, row, line, report)
        if tag is None:
            continue
        if tag.name in seen:
            report.errors.append(f"line {line}: duplicate tag {tag.name!r}")
            continue
        seen.add(tag.name)
        exists = session.scalar(select(TagVocabulary.id).where(TagVocabulary.name == tag.name))
        save_tag(session, viewer, tag.name, group=tag.group, threshold=tag.threshold, prompts=tag.prompts)
        if exists:
            report.updated += 1
        else:
            report.created += 1
    if not seen and not report.errors:
        report.errors.append("the file has no tags")
    return report


def _parse_line(header: list[str], row: list[str], line: int, report: ImportReport) -> Tag | None:
    # One row at a time through the tagging parser, so a bad line is reported and the others still count.
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerow(row)
    try:
        return parse_vocabulary_csv(buffer.getvalue())[0]
    except ValueError as exc:
        report.errors.append(f"line {line}: {_LINE.sub('', str(exc))}")
        return None


def store_suggestions(
    session: Session, asset_id: int, model_id: str, scored: Sequence[tuple[str, float]]
) -> int:
    """Replace the asset's pending suggestions with these (tag, score) pairs. Tags already decided on, or
    already on the asset, are not suggested again. Returns how many are pending now."""
    return store_suggestions_many(session, model_id, {asset_id: scored})


def store_suggestions_many(
    session: Session, model_id: str, scored: Mapping[int, Sequence[tuple[str, float]]]
) -> int:
    """``store_suggestions`` for many assets (asset id -> (tag, score) pairs) in a fixed number of
    statements per chunk of assets, not per asset (the tagging job). Returns how many are pending now."""
    ids = sorted({int(i) for i in scored})
    added = 0
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        session.execute(
            delete(TagSuggestion).where(
                TagSuggestion.asset_id.in_(chunk), TagSuggestion.state == SuggestionState.PENDING.value
            )
        )
        taken = {
            (int(a), str(t))
            for a, t in session.execute(
                select(TagSuggestion.asset_id, TagSuggestion.tag).where(TagSuggestion.asset_id.in_(chunk))
            )
        }
        present = {
            (int(a), str(t).casefold())
            for a, t in session.execute(
                select(AssetTag.asset_id, AssetTag.tag).where(AssetTag.asset_id.in_(chunk))
            )
        }
        rows: list[dict[str, object]] = []
        for asset_id in chunk:
            for tag, score in scored[asset_id]:
                if (asset_id, tag) in taken or (asset_id, tag.casefold()) in present:
                    continue
                taken.add((asset_id, tag))
                rows.append({"asset_id": asset_id, "tag": tag, "score": float(score), "model_id": model_id})
        if rows:
            session.execute(insert(TagSuggestion), rows)
        added += len(rows)
    return added


def suggestions(session: Session, asset_id: int, *, pending_only: bool = True) -> list[TagSuggestion]:
    """An asset's suggestions, best score first."""
    query = select(TagSuggestion).where(TagSuggestion.asset_id == asset_id)
    if pending_only:
        query = query.where(TagSuggestion.state == SuggestionState.PENDING.value)
    return list(session.scalars(query.order_by(TagSuggestion.score.desc(), TagSuggestion.tag)))


def suggestions_for(session: Session, viewer: Viewer, asset_id: int) -> list[TagSuggestion]:
    """Pending suggestions of an asset the viewer may see: staff get them, others an empty list;
    NotFound for hidden and missing assets alike."""
    require_view(viewer, session.get(Asset, asset_id))
    return suggestions(session, asset_id) if can_edit(viewer) else []


def decide(
    session: Session, viewer: Viewer, suggestion_id: int, accept: bool, *, ip: str | None = None
) -> TagSuggestion:
    """Accept (a real ``auto`` tag, reindexed) or reject one suggestion (managers). Deciding twice the
    same way changes nothing."""
    require_role(viewer, Role.MANAGER)
    item = session.get(TagSuggestion, suggestion_id)
    if item is None or session.get(Asset, item.asset_id) is None:
        raise NotFound("suggestion not found")
    state = SuggestionState.ACCEPTED if accept else SuggestionState.REJECTED
    if item.state == state.value:
        return item
    item.state, item.decided_by_id, item.decided_at = state.value, viewer.user_id, utcnow()
    existing = session.scalar(
        select(AssetTag).where(AssetTag.asset_id == item.asset_id, AssetTag.tag == item.tag)
    )
    if accept and existing is None:
        session.add(AssetTag(asset_id=item.asset_id, tag=item.tag, source=AUTO_SOURCE))
    elif not accept and existing is not None and existing.source == AUTO_SOURCE:
        session.delete(existing)
    audit.record(
        session,
        "tag.accepted" if accept else "tag.rejected",
        actor_id=viewer.user_id,
        asset_id=item.asset_id,
        target=item.tag,
        ip=ip,
        score=round(item.score, 3),
        model=item.model_id,
    )
    search_sync.assets_changed(session, [item.asset_id])
    if accept:
        webhooks.emit_asset_event(session, "asset.updated", item.asset_id)
    return item
