"""SIGTERM while the real `healthbot run` is busy: the updates being handled are finished (or, when
queued behind a flood, dropped) cleanly, every handled update is counted in the file, exit code 0."""

from __future__ import annotations

import signal
import sqlite3
import time

import pytest
from bot_process import BotProcess

QUESTION = "sốt cao phải làm sao"  # answered with one message


@pytest.fixture
def bot(tg, tmp_path):
    process = BotProcess(tg, tmp_path)
    yield process
    if process.proc is not None:  # a failed test must not leave the bot running
        process.proc.kill()
        process.proc.wait()


def totals(db) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT coalesce(sum(messages), 0), coalesce(sum(questions), 0) FROM daily_totals").fetchone()
    return row[0], row[1]


def terminate(bot: BotProcess, within: float) -> tuple[int, float]:
    started = time.monotonic()
    bot.proc.send_signal(signal.SIGTERM)
    code = bot.proc.wait(timeout=within)
    bot.proc = None
    return code, time.monotonic() - started


def test_sigterm_mid_load_finishes_what_is_in_hand_and_counts_it(tg, tmp_path, bot):
    bot.start()
    users = [tg.user(9100 + i, "Lan", language_code="vi") for i in range(20)]
    tg.delay_next("sendMessage", 0.4, times=1000)  # Telegram is slow: many replies are in flight
    for _ in range(3):
        for user in users:
            tg.send_text(user, QUESTION)
    sent = 3 * len(users)
    tg.wait_call("sendMessage", count=5)
    code, _ = terminate(bot, within=30)
    assert code == 0, bot.log()

    replied = sum(len(tg.replies(u.id)) for u in users)
    left = tg.webhook_info["pending_update_count"]  # not fetched yet: Telegram keeps them
    messages, questions = totals(tmp_path / "healthbot.db")
    assert 0 < replied <= sent
    assert questions == messages == replied  # every handled update answered and counted
    assert questions + left == sent  # nothing lost, nothing handled twice
    assert "counts flushed; bye" in bot.log() and "Traceback" not in bot.log()

    if left:  # the rest are handled after a restart, once
        tg.clear_faults()
        bot.start()
        deadline = time.monotonic() + 20
        while sum(len(tg.replies(u.id)) for u in users) < sent and time.monotonic() < deadline:
            time.sleep(0.1)
        assert bot.stop() == 0, bot.log()
    assert all(len(tg.replies(u.id)) == 3 for u in users)
    assert totals(tmp_path / "healthbot.db") == (sent, sent)


def test_sigterm_during_a_flood_drops_the_queue_and_exits_promptly(tg, tmp_path, bot):
    # guards FloodGate.close on SIGTERM: messages queued behind a flood (up to 20, let through at
    # 2 a second) are dropped at once, so the stop takes seconds, not ten or more; a container
    # manager would kill a slower bot before it wrote its counts
    bot.start()
    flooder = tg.user(9201, "Flood", language_code="vi")
    for i in range(12):
        tg.send_text(flooder, f"giá vàng hôm nay {i}")
    tg.wait_replies(flooder.id, count=11)  # the burst of 10 and the flood notice; 2 are waiting
    for i in range(30):
        tg.send_text(flooder, f"giá vàng hôm nay {i}")  # 18 more wait (at 2 a second), the rest are dropped
    time.sleep(0.3)
    code, took = terminate(bot, within=30)
    assert code == 0, bot.log()
    assert took < 6.0, f"the stop took {took:.1f} s"
    replies = tg.replies(flooder.id)
    messages, _ = totals(tmp_path / "healthbot.db")
    assert messages == len(replies) - 1  # each handled message counted; the flood notice is not one
    assert "Traceback" not in bot.log()
