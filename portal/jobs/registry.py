"""Name -> job function. Jobs take the runtime plus ids and plain values, and are safe to run twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from portal.runtime import Runtime

TaskFn = Callable[..., Any]
_TASKS: dict[str, TaskFn] = {}


def task(name: str) -> Callable[[TaskFn], TaskFn]:
    """Register a job function under a stable name (names are stored in the outbox)."""

    def wrap(fn: TaskFn) -> TaskFn:
        _TASKS[name] = fn
        return fn

    return wrap


def get_task(name: str) -> TaskFn:
    """Look up a registered job, importing the job modules on first use."""
    _load_builtin_tasks()
    try:
        return _TASKS[name]
    except KeyError:
        raise LookupError(f"unknown job {name!r}") from None


def run_task(rt: Runtime, name: str, kwargs: dict[str, Any]) -> Any:
    """Run one job by name."""
    return get_task(name)(rt, **kwargs)


def _load_builtin_tasks() -> None:
    # Imported lazily: every job module imports this registry for ``@task``.
    import portal.jobs.bulk
    import portal.jobs.custom_fields
    import portal.jobs.notify
    import portal.jobs.outbox
    import portal.jobs.packages
    import portal.jobs.previews
    import portal.jobs.renditions
    import portal.jobs.rights
    import portal.jobs.search
    import portal.jobs.vision
    import portal.jobs.webhooks  # noqa: F401
