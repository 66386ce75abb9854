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
    Other users never wait for a flooding one: each user has their own bucket and lock. Idle users
    are forgotten once more than `max_users` are remembered. After `close()` (shutdown) a message
    that would have to wait for the user's rate is dropped at once instead of being let through
    later; messages within the rate still go through.
    """

    class Dropped(Exception):
        pass

    def __init__(self, *, burst: int = 10, rate: float = 2.0, queue: int = 20, clock=time.monotonic,
                 max_users: int = 50_000):
        self.burst, self.rate, self.queue, self.clock = burst, rate, queue, clock
        self.max_users = max_users
        self._buckets: dict[object, _Bucket] = {}
        self._closed = False
        self._closing: asyncio.Event | None = None

    def __len__(self) -> int:
        """How many users the gate remembers."""
        return len(self._buckets)

    def close(self) -> None:
        """The bot is shutting down: drop the messages slowed by a flood now, and later ones."""
        self._closed = True
        if self._closing is not None:
            self._closing.set()

    def _bucket(self, user: object) -> _Bucket:
        bucket = self._buckets.get(user)
        if bucket is None:
            if len(self._buckets) > self.max_users:  # forget idle users; memory stays bounded
                now = self.clock()
                # a bucket's tokens are only brought up to date when its user writes: count the
                # refill since then, or every user who ever wrote would be kept for ever
                self._buckets = {k: b for k, b in self._buckets.items()
                                 if b.waiting or b.tokens + (now - b.stamp) * self.rate < self.burst}
            bucket = self._buckets[user] = _Bucket(float(self.burst), self.clock())
        return bucket

    def _refill(self, bucket: _Bucket) -> None:
        now = self.clock()
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= self.burst:
            bucket.warned = False

    async def _pause(self, seconds: float) -> None:
        """Sleep `seconds`, or raise Dropped as soon as the gate is closed."""
        if self._closing is None:
            self._closing = asyncio.Event()
            if self._closed:
                self._closing.set()
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            pass
        if self._closed:
            raise FloodGate.Dropped()

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
                    if self._closed:  # shutting down: no waiting for a flooding user's turn
                        raise FloodGate.Dropped()
                    slowed = not bucket.warned
                    bucket.warned = True
                    await self._pause((1 - bucket.tokens) / self.rate)
                    self._refill(bucket)
                bucket.tokens -= 1
                yield slowed
        finally:
            bucket.waiting -= 1
