"""Sliding-window rate limits for public pages and downloads: in memory, or shared through Redis.

A limiter answers "may this key do one more thing now?" and, when not, how many seconds until it may.
The in-memory limiter is per process (enough for one server); with ``ASSETPORT_REDIS_URL`` set, every
process counts in the same Redis sorted sets, so the limit holds across workers.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from portal.errors import TooManyRequests

log = logging.getLogger(__name__)
# Keys of the in-memory limiter are dropped once idle, so a crawler with many addresses cannot grow it
# without bound; past this many keys the oldest idle ones go first.
MAX_KEYS = 50_000


@dataclass(frozen=True)
class Decision:
    """The answer for one request: allowed, or the seconds to wait."""

    allowed: bool
    retry_after: int = 0


class Limiter(Protocol):
    """Counts events per key within a moving window."""

    def hit(self, key: str, limit: int, window: float) -> Decision:
        """Record one event for ``key`` unless ``limit`` events already fell in the last ``window`` s."""
        ...


class MemoryLimiter:
    """A per-process sliding-window log (timestamps per key), thread-safe."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, window: float) -> Decision:
        """See ``Limiter.hit``."""
        now = self._clock()
        with self._lock:
            events = self._events.get(key)
            if events is None:
                if len(self._events) >= MAX_KEYS:
                    self._evict(now, window)
                events = self._events[key] = deque()
            while events and events[0] <= now - window:
                events.popleft()
            if len(events) >= limit:
                return Decision(False, max(1, math.ceil(events[0] + window - now)))
            events.append(now)
            return Decision(True)

    def _evict(self, now: float, window: float) -> None:
        idle = [k for k, v in self._events.items() if not v or v[-1] <= now - window]
        for key in idle or list(self._events)[: MAX_KEYS // 10]:
            del self._events[key]


class RedisLimiter:
    """The same sliding window in a Redis sorted set per key (scores are event times)."""

    def __init__(self, url: str, prefix: str = "assetport:rl:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._prefix = prefix
        # A down Redis must not take the public pages with it: this process counts alone meanwhile.
        self._fallback = MemoryLimiter()

    def hit(self, key: str, limit: int, window: float) -> Decision:
        """See ``Limiter.hit``; while Redis is unreachable, the per-process limiter answers."""
        try:
            return self._hit(key, limit, window)
        except self._errors as exc:
            log.warning("rate limiter: Redis unavailable (%s); counting in this process", exc)
            return self._fallback.hit(key, limit, window)

    def _hit(self, key: str, limit: int, window: float) -> Decision:
        # Two round trips: trim-and-count, then add when under the limit.
        name = self._prefix + key
        now = time.time()
        pipe = self._redis.pipeline()
        pipe.zremrangebyscore(name, 0, now - window)
        pipe.zcard(name)
        pipe.zrange(name, 0, 0, withscores=True)
        _, count, oldest = pipe.execute()
        if int(count) >= limit:
            first = float(oldest[0][1]) if oldest else now
            return Decision(False, max(1, math.ceil(first + window - now)))
        pipe = self._redis.pipeline()
        pipe.zadd(name, {f"{now:.6f}:{uuid.uuid4().hex[:8]}": now})
        pipe.expire(name, max(1, math.ceil(window)))
        pipe.execute()
        return Decision(True)


def make_limiter(redis_url: str | None) -> Limiter:
    """Redis-backed when a Redis URL is configured, else in memory."""
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()


def enforce(limiter: Limiter, key: str, limit: int, window: float) -> None:
    """Raise TooManyRequests (with ``retry_after`` seconds) when ``key`` is over its limit."""
    if limit <= 0:
        return  # 0 switches a limit off
    decision = limiter.hit(key, limit, window)
    if not decision.allowed:
        raise TooManyRequests(
            f"too many requests; try again in {decision.retry_after} s", retry_after=decision.retry_after
        )
