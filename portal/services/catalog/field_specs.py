"""The custom field definitions a search needs, remembered per process.

Every search asks which custom fields are facets for its viewer; reading the definitions took a database
query per search. They are now kept for ``TTL`` seconds per runtime under a generation number: an edit in
this process (create, update, delete in ``custom_fields``) moves the generation on at once and again when
its transaction commits (a search between the two cannot keep the old definitions), so this process sees
the edit on its next search; other processes (web workers, the job runner) within ``TTL`` seconds.
"""

from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.orm import Session

from indexer.custom_fields import FieldSpec, load_specs
from portal.runtime import Runtime

TTL = 10.0
_lock = threading.Lock()
_generation = 0


def generation() -> int:
    """The current generation of this process's definitions."""
    return _generation


def _bump(*_: object) -> None:
    global _generation
    with _lock:
        _generation += 1


def changed(session: Session) -> None:
    """Note that ``session`` changes definitions: forget the remembered ones now and after its commit."""
    _bump()
    event.listen(session, "after_commit", _bump, once=True)


def cached_specs(rt: Runtime) -> tuple[FieldSpec, ...]:
    """Every definition in display order (``load_specs``), remembered for ``TTL`` seconds."""
    key = ("custom_field_specs", generation())
    found = rt.cache.get(key)
    if found is not None:
        return tuple(found)
    with rt.db.session() as session:
        specs = tuple(load_specs(session))
    rt.cache.put(key, specs, ttl=TTL)
    return specs
