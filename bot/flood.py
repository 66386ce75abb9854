"""Per-user flood control: a token bucket per user, so that one flooding user waits alone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0
    warned: bool = False


class FloodGate:
    """`async with gate.slot(user) as slowed:` waits for the user's turn.

    A user may send `burst` messages at once, then `rate` per second; messages beyond `queue` waiting
    ones are dropped (`slot` raises Dropped). `slowed` is True once per flood, for a single notice.
    Other users never wait for a flooding one: each user has their own bucket and lock.
    """

    class Dropped(Exception):
        pass

    def __init__(self, *, burst: int = 10, rate: float = 2.0, queue: int = 20, clock=time.monotonic):
        self.burst, self.rate, self.queue, self.clock = burst, rate, queue, clock
        self._buckets: dict[object, _Bucket] = {}

    def _bucket(self, user: object) -> _Bucket:
        bucket = self._buckets.get(user)
        if bucket is None:
            if len(self._buckets) > 50_000:  # forget idle users; memory stays bounded
                self._buckets = {k: b for k, b in self._buckets.items() if b.waiting or b.tokens < self.burst}
            bucket = self._buckets[user] = _Bucket(float(self.burst), self.clock())
        return bucket

    def _refill(self, bucket: _Bucket) -> None:
        now = self.clock()
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= self.burst:
            bucket.warned = False

    @asynccontextmanager
    async def slot(self, user: object) -> AsyncIterator[bool]:
        if user is None:
            yield False
            return
        bucket = self._bucket(user)
        self._refill(bucket)
        if bucket.waiting >= self.queue:
            raise FloodGate.Dropped()
        bucket.waiting += 1
        try:
            async with bucket.lock:
                self._refill(bucket)
                slowed = False
                if bucket.tokens < 1:
                    slowed = not bucket.warned
                    bucket.warned = True
                    await asyncio.sleep((1 - bucket.tokens) / self.rate)
                    self._refill(bucket)
                bucket.tokens -= 1
                yield slowed
        finally:
            bucket.waiting -= 1
