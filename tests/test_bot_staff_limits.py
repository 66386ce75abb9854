"""Staff powers and votes, through the real bot: a long "content refused" message still reaches the
admin (cut, with a pointer to `healthbot check`), a button press without a message (inline message
id only) counts no vote, and /stats is answered only in the admin's private chat."""

from __future__ import annotations

import sqlite3
import time

import pytest
from bot_process import BotProcess

ADMIN = 4343


@pytest.fixture
def bot(tg, tmp_path, content_copy):
    process = BotProcess(tg, tmp_path, admins=str(ADMIN), content=content_copy).start()
    yield process
    assert process.stop() == 0, process.log()


def test_a_reload_failure_longer_than_a_message_is_cut_and_points_to_check(tg, bot, content_copy):
    lines = ["chapter: {id: long, title: {vi: a, en: b}}", "entries:"]
    lines += [f"  - id: {'x' * 350}{i}" for i in range(20)]  # every problem names the long id
    (content_copy / "handbook" / "12-long.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    admin = tg.user(ADMIN, "Staff", language_code="en")
    tg.send_text(admin, "/reload")
    [told] = tg.wait_replies(admin.id, timeout=15)
    assert len(told.text) <= 4096 and "12-long.yaml" in told.text and "healthbot check" in told.text
    assert not [e for e in tg.errors if e.method != "getUpdates"]


def test_a_press_without_a_message_counts_no_vote(tg, bot, tmp_path):
    lan = tg.user(1201, "Lan", language_code="vi")
    query_ids = []
    for _ in range(5):  # what a forged client sends: only an inline message id, any data
        payload = {"from": lan.to_dict(), "inline_message_id": "AAAAAgAAAA", "data": "fb:+:fever",
                   "chat_instance": "-1"}
        query_ids.append(tg._sync(tg._new_query, "callback_query", payload))
    for query_id in query_ids:
        tg.wait_callback_answer(query_id)
    tg.send_text(lan, "sốt cao phải làm sao")  # a real vote, for comparison
    [answer] = tg.wait_replies(lan.id)
    tg.press(lan, answer, "fb:+:fever")
    tg.wait_replies(lan.id)
    assert bot.stop() == 0
    with sqlite3.connect(tmp_path / "healthbot.db") as db:
        assert db.execute("SELECT sum(helpful) FROM daily_entries WHERE entry = 'fever'").fetchone()[0] == 1


def test_stats_are_given_only_in_a_private_chat(tg, bot):
    admin = tg.user(ADMIN, "Staff", language_code="en")
    group = tg.group(-5101, "Workers")
    tg.send_text(admin, "/stats@healthbot_test_bot", chat=group)
    tg.send_text(admin, "/reload@healthbot_test_bot", chat=group)
    time.sleep(1.0)
    for reply in tg.replies(group["id"]):
        assert "questions" not in reply.text and "📊" not in reply.text and "entries" not in reply.text
    tg.send_text(admin, "/stats")
    [figures] = tg.wait_replies(admin.id)
    assert "7 days" in figures.text
