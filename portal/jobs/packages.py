"""Building packages in the background."""

from __future__ import annotations

from portal.jobs.registry import task
from portal.runtime import Runtime
from portal.services.distribution import packages
from portal.services.distribution import signed_links as package_links


@task("packages.build")
def build_package(rt: Runtime, package_id: int) -> None:
    """Resolve, plan and write one package; a missing or finished package is a no-op."""
    packages.build(rt, package_id)


@task("packages.cleanup")
def cleanup_packages(rt: Runtime) -> int:
    """Remove the files of expired packages (run with the periodic rights job); returns how many."""
    return package_links.purge_expired(rt)
