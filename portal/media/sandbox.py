"""Run an external converter (LibreOffice, Ghostscript) in a subprocess with time and memory limits.

The child gets its own session (so a timeout kills the whole process group, helpers included), an
address-space and CPU-time limit set before it executes, no core dumps, and a private temporary folder.
A converter that is not installed reports ``ToolMissing``; a run past its limits or a failing one
reports ``RejectedFile("no preview: ...")``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from portal.errors import RejectedFile

log = logging.getLogger(__name__)

GIB: Final = 1024**3


class ToolMissing(RejectedFile):
    """The external converter needed for a preview is not installed."""


def find_tool(*names: str) -> str | None:
    """The first of ``names`` found on PATH, or None."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def _limits(memory_bytes: int, cpu_seconds: int) -> None:
    """Runs in the child between fork and exec: bound memory, CPU time, file size and core dumps."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (2 * GIB, 2 * GIB))


def run_limited(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout_s: float,
    memory_bytes: int = 2 * GIB,
    label: str = "converter",
    env: dict[str, str] | None = None,
) -> None:
    """Run ``argv`` in ``cwd`` within the limits; RejectedFile when it fails, times out or crashes."""
    cpu = max(1, int(timeout_s)) + 1
    child_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": "C.UTF-8"}
    child_env.update(env or {})
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=child_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=lambda: _limits(memory_bytes, cpu),
    )
    try:
        output, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise RejectedFile(f"no preview: the {label} took longer than {timeout_s:g} s") from None
    finally:
        _kill_group(proc)  # helpers the tool left behind in its session
    if proc.returncode != 0:
        tail = output.decode("utf-8", "replace").strip().splitlines()[-1:] if output else []
        reason = f"exit status {proc.returncode}" + (f": {tail[0][:200]}" if tail else "")
        raise RejectedFile(f"no preview: the {label} failed ({reason})")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child's process group (it is the group leader) and reap the child."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:  # pragma: no cover  (SIGKILL was sent)
        log.warning("converter process %s did not exit", proc.pid)
