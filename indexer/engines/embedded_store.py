"""On-disk layout of the embedded index: the active-directory pointer, per-directory state, the tail log.

::

    root/
      CURRENT                 name of the active index directory (replaced atomically: a rebuild's swap)
      write.lock              flock held by the single writer
      idx-<stamp>/
        text/                 tantivy index (words only)
        base-<n>/             immutable columnar part (numpy arrays, docs.jsonl, vectors.f32)
        tail-<n>.jsonl        changes since that base, one JSON record a line
        STATE                 {"base", "tail", "tail_bytes", "seq", "dim"} (replaced atomically per commit)

Readers never take a lock: they read STATE and only the first ``tail_bytes`` of the tail, so a writer in
the middle of appending is invisible until it replaces STATE.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CURRENT = "CURRENT"
STATE = "STATE"
LOCK = "write.lock"
TEXT_DIR = "text"
# Old index directories and bases kept after a swap, for readers that have not switched over yet.
KEEP_OLD = 1


@dataclass(frozen=True)
class State:
    """Which base and tail an index directory serves; ``seq`` grows with every commit."""

    base: str
    tail: str
    tail_bytes: int = 0
    seq: int = 0
    dim: int | None = None


def write_atomic(path: Path, text: str) -> None:
    """Replace a small file atomically (write a temporary file, fsync, rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_current(root: Path) -> str | None:
    """Name of the active index directory, or None before the first write."""
    try:
        name = (root / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def write_current(root: Path, name: str) -> None:
    """Point readers at another index directory (the atomic swap of a rebuild)."""
    write_atomic(root / CURRENT, name + "\n")


def read_state(directory: Path) -> State:
    """The state of an index directory."""
    data = json.loads((directory / STATE).read_text(encoding="utf-8"))
    return State(**data)


def write_state(directory: Path, state: State) -> None:
    """Publish a new state of an index directory."""
    write_atomic(directory / STATE, json.dumps(asdict(state)))


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """(inode, mtime, size) of a file, or None: cheap change detection for files replaced by rename."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def new_directory_name(prefix: str) -> str:
    """A unique, time-ordered directory name."""
    stamp = f"{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 1_000_000_000:09d}"
    return f"{prefix}-{stamp}-{secrets.token_hex(3)}"


def read_tail(path: Path, start: int, end: int) -> list[dict[str, Any]]:
    """Records of the tail log between two byte offsets."""
    if end <= start:
        return []
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def append_tail(path: Path, offset: int, records: list[dict[str, Any]]) -> int:
    """Append records at ``offset`` (dropping anything a crashed writer left beyond it); the new end."""
    with open(path, "ab") as fh:  # creates the file
        pass
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.truncate()
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
        return fh.tell()


@contextlib.contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """Hold the single-writer lock of an index root (blocks while another process writes)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def remove_old(parent: Path, prefix: str, keep: set[str]) -> None:
    """Delete ``prefix*`` entries of ``parent`` except ``keep`` and the ``KEEP_OLD`` newest others."""
    entries = sorted(
        (p for p in parent.iterdir() if p.name.startswith(prefix) and p.name not in keep),
        key=lambda p: p.name,
    )
    for path in entries[: max(0, len(entries) - KEEP_OLD)]:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
