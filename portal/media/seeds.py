"""A small in-process cache of preview bases, keyed by content hash.

Ingest has to decode every image completely to verify it; when the preview job runs in the same process
(the embedded worker threads), it takes the decoded base from here instead of decoding the file again.
A miss (another process, an evicted entry) only means the job decodes the file itself.

When full, the entries already there are kept and a new one is refused: the jobs that take them run in
the order the entries came (ingest order, embedding batches by version id), so the oldest entries are
the next ones taken. Evicting the oldest instead would, whenever the jobs fall more than ``capacity``
entries behind a burst of uploads (a 12 MP folder with vision on), throw away exactly the frames about
to be used and leave every job to decode again. Entries nobody took (a failed job, a deleted version,
a job run by another process) expire after ``max_age`` seconds, so they cannot block the cache.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from PIL import Image

MAX_AGE_S = 300.0


class PreviewSeeds:
    """Thread-safe, bounded (when full, expired entries go and otherwise the new one is refused), each
    entry taken at most once."""

    def __init__(
        self,
        capacity: int = 16,
        max_age: float = MAX_AGE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.max_age = max_age
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, Image.Image]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, sha256: str, image: Image.Image) -> bool:
        """Keep a base for the version with this content hash; False when the cache is full of entries
        younger than ``max_age`` (the image is not kept)."""
        if self.capacity <= 0:
            return False
        with self._lock:
            now = self._clock()
            self._items.pop(sha256, None)
            while self._items and now - next(iter(self._items.values()))[0] > self.max_age:
                self._items.popitem(last=False)
            if len(self._items) >= self.capacity:
                return False
            self._items[sha256] = (now, image)
            return True

    def take(self, sha256: str) -> Image.Image | None:
        """Remove and return the base for this hash, if still cached."""
        with self._lock:
            entry = self._items.pop(sha256, None)
            return entry[1] if entry is not None else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
