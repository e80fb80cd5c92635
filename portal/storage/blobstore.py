"""Content-addressed blob store: ``<root>/ab/cd/<sha256>``, written atomically and verified by hash."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from portal.errors import NotFound, StorageIntegrityError

CHUNK = 1024 * 1024
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StoredBlob:
    """Result of a write: the content hash, its size, and whether the bytes were new."""

    sha256: str
    size: int
    created: bool


class BlobStore:
    """Stores immutable files by their sha256; the same bytes are kept once."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def clean_tmp(self, older_than_seconds: float) -> int:
        """Remove temp files and folders nothing wrote to for ``older_than_seconds`` (left by a killed
        upload or render); returns how many entries went. Entries still being written are kept."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for entry in list(self.tmp_dir.iterdir()):
            try:
                if _last_write(entry) >= cutoff:
                    continue
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed += 1
            except FileNotFoundError:
                continue  # finished (and removed) by its writer meanwhile
        return removed

    def path_for(self, sha256: str) -> Path:
        """Where the blob with this hash lives (whether or not it exists)."""
        if not _SHA_RE.match(sha256):
            # Hashes come from our database, but never let a malformed one address the file system.
            raise NotFound("no such file")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        """True when the blob is stored."""
        return self.path_for(sha256).is_file()

    def put_stream(self, stream: BinaryIO, expected_sha256: str | None = None) -> StoredBlob:
        """Copy a stream into the store: temp file, fsync, verify, rename. Returns the hash."""
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp_dir, prefix="up-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            if expected_sha256 is not None and sha != expected_sha256:
                raise StorageIntegrityError(f"content hash mismatch: expected {expected_sha256}, got {sha}")
            return self._commit(tmp, sha, size)
        finally:
            tmp.unlink(missing_ok=True)

    def put_bytes(self, data: bytes) -> StoredBlob:
        """Store a small in-memory payload (renditions)."""
        sha = hashlib.sha256(data).hexdigest()
        if self.exists(sha):
            return StoredBlob(sha, len(data), created=False)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp_dir, prefix="mem-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            return self._commit(tmp, sha, len(data))
        finally:
            tmp.unlink(missing_ok=True)

    def put_file(self, path: Path, expected_sha256: str | None = None) -> StoredBlob:
        """Copy a local file into the store."""
        with open(path, "rb") as fh:
            return self.put_stream(fh, expected_sha256)

    def _commit(self, tmp: Path, sha: str, size: int) -> StoredBlob:
        final = self.path_for(sha)
        if final.is_file():
            return StoredBlob(sha, size, created=False)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        # Verify what landed on disk: a short write or a bad disk must not go unnoticed.
        if self.hash_file(final) != sha:
            final.unlink(missing_ok=True)
            raise StorageIntegrityError(f"stored file {sha} failed verification")
        return StoredBlob(sha, size, created=True)

    def open(self, sha256: str) -> BinaryIO:
        """Open a stored blob for reading."""
        path = self.path_for(sha256)
        try:
            return open(path, "rb")
        except FileNotFoundError as exc:
            raise NotFound(f"file {sha256[:12]} is missing from the store") from exc

    def iter_chunks(self, sha256: str) -> Iterator[bytes]:
        """Stream a blob in chunks."""
        with self.open(sha256) as fh:
            while chunk := fh.read(CHUNK):
                yield chunk

    @staticmethod
    def hash_file(path: Path) -> str:
        """sha256 of a file on disk."""
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()


def _last_write(entry: Path) -> float:
    """The newest modification time of a file, or of a folder and everything in it."""
    newest = entry.lstat().st_mtime
    if entry.is_dir() and not entry.is_symlink():
        for inner in entry.rglob("*"):
            newest = max(newest, inner.lstat().st_mtime)
    return newest


def _fsync_dir(path: Path) -> None:
    """Make a rename durable by syncing its directory entry."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
