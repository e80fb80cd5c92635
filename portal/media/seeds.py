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

A producer may ``wait`` a little for room instead of being refused at once (ingest does): a refused base
costs its job a whole second decode of the file (40 CPU ms for a 12 MP JPEG), so whenever the preview
jobs fall behind a burst of uploads (the cores are busy with other work: the vision model, another
request) refusing would make them slower still. Waiting holds ingest to the pace of its preview jobs,
the way a bounded queue does. It waits only while the jobs keep taking entries: when none was taken for
``wait`` seconds (a job lane busy with a long package build or Office conversions) a put is refused at
once, so a stalled lane costs uploads nothing more than the second decode.
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
        self._room = threading.Condition(self._lock)
        self._last_take = time.monotonic()

    def put(self, sha256: str, image: Image.Image, wait: float = 0.0) -> bool:
        """Keep a base for the version with this content hash; False when the cache is full of entries
        younger than ``max_age`` and stays so for ``wait`` seconds, or at once when nothing was taken
        for ``wait`` seconds (the image is not kept)."""
        if self.capacity <= 0:
            return False
        with self._room:
            self._items.pop(sha256, None)
            while not self._has_room():
                # Room comes only from a take: wait while the takers are at work, not for a stalled lane.
                left = self._last_take + wait - time.monotonic()
                if left <= 0:
                    return False
                self._room.wait(left)
            self._items[sha256] = (self._clock(), image)
            return True

    def _has_room(self) -> bool:
        """Drop expired entries; whether one more fits (lock held)."""
        now = self._clock()
        while self._items and now - next(iter(self._items.values()))[0] > self.max_age:
            self._items.popitem(last=False)
        return len(self._items) < self.capacity

    def take(self, sha256: str) -> Image.Image | None:
        """Remove and return the base for this hash, if still cached."""
        with self._room:
            entry = self._items.pop(sha256, None)
            if entry is None:
                return None
            self._last_take = time.monotonic()
            self._room.notify()
            return entry[1]

    def __len__(self) -> int:
        with self._room:
            return len(self._items)
