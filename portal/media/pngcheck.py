"""PNG structure check: every chunk's length and CRC, in order, up to IEND (Pillow skips IDAT CRCs).

A PNG whose image data fails its CRC, or whose chunk length lies, can still decode into plausible pixels;
the chunk walk finds both before the file is stored.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import BinaryIO, Final

from portal.errors import RejectedFile

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_BLOCK: Final = 1024 * 1024
# A chunk longer than this is a lying length (the PNG format caps chunk lengths at 2^31 - 1).
_MAX_CHUNK: Final = 2**31 - 1


def verify_png_chunks(path: Path) -> None:
    """Raise RejectedFile unless ``path`` is a PNG whose chunks all have a valid length and CRC up to IEND."""
    with open(path, "rb") as fh:
        if fh.read(8) != PNG_SIGNATURE:
            raise RejectedFile("corrupt PNG: bad signature")
        while True:
            header = fh.read(8)
            if len(header) < 8:
                raise RejectedFile("corrupt PNG: truncated before the IEND chunk")
            length, kind = struct.unpack(">I4s", header)
            if length > _MAX_CHUNK or not kind.isalpha():
                raise RejectedFile(f"corrupt PNG: malformed chunk header ({kind!r}, length {length})")
            crc = _crc_of(fh, kind, length)
            stored = fh.read(4)
            if len(stored) < 4:
                raise RejectedFile(f"corrupt PNG: chunk {kind.decode('latin-1')} is truncated")
            if struct.unpack(">I", stored)[0] != crc:
                raise RejectedFile(f"corrupt PNG: chunk {kind.decode('latin-1')} fails its CRC check")
            if kind == b"IEND":
                return


def _crc_of(fh: BinaryIO, kind: bytes, length: int) -> int:
    crc = zlib.crc32(kind)
    left = length
    while left:
        block = fh.read(min(left, _BLOCK))
        if not block:
            raise RejectedFile(f"corrupt PNG: chunk {kind.decode('latin-1')} is truncated")
        crc = zlib.crc32(block, crc)
        left -= len(block)
    return crc & 0xFFFFFFFF
