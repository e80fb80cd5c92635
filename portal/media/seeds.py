"""A small in-process cache of preview bases, keyed by content hash.

Ingest has to decode every image completely to verify it; when the preview job runs in the same process
(the embedded worker threads), it takes the decoded base from here instead of decoding the file again.
A miss (another process, an evicted entry) only means the job decodes the file itself.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from PIL import Image


class PreviewSeeds:
    """Thread-safe, bounded (least recently added entries go first), each entry taken at most once."""

    def __init__(self, capacity: int = 16) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Image.Image] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, sha256: str, image: Image.Image) -> None:
        """Keep a base for the version with this content hash."""
        if self.capacity <= 0:
            return
        with self._lock:
            self._items[sha256] = image
            self._items.move_to_end(sha256)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def take(self, sha256: str) -> Image.Image | None:
        """Remove and return the base for this hash, if still cached."""
        with self._lock:
            return self._items.pop(sha256, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
