"""Flood control: one user sending very fast is slowed down and told so once; others never wait.

Unit tests of bot/flood.py with an injected clock, then the real bot through the loopback server.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from bot_process import BotProcess

from bot.flood import FloodGate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def take(gate: FloodGate, user: object) -> bool:
    async with gate.slot(user) as slowed:
        return slowed


async def takes(gate: FloodGate, user: object, n: int) -> list[bool]:
    return [await take(gate, user) for _ in range(n)]


def test_a_burst_passes_at_once_then_the_user_is_slowed_and_told_once():
    # guards the token bucket and the `warned` flag: one notice per flood, not one per message
    clock = Clock()
    gate = FloodGate(burst=3, rate=200.0, queue=10, clock=clock)  # fast rate: the test's waits are short
    assert asyncio.run(takes(gate, "ann", 8)) == [False, False, False, True, False, False, False, False]


def test_a_quiet_period_ends_the_flood_and_a_new_flood_is_announced_again():
    # guards the refill: after burst/rate seconds of quiet a user has a full bucket again
    clock = Clock()
    gate = FloodGate(burst=3, rate=200.0, queue=10, clock=clock)

    async def scenario() -> tuple[list[bool], list[bool]]:
        first = await takes(gate, "ann", 5)
        clock.now += 60
        return first, await takes(gate, "ann", 5)

    first, second = asyncio.run(scenario())
    assert first == second == [False, False, False, True, False]


def test_messages_beyond_the_queue_are_dropped_and_other_users_do_not_wait():
    # guards the per-user queue limit and the per-user lock: a flood never delays someone else
    clock = Clock()
    gate = FloodGate(burst=1, rate=0.01, queue=2, clock=clock)  # a slowed message would wait 100 s

    async def scenario() -> None:
        assert await take(gate, "flooder") is False
        waiting = [asyncio.create_task(take(gate, "flooder")) for _ in range(2)]
        await asyncio.sleep(0.05)
        assert not any(t.done() for t in waiting)
        with pytest.raises(FloodGate.Dropped):
            await take(gate, "flooder")
        assert await asyncio.wait_for(take(gate, "someone-else"), 1.0) is False
        assert await asyncio.wait_for(takes(gate, None, 50), 1.0) == [False] * 50  # no user: no limit
        gate.close()
        done = await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), 2.0)
        assert all(isinstance(r, FloodGate.Dropped) for r in done)

    asyncio.run(scenario())


def test_closing_the_gate_drops_the_slowed_messages_at_once_but_not_the_others():
    # guards FloodGate.close (called on SIGTERM): a stop never waits for a flood queue to drain,
    # while a message within its user's rate is still handled
    gate = FloodGate(burst=1, rate=0.01, queue=20, clock=Clock())

    async def scenario() -> float:
        await take(gate, "flooder")
        waiting = [asyncio.create_task(take(gate, "flooder")) for _ in range(10)]
        await asyncio.sleep(0.05)
        started = time.monotonic()
        gate.close()
        results = await asyncio.gather(*waiting, return_exceptions=True)
        assert all(isinstance(r, FloodGate.Dropped) for r in results)
        with pytest.raises(FloodGate.Dropped):
            await take(gate, "flooder")
        assert await take(gate, "newcomer") is False
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 5.0  # without close() each would wait up to 100 s


def test_idle_users_are_forgotten_so_memory_stays_bounded():
    # guards the pruning in FloodGate._bucket: a user idle long enough to have a full bucket again
    # is forgotten (the stored tokens are stale; the refill since the last message must be counted)
    clock = Clock()
    gate = FloodGate(burst=10, rate=2.0, clock=clock, max_users=100)

    async def scenario() -> None:
        for user in range(150):
            await take(gate, user)
        assert len(gate) == 150  # all active just now: none forgotten
        clock.now += 60.0
        await take(gate, "newcomer")

    asyncio.run(scenario())
    assert len(gate) == 1


# --- the real bot ---------------------------------------------------------------------------------


def test_a_flooding_user_is_slowed_and_told_once_without_delaying_others(tg, tmp_path, loaded):
    bot = BotProcess(tg, tmp_path).start()
    flood_notice = loaded.texts.get("flood", "vi")
    flooder = tg.user(3001, "Flood", language_code="vi")
    other = tg.user(3002, "Calm", language_code="vi")
    try:
        for i in range(100):
            tg.send_text(flooder, f"giá vàng hôm nay {i}")
            if i == 50:
                asked = time.monotonic()
                tg.send_text(other, "sốt cao phải làm sao")
            time.sleep(0.008)  # 100 messages in about a second
        [answer] = tg.wait_replies(other.id, timeout=10)
        assert answer.at - asked < 3.0, "another user's reply waited behind the flood"
        assert "fb:+:fever" in str(answer.params["reply_markup"])

        time.sleep(2.0)
        so_far = tg.replies(flooder.id)
        assert 10 <= len(so_far) <= 30, f"{len(so_far)} replies: the flood was not slowed down"
    finally:
        assert bot.stop() == 0, bot.log()
    replies = tg.replies(flooder.id)
    notices = [r for r in replies if r.params["text"] == flood_notice]
    assert len(notices) == 1, [r.params["text"][:40] for r in replies]
    assert replies.index(notices[0]) >= 10  # the burst passes before the notice
    assert [e for e in tg.errors if e.method != "getUpdates"] == []  # (a stop ends the long poll with 409)


def test_twenty_flooders_do_not_delay_an_ordinary_user_and_get_no_more_than_their_allowance(tg, tmp_path, loaded):
    # guards FairUpdateProcessor: the gate decides before an update takes a concurrency slot
    gate = FloodGate()
    bot = BotProcess(tg, tmp_path).start()
    flooders = [tg.user(3100 + i, f"Flood{i}", language_code="vi") for i in range(20)]
    other = tg.user(3200, "Calm", language_code="vi")
    try:
        started = time.monotonic()
        for n in range(200):  # as fast as the loopback server takes them, the accounts interleaved
            for flooder in flooders:
                tg.send_text(flooder, f"giá vàng hôm nay {n}")
            if n == 100:
                asked = time.monotonic()
                tg.send_text(other, "sốt cao phải làm sao")
        sending = time.monotonic() - started
        [answer] = tg.wait_replies(other.id, timeout=30)
        waited = answer.at - asked
        print(f"\nordinary user's answer after {waited:.2f} s (4,000 flood messages sent in {sending:.1f} s)")
        assert waited < 2.0, f"the ordinary user waited {waited:.1f} s behind the flood"
        assert "fb:+:fever" in str(answer.params["reply_markup"])
        time.sleep(1.0)
    finally:
        stopping = time.monotonic()
        assert bot.stop() == 0, bot.log()
        print(f"stopped in {time.monotonic() - stopping:.1f} s")
    elapsed = time.monotonic() - started
    # a burst, the ones waiting their turn, the refill over the whole run, and the one notice
    allowance = gate.burst + gate.queue + gate.rate * elapsed + 1
    counts = [len(tg.replies(f.id)) for f in flooders]
    print(f"replies per flooder: {min(counts)}-{max(counts)} (allowance {allowance:.0f}, run {elapsed:.1f} s)")
    assert max(counts) <= allowance, counts
    assert min(counts) >= 2  # each flooder got answers and its notice: shared, none starved
