"""The parts of an asset a bulk edit reads and writes, set-based, a chunk of assets at a time.

A part knows how to load its current values for a chunk (one query, or the loaded asset rows), how to
store new values for the assets that change (bulk inserts/deletes/updates), which policy field guards it
(``portal.services.governance.fields``), and what an undo writes back. Values are plain JSON values (a
part's before/after are kept per asset for the undo). A new kind of metadata (custom fields) registers its
own part with ``register_part``; the engine needs no change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from indexer.custom_fields import FieldSpec
from models import Asset, AssetProduct, AssetTag, LinkSource
from portal.services.catalog import linking
from portal.services.catalog.linking import LinkTarget
from portal.services.governance import workflow
from portal.services.governance.fields import Field
from portal.services.governance.policy import Viewer

# (asset id, value before, value after) for every asset whose part changes.
Rows = Sequence[tuple[int, Any, Any]]


@dataclass
class Context:
    """What a chunk's writes need besides the values: who, which job, resolved product keys."""

    viewer: Viewer
    job_id: int | None = None
    comment: str | None = None
    ip: str | None = None
    links: dict[str, LinkTarget] = field(default_factory=dict)
    assets: dict[int, Asset] = field(default_factory=dict)
    # The custom fields "submit" needs a value for (loaded once per job when the change submits).
    required_fields: list[FieldSpec] = field(default_factory=list)
    # A job holds its chunks' search-sync items until it ends (``search.sync.assets_changed``).
    hold_sync_until: datetime | None = None


@dataclass(frozen=True)
class Part:
    """One part of an asset's state (see the module docstring)."""

    name: str
    field: Field | None  # None: the change kind checks its own rules (workflow)
    load: Callable[[Session, Mapping[int, Asset]], dict[int, Any]]
    store: Callable[[Session, Context, Rows], None]
    # (current, before, after) -> the value an undo writes; None: the part is not undone.
    revert: Callable[[Any, Any, Any], Any] | None = None


PARTS: dict[str, Part] = {}


def register_part(part: Part) -> Part:
    """Make a part known to bulk edits (custom fields add theirs here)."""
    PARTS[part.name] = part
    return part


def revert_set(current: Any, before: Any, after: Any) -> list[str]:
    """Undo of a set-like part: take back what the job added, put back what it removed, keep the rest
    (a tag someone added since stays)."""
    added = set(after) - set(before)
    removed = [v for v in before if v not in set(after)]
    kept = [v for v in current if v not in added]
    return kept + [v for v in removed if v not in kept]


def revert_value(current: Any, before: Any, after: Any) -> Any:
    """Undo of a single value: the value before the job."""
    return before


def iso(moment: datetime | None) -> str | None:
    """A timestamp as the canonical UTC ISO string parts compare and keep."""
    return moment.astimezone(UTC).isoformat() if moment else None


# --- tags --------------------------------------------------------------------------------------------


def _load_tags(session: Session, assets: Mapping[int, Asset]) -> dict[int, Any]:
    out: dict[int, list[str]] = {i: [] for i in assets}
    rows = session.execute(
        select(AssetTag.asset_id, AssetTag.tag)
        .where(AssetTag.asset_id.in_(list(assets)))
        .order_by(AssetTag.id)
    )
    for asset_id, tag in rows:
        out[asset_id].append(tag)
    return dict(out)


def _store_tags(session: Session, ctx: Context, rows: Rows) -> None:
    gone = [{"a": i, "t": t} for i, before, after in rows for t in before if t not in set(after)]
    new = [{"asset_id": i, "tag": t, "source": "manual"} for i, before, after in rows for t in after
           if t not in set(before)]  # fmt: skip
    if gone:
        table = cast(Table, AssetTag.__table__)
        session.execute(
            delete(table).where(table.c.asset_id == bindparam("a"), table.c.tag == bindparam("t")), gone
        )
    if new:
        session.execute(insert(AssetTag), new)


# --- product links -----------------------------------------------------------------------------------


def _load_links(session: Session, assets: Mapping[int, Asset]) -> dict[int, Any]:
    out: dict[int, list[str]] = {i: [] for i in assets}
    rows = session.execute(
        select(AssetProduct.asset_id, AssetProduct.article_number, AssetProduct.model_code)
        .where(AssetProduct.asset_id.in_(list(assets)))
        .order_by(AssetProduct.id)
    )
    for asset_id, article, model in rows:
        out[asset_id].append(article or model or "")
    return dict(out)


def _target(session: Session, ctx: Context, key: str) -> LinkTarget | None:
    """What a key links to (resolved once per job; an undo re-adds keys the edit resolved, a product
    deleted since is skipped)."""
    if key not in ctx.links:
        found = linking.resolve_keys(session, [key])
        if not found:
            return None
        ctx.links[key] = found[0]
    return ctx.links[key]


def _store_links(session: Session, ctx: Context, rows: Rows) -> None:
    from portal.services.distribution import webhooks

    added: list[tuple[int, LinkTarget]] = []
    removed: list[tuple[int, str]] = []
    for asset_id, before, after in rows:
        for key in after:
            target = _target(session, ctx, key) if key not in set(before) else None
            if target is not None:
                added.append((asset_id, target))
        removed += [(asset_id, k) for k in before if k not in set(after)]
    for asset_id, key in removed:
        asset = ctx.assets.get(asset_id)
        if asset is not None and (asset.link_key or "").lower() == key.lower():
            asset.link_key = None  # or a later product import would bring a file-name link back
    if removed:
        table = cast(Table, AssetProduct.__table__)
        name: BindParameter[str] = bindparam("k")
        session.execute(
            delete(table).where(
                table.c.asset_id == bindparam("a"),
                or_(table.c.article_number == name, table.c.model_code == name),
            ),
            [{"a": i, "k": k} for i, k in removed],
        )
        webhooks.emit_links_changed(
            session, "unlinked", [i for i, _ in removed], [k for _, k in removed], [k for _, k in removed]
        )
    if added:
        session.execute(
            insert(AssetProduct),
            [{"asset_id": i, "article_number": t.article_number, "model_code": t.model_code,
              "source": LinkSource.MANUAL.value, "created_by_id": ctx.viewer.user_id} for i, t in added],
        )  # fmt: skip
        webhooks.emit_links_changed(
            session, "linked", [i for i, _ in added], [t.article_number for _, t in added],
            [t.model_code for _, t in added],
        )  # fmt: skip


# --- columns of the asset row ------------------------------------------------------------------------


def _column_part(name: str, column: str, guard: Field, *, as_time: bool = False) -> Part:
    def load(session: Session, assets: Mapping[int, Asset]) -> dict[int, Any]:
        if as_time:
            return {i: iso(getattr(a, column)) for i, a in assets.items()}
        return {i: getattr(a, column) for i, a in assets.items()}

    def store(session: Session, ctx: Context, rows: Rows) -> None:
        for asset_id, _before, after in rows:
            asset = ctx.assets[asset_id]
            if as_time:
                setattr(asset, column, datetime.fromisoformat(after) if after else None)
                asset.expiry_handled_at = None  # a new expiry is a new event for the expiry job
            else:
                setattr(asset, column, after)

    return Part(name, guard, load, store, revert_value)


# --- workflow ----------------------------------------------------------------------------------------

_ACTION_BY_STEP = {
    (source.value, rule.target.value): rule.action
    for rule in workflow.TRANSITIONS.values()
    for source in rule.sources
}


def _load_status(session: Session, assets: Mapping[int, Asset]) -> dict[int, Any]:
    return {i: a.status for i, a in assets.items()}


def _store_status(session: Session, ctx: Context, rows: Rows) -> None:
    """Each step goes through the workflow service (audit, notifications, webhooks, renditions)."""
    for asset_id, before, after in rows:
        action = _ACTION_BY_STEP[(before, after)]
        workflow.transition(session, ctx.viewer, asset_id, action, ctx.comment, ip=ctx.ip)


register_part(Part("tags", Field.TAGS, _load_tags, _store_tags, revert_set))
register_part(Part("links", Field.LINKS, _load_links, _store_links, revert_set))
register_part(_column_part("visibility", "visibility", Field.VISIBILITY))
register_part(_column_part("rights_note", "rights_note", Field.RIGHTS))
register_part(_column_part("expires_at", "rights_expire_at", Field.RIGHTS, as_time=True))
# Workflow steps are not undone (there is no way back from "approved" to "in review", say).
register_part(Part("status", None, _load_status, _store_status, None))
