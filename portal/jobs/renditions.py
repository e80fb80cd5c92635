"""Background builds of channel renditions (one version, one preset)."""

from __future__ import annotations

import logging

from portal.errors import NotFound, RejectedFile
from portal.jobs.registry import task
from portal.runtime import Runtime
from portal.services.distribution import renditions

log = logging.getLogger(__name__)


@task("renditions.build")
def build_rendition(rt: Runtime, version_id: int, preset: str) -> None:
    """Build (or confirm fresh) one rendition; a missing version or preset is a no-op, so is a fresh one."""
    try:
        with rt.db.session() as session:
            spec = renditions.get_preset(session, preset)
        renditions.ensure_rendition(rt, version_id, spec)  # NotFound for a version deleted meanwhile
    except NotFound:
        return
    except RejectedFile as exc:
        # A source that cannot be rendered will not improve by retrying; the download says why.
        log.warning("rendition %s of version %s not built: %s", preset, version_id, exc.message)
