"""End to end: the real `healthbot run` process against the strict fake Bot API server on loopback."""

from __future__ import annotations

import sqlite3

import pytest
from bot_process import REPO, TOKEN, BotProcess, free_port

ADMIN = 4242


@pytest.fixture
def bot(tg, tmp_path, content_copy):
    process = BotProcess(tg, tmp_path, admins=str(ADMIN), content=content_copy).start()
    yield process
    assert process.stop() == 0, process.log()


def texts(replies) -> list[str]:
    return [r.params.get("text", "") for r in replies]


def test_start_in_vietnamese_then_country_then_menu_walk(tg, bot):
    lan = tg.user(1001, "Lan", username="lan_vn", language_code="vi")
    tg.send_text(lan, "/start")
    greeting, choose = tg.wait_replies(lan.id, count=2)
    assert "Xin chào" in greeting.params["text"] and "119" in greeting.params["text"] and "🔒" in greeting.params["text"]
    assert [b["callback_data"] for b in choose.params["reply_markup"]["inline_keyboard"][0]] == ["c:jp", "c:kr"]
    tg.press(lan, choose, "c:jp")
    saved, menu = tg.wait_replies(lan.id, count=2)
    assert saved.method == "editMessageText" and "Nhật Bản" in saved.params["text"]
    assert any(b["callback_data"] == "x" for row in menu.params["reply_markup"]["inline_keyboard"] for b in row)
    tg.press(lan, menu, "m:symptoms")
    [chapter] = tg.wait_replies(lan.id)
    assert chapter.method == "editMessageText" and chapter.params["message_id"] == menu.message["message_id"]
    tg.press(lan, chapter, "e:m:fever")
    [entry] = tg.wait_replies(lan.id)
    assert entry.method == "sendMessage" and "<b>" in entry.params["text"]
    tg.press(lan, chapter, "m")
    [back] = tg.wait_replies(lan.id)
    assert back.method == "editMessageText" and "chủ đề" in back.params["text"]
    assert not tg.errors


def test_start_in_english_for_an_english_telegram_user(tg, bot):
    tom = tg.user(1002, "Tom", language_code="en")
    tg.send_text(tom, "/start")
    greeting, _ = tg.wait_replies(tom.id, count=2)
    assert "Hello" in greeting.params["text"] and "not a diagnosis" in greeting.params["text"]


def test_questions_get_an_answer_choices_no_answer_and_urgent_block(tg, bot):
    lan = tg.user(1003, "Lan", language_code="vi")
    tg.send_text(lan, "sốt cao phải làm sao")
    [answer] = tg.wait_replies(lan.id)
    buttons = [b["callback_data"] for row in answer.params["reply_markup"]["inline_keyboard"] for b in row]
    assert "fb:+:fever" in buttons and "m" in buttons and "Nguồn" in answer.params["text"]

    tg.send_text(lan, "thuốc")
    [choices] = tg.wait_replies(lan.id)
    assert "Có phải" in choices.params["text"] and choices.params["reply_markup"]["inline_keyboard"][-1][0]["callback_data"] == "n"
    tg.press(lan, choices, "n")
    [rephrase] = tg.wait_replies(lan.id)
    assert "1577-1366" in rephrase.params["text"] or "03-5285-8088" in rephrase.params["text"]

    tg.send_text(lan, "giá vàng hôm nay <b>")
    [none] = tg.wait_replies(lan.id)
    assert "giá vàng hôm nay &lt;b&gt;" in none.params["text"]  # echoed, escaped

    tg.send_text(lan, "bạn tôi bất tỉnh không thở")
    [urgent] = tg.wait_replies(lan.id)
    assert urgent.params["text"].index("119") < urgent.params["text"].index("\n\n")
    assert not tg.errors


def test_feedback_buttons_thank_and_remove_themselves(tg, bot):
    lan = tg.user(1004, "Lan", language_code="vi")
    tg.send_text(lan, "sốt cao phải làm sao")
    [answer] = tg.wait_replies(lan.id)
    query = tg.press(lan, answer, "fb:+:fever")
    assert "Cảm ơn" in tg.wait_callback_answer(query)["text"]
    [edited] = tg.wait_replies(lan.id)
    assert edited.method == "editMessageReplyMarkup"
    assert not any(b["callback_data"].startswith("fb:") for row in edited.params["reply_markup"]["inline_keyboard"] for b in row)


def test_deep_link_opens_the_entry_and_unknown_payload_greets(tg, bot):
    lan = tg.user(1005, "Lan", language_code="vi")
    tg.send_text(lan, "/start emergency-numbers")
    [entry] = tg.wait_replies(lan.id)
    assert "119" in entry.params["text"]
    tg.send_text(lan, "/start no-such-entry")
    greeting, _ = tg.wait_replies(lan.id, count=2)
    assert "Xin chào" in greeting.params["text"]


def test_forged_stale_buttons_and_media_get_polite_replies(tg, bot):
    lan = tg.user(1006, "Lan", language_code="vi")
    tg.send_text(lan, "/menu")
    [menu] = tg.wait_replies(lan.id)
    for data in ("e:s:no-such-entry", "zzz", "fb:+:" + "x" * 60, "m:no-such-chapter"):
        tg.press_raw(lan, menu, data)
        expired, fresh = tg.wait_replies(lan.id, count=2)
        assert "cũ" in expired.params["text"] and fresh.params["reply_markup"]
    tg.send_media(lan, "sticker")
    [media] = tg.wait_replies(lan.id)
    assert "chữ" in media.params["text"]
    assert bot.proc.poll() is None and not tg.errors


def test_country_and_language_survive_a_restart_and_no_id_is_stored(tg, bot, tmp_path):
    lan = tg.user(1007, "Lan", username="lan_secret", language_code="vi")
    tg.send_text(lan, "/country")
    [ask] = tg.wait_replies(lan.id)
    tg.press(lan, ask, "c:kr")
    tg.wait_replies(lan.id, count=2)
    tg.send_text(lan, "/lang")
    [ask] = tg.wait_replies(lan.id)
    tg.press(lan, ask, "l:en")
    tg.wait_replies(lan.id)
    bot.restart()
    tg.send_text(lan, "health insurance card")
    [answer] = tg.wait_replies(lan.id)
    assert "🇰🇷 Korea" in answer.params["text"] and "🇯🇵" not in answer.params["text"]
    bot.stop()
    db = sqlite3.connect(tmp_path / "healthbot.db")
    dump = "\n".join(db.iterdump())
    for secret in ("1007", "lan_secret", "health insurance card"):
        assert secret not in dump


def test_stats_refused_to_a_user_and_given_to_an_admin(tg, bot):
    lan = tg.user(1008, "Lan", language_code="vi")
    tg.send_text(lan, "/stats")
    [refused] = tg.wait_replies(lan.id)
    tg.send_text(lan, "/nosuchcommand")
    [unknown] = tg.wait_replies(lan.id)
    assert refused.params["text"] == unknown.params["text"]
    admin = tg.user(ADMIN, "Staff", language_code="en")
    tg.send_text(admin, "sốt cao phải làm sao")
    tg.wait_replies(admin.id)
    tg.send_text(admin, "/stats")
    [figures] = tg.wait_replies(admin.id)
    assert "7 days" in figures.params["text"] and "questions" in figures.params["text"]
    tg.press(admin, figures, "st:html")
    [document] = tg.wait_replies(admin.id)
    assert document.method == "sendDocument"


def test_reload_with_broken_content_keeps_the_last_good_handbook(tg, bot, content_copy):
    content = content_copy
    admin = tg.user(ADMIN, "Staff", language_code="en")
    chapter = content / "handbook" / "06-symptoms.yaml"
    chapter.write_text(chapter.read_text(encoding="utf-8").replace("questions:", "questons:", 1), encoding="utf-8")
    tg.send_text(admin, "/reload")
    replies = tg.wait_replies(admin.id, timeout=15)
    assert any("questons" in r.params.get("text", "") for r in replies)
    tg.send_text(admin, "high fever what to do")
    [answer] = tg.wait_replies(admin.id)
    assert "fb:+:fever" in str(answer.params["reply_markup"])


def test_groups_answer_only_mentions_and_commands_and_edits_are_new_questions(tg, bot):
    lan = tg.user(1009, "Lan", language_code="vi")
    group = tg.group(-5001, "Workers")
    tg.send_text(lan, "đau bụng quá", chat=group)
    tg.assert_no_reply(group["id"], within=1.0)
    tg.send_text(lan, "@healthbot_test_bot sốt cao phải làm sao", chat=group)
    [answer] = tg.wait_replies(group["id"])
    assert "fb:+:fever" in str(answer.params["reply_markup"])
    message = tg.send_text(lan, "giá vàng hôm nay")
    tg.wait_replies(lan.id)
    tg.edit_text(lan, message, "sốt cao phải làm sao")
    [edited_answer] = tg.wait_replies(lan.id)
    assert "fb:+:fever" in str(edited_answer.params["reply_markup"])


def test_inline_mode_lists_entries_with_their_text(tg, bot):
    lan = tg.user(1010, "Lan", language_code="vi")
    query = tg.inline_query(lan, "sốt cao")
    answer = tg.wait_inline_answer(query)
    assert answer["results"] and answer["results"][0]["input_message_content"]["parse_mode"] == "HTML"


def test_commands_are_registered_in_both_languages(tg, bot):
    tg.wait_call("setMyCommands", count=2)
    languages = {lang for (_, lang) in tg.commands}
    assert {"vi", "en"} <= languages


def test_webhook_mode_answers_through_the_webhook(tg, tmp_path, content_copy):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    process = BotProcess(tg, tmp_path, content=content_copy, args=("--webhook-url", url, "--listen", "127.0.0.1", "--port", str(port)))
    process.start(wait_for="setWebhook")
    try:
        lan = tg.user(1011, "Lan", language_code="vi")
        tg.send_text(lan, "/start")
        greeting, _ = tg.wait_replies(lan.id, count=2, timeout=15)
        assert "Xin chào" in greeting.params["text"]
    finally:
        assert process.stop() == 0, process.log()


def test_token_problems_are_one_line_errors_and_the_token_never_logged(tg, tmp_path, bot):
    import subprocess
    import sys

    for token, expected in (("", "TELEGRAM_BOT_TOKEN is not set"), ("nonsense", "does not look like a bot token")):
        env = dict(bot.env, TELEGRAM_BOT_TOKEN=token)
        done = subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and expected in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    lan = tg.user(1012, "Lan", language_code="vi")
    tg.send_text(lan, "/start")
    tg.wait_replies(lan.id, count=2)
    assert TOKEN not in bot.log() and TOKEN.split(":")[1] not in bot.log()
