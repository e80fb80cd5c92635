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
        self._script = self._redis.register_script(_SLIDING_WINDOW)
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
        # One script, so trim, count and add are atomic: many workers hitting one key at the same moment
        # get exactly ``limit`` admissions, never one more.
        now = time.time()
        member = f"{now:.6f}:{uuid.uuid4().hex[:8]}"
        args = [repr(now), repr(window), limit, member]
        allowed, oldest = self._script(keys=[self._prefix + key], args=args)
        if int(allowed):
            return Decision(True)
        return Decision(False, max(1, math.ceil(float(oldest) + window - now)))


# KEYS[1] the key's sorted set; ARGV now, window (s), limit, a unique member. Returns {1, "0"} when the
# event was recorded, {0, oldest event time} when the limit is reached (times as strings: Lua numbers
# would be truncated to integers on the way back).
_SLIDING_WINDOW = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, oldest[2] or ARGV[1]}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return {1, '0'}
"""


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
