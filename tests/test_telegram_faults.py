"""Telegram misbehaving: 429 with retry_after, 5xx answers, slow answers and dropped connections,
while polling (getUpdates) and while sending (sendMessage), against the real `healthbot run`.

The bot backs off as told, recovers, never sends the same reply twice (each question here is
answered with exactly one message) and counts every question once (the usage file after SIGTERM).
"""

from __future__ import annotations

import itertools
import sqlite3
import time

from bot_process import BotProcess

QUESTION = "sốt cao phải làm sao"  # answered with one message (the fever entry)
_ids = itertools.count(6001)


def questions_counted(db_path) -> int:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT coalesce(sum(questions), 0) FROM daily_totals").fetchone()[0]


def sends_to(tg, chat_id: int) -> int:
    return sum(1 for p in tg.calls_to("sendMessage") if p.get("chat_id") == chat_id)


def test_sending_faults_are_retried_only_when_telegram_did_not_send(tg, tmp_path):
    bot = BotProcess(tg, tmp_path).start()
    users = {}

    def ask(case: str):
        user = users[case] = tg.user(next(_ids), case, language_code="vi")
        tg.send_text(user, QUESTION)
        return user, time.monotonic()

    try:
        # too slow for the bot's read timeout (5 s): it gives up waiting, and must not send again,
        # since Telegram may well have sent it (and here it does). Left running meanwhile.
        calls = len(tg.calls_to("sendMessage"))
        tg.delay_next("sendMessage", 7.0)
        slow, _ = ask("slow")
        tg.wait_call("sendMessage", count=calls + 1)

        tg.fail_next("sendMessage", 429, retry_after=1)  # AIORateLimiter waits as told
        user, asked = ask("429")
        [reply] = tg.wait_replies(user.id)
        assert reply.at - asked >= 1.0 and sends_to(tg, user.id) == 2

        # 5xx: Telegram did not send it: sent again after a pause (PatientRateLimiter)
        tg.fail_next("sendMessage", 500)
        user, _ = ask("500")
        tg.wait_replies(user.id)
        assert sends_to(tg, user.id) == 2
        tg.fail_next("sendMessage", 502, times=2)
        user, _ = ask("502")
        tg.wait_replies(user.id)
        assert sends_to(tg, user.id) == 3

        # a connection dropped before the answer: perhaps sent, so never repeated
        tg.drop_next("sendMessage")
        user, _ = ask("drop")
        tg.assert_no_reply(user.id, within=1.5)
        assert sends_to(tg, user.id) == 1
        tg.drop_next("sendMessage", after=True)  # ...and here it was sent: once only
        user, _ = ask("drop-after")
        tg.wait_replies(user.id)
        assert sends_to(tg, user.id) == 1

        tg.delay_next("sendMessage", 2.0)  # slow but in time
        user, _ = ask("delay")
        tg.wait_replies(user.id)
        assert sends_to(tg, user.id) == 1

        tg.wait_replies(slow.id, timeout=10)
        time.sleep(0.5)
        for case, user in users.items():
            expected = 0 if case == "drop" else 1
            assert len(tg.replies(user.id)) == expected, case
        assert sends_to(tg, slow.id) == 1
        user, _ = ask("after")  # recovered
        tg.wait_replies(user.id)
    finally:
        assert bot.stop() == 0, bot.log()
    assert questions_counted(tmp_path / "healthbot.db") == len(users)  # every question counted once
    log = bot.log()
    assert "Traceback" not in log  # network trouble is one line in the log, not a traceback
    assert "Telegram could not be reached" in log


def test_polling_faults_are_backed_off_and_no_update_is_handled_twice(tg, tmp_path):
    bot = BotProcess(tg, tmp_path).start()
    users = []

    def ask_after(fault) -> None:
        """Install the fault for the next getUpdates, let it happen, then ask a question."""
        first = tg.user(next(_ids), "Trigger", language_code="vi")
        polls = len(tg.calls_to("getUpdates"))
        fault()
        tg.send_text(first, QUESTION)  # ends the current long poll: the next one meets the fault
        tg.wait_call("getUpdates", count=polls + 1)
        second = tg.user(next(_ids), "Asker", language_code="vi")
        tg.send_text(second, QUESTION)
        users.extend([first, second])
        for user in (first, second):
            tg.wait_replies(user.id, timeout=20)

    try:
        ask_after(lambda: tg.fail_next("getUpdates", 500))
        ask_after(lambda: tg.drop_next("getUpdates"))
        ask_after(lambda: tg.delay_next("getUpdates", 1.0))

        # 429 while polling: the next poll waits retry_after seconds
        polls = len(tg.calls_to("getUpdates"))
        tg.fail_next("getUpdates", 429, retry_after=1)
        users.append(tg.user(next(_ids), "Trigger", language_code="vi"))
        tg.send_text(users[-1], QUESTION)
        tg.wait_call("getUpdates", count=polls + 1)
        refused = time.monotonic()
        tg.wait_call("getUpdates", count=polls + 2)
        assert time.monotonic() - refused >= 0.9
        tg.wait_replies(users[-1].id)

        # the updates were handed out but the answer was lost: they come again, handled once
        polls = len(tg.calls_to("getUpdates"))
        tg.drop_next("getUpdates", after=True)
        trigger = tg.user(next(_ids), "Trigger", language_code="vi")
        tg.send_text(trigger, QUESTION)
        tg.wait_call("getUpdates", count=polls + 1)
        pair = [tg.user(next(_ids), "Pair", language_code="vi") for _ in range(2)]
        for user in pair:
            tg.send_text(user, QUESTION)
        users.extend([trigger, *pair])
        for user in (trigger, *pair):
            tg.wait_replies(user.id, timeout=20)

        time.sleep(0.5)
        for user in users:
            assert len(tg.replies(user.id)) == 1
    finally:
        assert bot.stop() == 0, bot.log()
    assert questions_counted(tmp_path / "healthbot.db") == len(users)
    assert "Traceback" not in bot.log()
