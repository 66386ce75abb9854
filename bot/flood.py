"""Per-user flood control: a token bucket per user, so that one flooding user waits alone, applied
before an update takes one of the application's concurrency slots (FairUpdateProcessor)."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import BaseUpdateProcessor


@dataclass
class _Bucket:
    tokens: float
    stamp: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0
    warned: bool = False  # the user was told to slow down in this flood
    flooded: bool = False  # messages were dropped in this flood


class FloodGate:
    """`async with gate.slot(user) as slowed:` waits for the user's turn.

    A user may send `burst` messages at once, then `rate` per second; messages beyond `queue` waiting
    ones are dropped (`slot` raises Dropped). `slowed` is True once per flood, for a single notice.
    Other users never wait for a flooding one: each user has their own bucket and lock. Idle users
    are forgotten once more than `max_users` are remembered. After `close()` (shutdown) a message
    that would have to wait (for the user's rate, or behind the user's earlier messages) is dropped
    at once instead of being let through later; other messages within the rate still go through.
    """

    class Dropped(Exception):
        def __init__(self, *, notify: bool = False):
            super().__init__()
            self.notify = notify  # the first message dropped in a flood: tell the user once

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
        if bucket.tokens >= self.burst and not bucket.waiting:  # quiet again: the flood is over
            bucket.warned = bucket.flooded = False

    def busy(self, user: object) -> bool:
        """Is the user sending faster than the bot answers them (messages waiting, or dropped)?"""
        bucket = self._buckets.get(user)
        return bucket is not None and (bucket.waiting > 1 or bucket.flooded or bucket.warned)

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
        if bucket.waiting >= self.queue:  # too many waiting: dropped before it takes anything
            bucket.flooded = True
            first, bucket.warned = not bucket.warned, True
            raise FloodGate.Dropped(notify=first)
        bucket.waiting += 1
        queued = bucket.lock.locked()  # behind the user's earlier messages
        try:
            async with bucket.lock:
                self._refill(bucket)
                slowed = False
                if self._closed and queued and bucket.flooded:  # shutting down: a flood's queue goes
                    raise FloodGate.Dropped()
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


class FairUpdateProcessor(BaseUpdateProcessor):
    """python-telegram-bot's update processor with the flood gate in front of its concurrency slots.

    The base class takes a slot, then runs the update; a flood gate inside the handler let a few
    flooding accounts fill every slot with updates waiting for their turn, so everyone else waited.
    Here the gate decides first: a flooding user's excess updates are dropped before they take a
    slot (`on_dropped`), the first slowed one brings one notice (`on_slowed`), and each user has at
    most one update in a slot at a time (the gate's per-user lock), so the slots, taken in arrival
    order, go round the users in turn. Users sending faster than they are answered also share a
    few "busy" slots, so that a user with one question waits for a few flood replies at most.
    """

    def __init__(self, gate: FloodGate, *, user_of: Callable[[object], object],
                 on_slowed: Callable[[object], Awaitable[None]],
                 on_dropped: Callable[[object], Awaitable[None]], max_concurrent_updates: int = 64,
                 busy_slots: int = 4):
        super().__init__(max_concurrent_updates)
        # the users sending faster than they are answered share these few slots: their replies
        # never queue up before the others' in the Bot API rate limit (30 messages a second)
        self._busy = asyncio.Semaphore(busy_slots)
        self.gate, self.user_of = gate, user_of
        self.on_slowed, self.on_dropped = on_slowed, on_dropped
        self.dropped = 0

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:  # the gate, then a slot
        try:
            user = self.user_of(update)
        except Exception:  # noqa: BLE001 - an odd update is not gated rather than lost
            user = None
        try:
            async with self.gate.slot(user) as slowed:
                if slowed:
                    await _quietly(self.on_slowed(update))
                if user is not None and self.gate.busy(user):  # flooding: share a few slots in turn
                    async with self._busy, self._semaphore:
                        await self.do_process_update(update, coroutine)
                else:
                    async with self._semaphore:
                        await self.do_process_update(update, coroutine)
        except FloodGate.Dropped as dropped:
            self.dropped += 1
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # never started: nothing to clean up
            if dropped.notify:
                await _quietly(self.on_slowed(update))
            await _quietly(self.on_dropped(update))

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


async def _quietly(action: Awaitable[None]) -> None:
    """A notice or an answer to a dropped press: failing it must not stop the updates."""
    try:
        await action
    except Exception:  # noqa: BLE001
        logging.getLogger("healthbot.flood").debug("flood notice failed", exc_info=True)
