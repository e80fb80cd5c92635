"""Per-stage timings of a benchmark run, without touching the code under test: the named functions are
wrapped for the duration of a ``with`` block and every call adds its wall time and its thread's CPU time
to the stage. Work running on other threads inside a call (ONNX Runtime's pool in the forward pass) shows
in the wall time, not in the thread CPU time; the process's CPU seconds (``process_cpu``) count everything.
"""

from __future__ import annotations

import functools
import importlib
import resource
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


def process_cpu() -> float:
    """CPU seconds (user + system) of this process so far, every thread included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Stage:
    """Accumulated calls of one stage."""

    calls: int = 0
    wall: float = 0.0
    cpu: float = 0.0


@dataclass
class StageClock:
    """Stage name -> accumulated time; thread-safe."""

    stages: dict[str, Stage] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, wall: float, cpu: float) -> None:
        """Record one call of ``name``."""
        with self._lock:
            stage = self.stages.setdefault(name, Stage())
            stage.calls += 1
            stage.wall += wall
            stage.cpu += cpu

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` timed under ``name``; a nested call of a stage already timing on this thread is not
        counted twice (the outer call holds it)."""
        active = threading.local()

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            if getattr(active, "depth", 0):
                return fn(*args, **kwargs)
            active.depth = 1
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                active.depth = 0
                self.add(name, time.perf_counter() - wall, time.thread_time() - cpu)

        return timed

    def rows(self, images: int) -> list[dict[str, Any]]:
        """One row per stage: calls, busy seconds, ms per image (wall and thread CPU)."""
        return [
            {
                "stage": name,
                "calls": s.calls,
                "busy_s": round(s.wall, 2),
                "wall_ms_per_image": round(1000 * s.wall / max(1, images), 1),
                "thread_cpu_ms_per_image": round(1000 * s.cpu / max(1, images), 1),
            }
            for name, s in self.stages.items()
        ]


@contextmanager
def patched(clock: StageClock, targets: dict[str, str]) -> Iterator[StageClock]:
    """Wrap each ``"module:attr"`` or ``"module:Class.attr"`` target (stage name -> target) while the
    block runs; restores the originals afterwards."""
    undo: list[tuple[Any, str, Any]] = []
    try:
        for name, target in targets.items():
            module_name, _, path = target.partition(":")
            owner: Any = importlib.import_module(module_name)
            *parents, attr = path.split(".")
            for part in parents:
                owner = getattr(owner, part)
            original = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
            undo.append((owner, attr, original))
            setattr(owner, attr, clock.wrap(name, getattr(owner, attr)))
        yield clock
    finally:
        for owner, attr, original in reversed(undo):
            setattr(owner, attr, original)
