"""The set-based core of bulk edits: plan a chunk of assets (one query per part, the policy decided per
asset in Python from the loaded rows), then write the chunk (bulk inserts and updates, one audit event per
asset, one search-sync item per chunk).

The decisions are the single-asset ones: ``fields.write_refusal`` for every part that really changes
(against the asset as it is, before the change, like the single-asset services), ``policy.can_edit`` for
archived assets, and the workflow table for actions (``bulk_changes``).
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from models import Asset, AuditEvent, BulkJobItem
from portal.services.catalog.bulk_changes import Refusal, State
from portal.services.catalog.bulk_parts import PARTS, Context
from portal.services.distribution import webhooks
from portal.services.governance.fields import write_refusal
from portal.services.governance.policy import can_edit, can_view
from portal.services.search import sync as search_sync

CHUNK = 1000
# Works out one asset's new values in place (the state holds its current values), or refuses it.
Planner = Callable[[Context, Asset, State], Refusal | None]
Change = tuple[dict[str, Any], dict[str, Any]]  # an asset's changed parts: values before, values after


@dataclass
class Outcome:
    """What a change does (or would do) to one asset."""

    asset_id: int
    outcome: str  # changed | unchanged | refused
    before: dict[str, Any]
    after: dict[str, Any]
    status: int | None = None
    reason: str | None = None

    def result(self) -> dict[str, Any]:
        """The API's per-asset result."""
        if self.outcome == "refused":
            return {
                "asset_id": self.asset_id,
                "result": "refused",
                "status": self.status,
                "reason": self.reason,
            }
        diff = {k: {"from": self.before[k], "to": self.after[k]} for k in self.after}
        return {"asset_id": self.asset_id, "result": "ok", "changes": diff}


@dataclass
class Tally:
    """Outcome counts with the refusal reasons grouped."""

    changed: int = 0
    unchanged: int = 0
    refused: int = 0
    reasons: Counter[str] | None = None

    def add(self, outcomes: Sequence[Outcome]) -> None:
        """Count a chunk's outcomes."""
        self.reasons = self.reasons if self.reasons is not None else Counter()
        for o in outcomes:
            setattr(self, o.outcome, getattr(self, o.outcome) + 1)
            if o.reason:
                self.reasons[o.reason] += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON form (kept on the job)."""
        return {
            "changed": self.changed, "unchanged": self.unchanged, "refused": self.refused,
            "reasons": dict((self.reasons or Counter()).most_common()),
        }  # fmt: skip

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Tally:
        """Back from ``as_dict``."""
        return cls(int(data.get("changed", 0)), int(data.get("unchanged", 0)), int(data.get("refused", 0)),
                   Counter(data.get("reasons") or {}))  # fmt: skip


def chunks(ids: Sequence[int], size: int = CHUNK) -> list[list[int]]:
    """The ids in chunks of ``size``."""
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def plan_chunk(
    session: Session, ctx: Context, ids: Sequence[int], parts: Sequence[str], planner: Planner
) -> list[Outcome]:
    """Decide every asset of a chunk: load rows and parts (one query each), work out the new values and
    check the write rules. Nothing is written; ``ctx.assets`` holds the loaded rows for ``write_chunk``."""
    rows = session.scalars(select(Asset).where(Asset.id.in_(list(ids)))).all()
    ctx.assets = {a.id: a for a in rows if can_view(ctx.viewer, a)}
    current = {name: PARTS[name].load(session, ctx.assets) for name in parts}
    outcomes = []
    for asset_id in ids:
        asset = ctx.assets.get(asset_id)
        if asset is None:
            gone = "not found (deleted, or hidden from you)"
            outcomes.append(Outcome(asset_id, "refused", {}, {}, 404, gone))
            continue
        before = {name: current[name][asset_id] for name in parts}
        state = copy.deepcopy(before)
        refusal = planner(ctx, asset, state)
        changed = [n for n in parts if state[n] != before[n]]
        if refusal is None and changed:
            refusal = _write_refusal(ctx, asset, state, changed)
        if refusal is not None:
            outcomes.append(Outcome(asset_id, "refused", {}, {}, refusal[0], refusal[1]))
        elif not changed:
            outcomes.append(Outcome(asset_id, "unchanged", {}, {}))
        else:
            outcomes.append(Outcome(asset_id, "changed", {n: before[n] for n in changed},
                                    {n: state[n] for n in changed}))  # fmt: skip
    return outcomes


def _write_refusal(ctx: Context, asset: Asset, state: State, changed: Sequence[str]) -> Refusal | None:
    """The single-asset write rules for every part that changes (workflow parts check their own)."""
    guarded = [PARTS[n].field for n in changed if PARTS[n].field is not None]
    if guarded and not can_edit(ctx.viewer, asset):
        return 403, "archived: a manager must restore it before it can change"
    for name in changed:
        guard = PARTS[name].field
        if guard is None:
            continue
        reason = write_refusal(ctx.viewer, asset, guard, new_visibility=state.get("visibility"))
        if reason is not None:
            return 403, reason
    return None


def write_chunk(
    session: Session, ctx: Context, outcomes: Sequence[Outcome], action: str, job_id: int | None
) -> None:
    """Write a planned chunk: each part's bulk store, one audit event per changed asset, one search-sync
    item, the webhooks (when anyone listens), and the per-asset outcomes of the job."""
    changed = [o for o in outcomes if o.outcome == "changed"]
    # Value parts first, workflow steps (parts that check their own rules) last: "submit" sees the
    # custom field values the same change sets.
    for name, part in sorted(PARTS.items(), key=lambda kv: kv[1].field is None):
        rows = [(o.asset_id, o.before[name], o.after[name]) for o in changed if name in o.after]
        if rows:
            part.store(session, ctx, rows)
    session.flush()
    if changed:
        session.execute(
            insert(AuditEvent),
            [{"action": action, "actor_id": ctx.viewer.user_id, "asset_id": o.asset_id, "ip": ctx.ip,
              "target": f"bulk:{job_id}" if job_id else None,
              "detail": {"job": job_id, "fields": list(o.after),
                         "changes": {k: {"from": o.before[k], "to": o.after[k]} for k in o.after}}}
             for o in changed],
        )  # fmt: skip
        search_sync.assets_changed(session, [o.asset_id for o in changed], hold_until=ctx.hold_sync_until)
        if webhooks.listening(session):
            for o in changed:
                webhooks.emit_asset_event(session, "asset.updated", o.asset_id)
    if job_id is not None and outcomes:
        session.execute(
            insert(BulkJobItem),
            [{"job_id": job_id, "asset_id": o.asset_id, "outcome": o.outcome, "status": o.status,
              "reason": o.reason, "before": o.before, "after": o.after} for o in outcomes],
        )  # fmt: skip


def changes_planner(change_set: Any) -> Planner:
    """The planner of an edit: apply the change set's kinds in order."""

    def plan(ctx: Context, asset: Asset, state: State) -> Refusal | None:
        refusal: Refusal | None = change_set.apply(ctx, asset, state)
        return refusal

    return plan


def undo_planner(items: Mapping[int, Change]) -> Planner:
    """The planner of an undo: per asset, each undoable part the job changed goes back (sets by delta)."""

    def plan(ctx: Context, asset: Asset, state: State) -> Refusal | None:
        before, after = items.get(asset.id, ({}, {}))
        for name in before:
            revert = PARTS[name].revert if name in PARTS else None
            if revert is not None and name in state:
                state[name] = revert(state[name], before[name], after[name])
        return None

    return plan


def undo_parts(items: Mapping[int, Change]) -> list[str]:
    """The undoable parts some asset of a job changed."""
    names = {n for before, _ in items.values() for n in before}
    return [n for n in PARTS if n in names and PARTS[n].revert is not None]
