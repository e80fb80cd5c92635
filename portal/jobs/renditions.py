"""Background builds of channel renditions (one version, one preset)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from portal.errors import NotFound, RejectedFile
from portal.jobs.registry import task
from portal.media.presets import AV_FORMATS
from portal.runtime import Runtime
from portal.services.distribution import playback, renditions

log = logging.getLogger(__name__)
PROGRESS_EVERY = 2.0  # seconds between progress writes


@task("renditions.build")
def build_rendition(rt: Runtime, version_id: int, preset: str) -> None:
    """Build (or confirm fresh) one rendition; a missing version or preset is a no-op, so is a fresh one."""
    report: Callable[[float], None] | None = None
    try:
        with rt.db.session() as session:
            spec = renditions.get_preset(session, preset)
        # Audio/video renditions take a while: their progress is recorded on the version as they go.
        report = _reporter(rt, version_id, preset) if spec.format in AV_FORMATS else None
        renditions.ensure_rendition(rt, version_id, spec, report)  # NotFound: version deleted meanwhile
    except NotFound:
        return
    except RejectedFile as exc:
        # A source that cannot be rendered will not improve by retrying; the download says why.
        log.warning("rendition %s of version %s not built: %s", preset, version_id, exc.message)
    finally:
        if report is not None:
            playback.set_progress(rt, version_id, preset, None)


def _reporter(rt: Runtime, version_id: int, preset: str) -> Callable[[float], None]:
    """A progress callback that writes at most every ``PROGRESS_EVERY`` seconds (and the start)."""
    last = [0.0]

    def report(fraction: float) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY and fraction < 1.0:
            last[0] = now
            playback.set_progress(rt, version_id, preset, fraction)

    report(0.0)
    return report
