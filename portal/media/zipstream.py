"""A ZIP written to disk entry by entry, chunk by chunk: memory stays flat whatever the package size.

Already-compressed images (JPEG, PNG, WebP, GIF, AVIF, HEIC) are stored as they are; everything else is
deflated. ZIP64 records are written wherever an entry or the archive passes the 4 GiB limits.
"""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path
from typing import BinaryIO, Final

CHUNK: Final = 1024 * 1024
STORED_TYPES: Final = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "image/avif",
        "image/heic",
        "image/heif",
        "video/mp4",
        "audio/mp4",
        "video/webm",
        "audio/mpeg",
    }
)


class ZipStream:
    """Write entries to ``path`` one at a time; ``close`` writes the central directory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fh: BinaryIO = open(self.path, "wb")  # noqa: SIM115  (closed in close())
        self._zip = zipfile.ZipFile(self._fh, "w", allowZip64=True)
        self._stamp = time.localtime()[:6]

    def _info(self, name: str, size: int, mime_type: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_STORED if mime_type in STORED_TYPES else zipfile.ZIP_DEFLATED
        info.file_size = size  # lets zipfile pick ZIP64 headers up front for large entries
        info.external_attr = 0o644 << 16
        return info

    def add_file(self, name: str, source: Path, mime_type: str) -> int:
        """Copy a file into the archive in 1 MiB chunks; returns the bytes of the source."""
        size = os.path.getsize(source)
        info = self._info(name, size, mime_type)
        with (
            open(source, "rb") as src,
            self._zip.open(info, "w", force_zip64=size >= zipfile.ZIP64_LIMIT) as dst,
        ):
            while chunk := src.read(CHUNK):
                dst.write(chunk)
        return size

    def add_bytes(self, name: str, data: bytes, mime_type: str = "text/csv") -> int:
        """Add a small in-memory entry (the manifest)."""
        self._zip.writestr(self._info(name, len(data), mime_type), data)
        return len(data)

    @property
    def bytes_written(self) -> int:
        """Bytes in the archive file so far."""
        return self._fh.tell()

    def close(self) -> None:
        """Finish the archive (central directory) and close the file."""
        try:
            self._zip.close()
            self._fh.flush()
            os.fsync(self._fh.fileno())
        finally:
            self._fh.close()

    def abort(self) -> None:
        """Close and delete a partial archive."""
        self._zip.fp = None  # a half-written archive has no central directory to write
        try:
            self._fh.close()
        finally:
            self.path.unlink(missing_ok=True)
