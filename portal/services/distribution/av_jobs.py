"""Audio/video renditions are slow to build: a long clip is never transcoded inside a request."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AssetVersion, Rendition
from portal.errors import Conflict
from portal.media.presets import PresetSpec
from portal.runtime import Runtime
from portal.services import outbox

#: Audio/video longer than this is built by a job; until it is there the caller hears "not ready" (409).
#: Shorter clips transcode in about their own duration, so a request may wait for them.
SYNC_AV_MAX_SECONDS = 60.0


def built_or_scheduled(session: Session, rt: Runtime, version: AssetVersion, spec: PresetSpec) -> None:
    """Return when ``spec`` may be built (or is built) now; for a long clip record its build job once
    (its progress shows it is under way) and raise Conflict."""
    duration = float((version.facts or {}).get("duration_s") or 0.0)
    if duration <= SYNC_AV_MAX_SECONDS:
        return
    fingerprint = spec.fingerprint(rt.settings.cmyk_profile_path)
    built = session.scalar(
        select(Rendition.preset_hash).where(Rendition.version_id == version.id, Rendition.preset == spec.name)
    )
    if built == fingerprint:
        return
    if spec.name not in (version.progress or {}):
        with rt.db.transaction() as work:
            row = work.get(AssetVersion, version.id)
            if row is not None and spec.name not in (row.progress or {}):
                row.progress = {**(row.progress or {}), spec.name: 0.0}
                outbox.record(work, "renditions.build", version_id=version.id, preset=spec.name)
    raise Conflict(f"the {spec.label or spec.name} file is being prepared; try again in a minute")
