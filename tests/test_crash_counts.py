"""Counts survive an abrupt end (kill -9, an out-of-memory kill, a power cut): the bot writes them
every 2 s, so at most the last 2 s are lost."""

from __future__ import annotations

import signal
import sqlite3
import time

from bot_process import BotProcess

from handbook.usage.log import UsageLog

WINDOW = UsageLog.__init__.__kwdefaults__["flush_interval"]


def totals(path) -> dict:
    with sqlite3.connect(path) as db:
        db.row_factory = sqlite3.Row
        return {k: sum(row[k] for row in db.execute("SELECT * FROM daily_totals")) for k in ("messages", "questions", "users")}


def test_counts_written_before_a_kill_9_survive_it(tg, tmp_path, content_copy):
    assert WINDOW <= 2.0
    bot = BotProcess(tg, tmp_path, content=content_copy).start()
    users = [tg.user(9100 + i, f"U{i}", language_code="vi") for i in range(3)]
    for round_ in range(4):
        for user in users:
            tg.send_text(user, "sốt cao phải làm sao" if round_ % 2 else "đau bụng")
            tg.wait_replies(user.id)
    time.sleep(WINDOW + 1.5)  # longer than the window: everything handled is on disk now
    bot.proc.send_signal(signal.SIGKILL)
    bot.proc.wait(timeout=10)
    bot.proc = None
    assert totals(tmp_path / "healthbot.db") == {"messages": 12, "questions": 12, "users": 3}
