"""Hostile and odd updates through the loopback Bot API server to the real `healthbot run`.

Every case gets a polite reply (or deliberate silence in groups), Telegram is never sent anything it
refuses (the strict fake records no 400), nothing is counted twice and the bot stays up. One bot
serves the whole module; every test uses its own users, so the per-user flood limit never interferes.
"""

from __future__ import annotations

import itertools
import sqlite3
import time

import pytest
from bot_process import TOKEN, BotProcess
from support.fake_telegram import MEDIA_KINDS, FakeTelegram

ADMIN = 4343
BOT = "healthbot_test_bot"
_ids = itertools.count(5001)
_chats: set[int] = set()


@pytest.fixture(scope="module")
def tg():
    with FakeTelegram(token=TOKEN, bot_username=BOT) as server:
        yield server


@pytest.fixture(scope="module")
def bot(tg, tmp_path_factory):
    process = BotProcess(tg, tmp_path_factory.mktemp("hostile"), admins=str(ADMIN)).start()
    yield process
    assert process.stop() == 0, process.log()


@pytest.fixture
def user(tg, bot):
    """A new Vietnamese-speaking user (a new private chat) for each test."""
    created = tg.user(next(_ids), "Lan", language_code="vi")
    _chats.add(created.id)
    return created


@pytest.fixture
def text(loaded):
    return lambda key, lang="vi", **values: loaded.texts.get(key, lang, **values)


def no_400(tg) -> None:
    assert [e for e in tg.errors if 400 <= e.status < 500 and e.method != "getUpdates"] == []


def ask(tg, who, message: str, count: int = 1):
    tg.send_text(who, message)
    return tg.wait_replies(who.id, count=count)


@pytest.mark.parametrize("blank", ["", " ", "\n\t \n", "\u200b\u200b", "\u202e \ufeff"], ids=["empty", "space", "newlines", "zero-width", "bidi"])
def test_blank_messages_are_asked_for_a_question(tg, user, text, blank):
    [reply] = ask(tg, user, blank)
    assert reply.params["text"] == text("answer.empty")
    no_400(tg)


def test_a_message_over_4096_characters_gets_an_answer_that_fits(tg, user):
    # guards clean()'s MAX_INPUT and the echo cut in views.no_answer
    [answer] = ask(tg, user, "sốt cao phải làm sao " * 250)
    assert len(answer.params["text"]) <= 4096 and answer.params["reply_markup"]
    [echo] = ask(tg, user, "x" * 5000)
    assert "x" * 100 in echo.text and "x" * 200 not in echo.text and "..." in echo.text
    no_400(tg)


@pytest.mark.parametrize("emoji", ["😀😀😀", "🇯🇵🤒🤧", "👩‍⚕️👍🏽"])
def test_only_emoji_gets_a_polite_no_answer(tg, user, loaded, emoji):
    # emoji-only messages get the small-talk reply (ask in words), never "found nothing"
    [reply] = ask(tg, user, emoji)
    polite = loaded.texts.raw("smalltalk.emoji", "vi")[:20]
    assert reply.text.startswith(polite) and reply.params["reply_markup"]  # "type it in words", a menu
    no_400(tg)


def test_html_injection_is_shown_as_typed_not_rendered(tg, user):
    # guards escaping of user text (texts.get -> markup.escape): Telegram would refuse it with 400
    typed = "giá vàng <b>x</b> </a> & <script>alert(1)</script> &amp; &lt;i&gt;"
    [reply] = ask(tg, user, typed)
    assert typed in reply.text
    assert not any(e["type"] in ("text_link", "code") for e in reply.message.get("entities", []))
    no_400(tg)


def test_markdown_characters_are_shown_as_typed(tg, user):
    typed = "giá vàng *bold* _it_ `code` [x](http://example.com) ~~s~~ ||sp|| \\"
    [reply] = ask(tg, user, typed)
    assert typed in reply.text
    no_400(tg)


def test_unknown_commands_and_admin_commands_of_a_user_get_the_unknown_command_reply(tg, user, text):
    for command in ("/nosuchcommand", "/", "/ start", "/STATS", "/reload now", "/help@other_bot"):
        [reply] = ask(tg, user, command)
        assert reply.params["text"] == text("unknown_command"), command
    no_400(tg)


def test_commands_with_arguments(tg, user, text):
    [entry] = ask(tg, user, "/start emergency-numbers")
    assert "119" in entry.text
    [entry] = ask(tg, user, "/start\nemergency-numbers")  # guards: any whitespace separates the argument
    assert "119" in entry.text
    [entry] = ask(tg, user, f"/start@{BOT.upper()}   emergency-numbers")
    assert "119" in entry.text
    greeting, _ = ask(tg, user, "/start " + "a" * 300 + " <b>&", count=2)
    assert greeting.params["text"].startswith(text("start.greeting")[:20])
    [menu] = ask(tg, user, "/menu please show it")
    assert menu.params["text"] == text("menu.title")
    [help_] = ask(tg, user, f"/help@{BOT} more words")
    assert help_.params["text"] == text("help", bot=BOT)
    no_400(tg)


def test_forged_and_oversized_button_data_get_a_fresh_menu(tg, user, text):
    [menu] = ask(tg, user, "/menu")
    for data in ("zzz", "e:s:no-such-entry", "m:no-such-chapter", "fb:+:no-such-entry", "c:fr", "st:html",
                 "e:m:" + "a" * 300, "l:\u202een", "\x00"):
        query = tg.press_raw(user, menu, data)
        assert tg.wait_callback_answer(query)["text"] == text("expired")
        expired, fresh = tg.wait_replies(user.id, count=2)
        assert expired.params["text"] == text("expired") and fresh.params["text"] == text("menu.title")
    no_400(tg)


def test_a_stale_button_on_a_message_edited_since_gets_a_fresh_menu(tg, user, text):
    # guards the check that pressed data is a button of the message as the user saw it
    [menu] = ask(tg, user, "/menu")
    tg.press(user, menu, "m:symptoms")
    [chapter] = tg.wait_replies(user.id)
    assert chapter.method == "editMessageText"
    query = tg.press_raw(user, menu, "m:insurance")  # a main-menu button the message no longer has
    tg.wait_callback_answer(query)
    expired, fresh = tg.wait_replies(user.id, count=2)
    assert expired.params["text"] == text("expired") and fresh.params["text"] == text("menu.title")
    no_400(tg)


def test_a_button_on_an_inaccessible_old_message_answers_with_a_new_message(tg, user):
    # Telegram sends a message too old to edit as InaccessibleMessage (date 0): guards sending
    # anew instead of an edit that Telegram would refuse with 400
    [menu] = ask(tg, user, "/menu")
    old = {"message_id": 999_999, "chat": menu.message["chat"], "date": 0}  # deleted, or too old
    query = tg.press_raw(user, old, "m:symptoms")
    tg.wait_callback_answer(query)
    [chapter] = tg.wait_replies(user.id)
    assert chapter.method == "sendMessage" and "e:m:fever" in chapter.callback_data
    no_400(tg)


def test_a_replayed_or_double_tapped_vote_is_counted_once(tg, user, bot, text):
    # guards the adapter's memory of spent buttons and the data-on-message check: a vote cannot
    # be counted twice, and no edit that changes nothing ("message is not modified") is sent
    [answer] = ask(tg, user, "đau bụng quá")
    assert "fb:+:stomach-pain" in answer.callback_data
    tg.delay_next("answerCallbackQuery", 1.0)  # the first tap is still being handled...
    first = tg.press(user, answer, "fb:+:stomach-pain")
    time.sleep(0.2)
    second = tg.press(user, answer, "fb:+:stomach-pain")  # ...when the second comes: the button is still there
    assert tg.wait_callback_answer(first)["text"] == text("feedback.thanks")
    tg.wait_callback_answer(second)
    [edited] = tg.wait_replies(user.id)
    assert edited.method == "editMessageReplyMarkup" and not any(d.startswith("fb:") for d in edited.callback_data)
    replay = tg.press_raw(user, answer, "fb:+:stomach-pain")  # the same data after the button is gone
    tg.wait_callback_answer(replay)
    time.sleep(0.5)
    admin = tg.user(ADMIN, "Staff", language_code="en")
    tg.send_text(admin, "/stats")  # flushes the counts to the file
    tg.wait_replies(admin.id)
    with sqlite3.connect(bot.tmp / "healthbot.db") as db:
        [(helpful,)] = db.execute("SELECT sum(helpful) FROM daily_entries WHERE entry = 'stomach-pain'").fetchall()
    assert helpful == 1
    no_400(tg)


def test_edited_messages_are_answered_as_new_questions(tg, user, text):
    message = tg.send_text(user, "giá vàng hôm nay")
    tg.wait_replies(user.id)
    tg.edit_text(user, message, "sốt cao phải làm sao")
    [answer] = tg.wait_replies(user.id)
    assert "fb:+:fever" in answer.callback_data
    tg.edit_text(user, message, "   ")
    [blank] = tg.wait_replies(user.id)
    assert blank.params["text"] == text("answer.empty")
    no_400(tg)


def test_media_of_every_kind_gets_the_text_only_reply(tg, user, text):
    for kind in MEDIA_KINDS:
        tg.send_media(user, kind, caption="<b>sốt</b> &" if kind in ("photo", "document", "voice") else None)
        [reply] = tg.wait_replies(user.id)
        assert reply.params["text"] == text("media.text_only"), kind
    no_400(tg)


def test_in_groups_the_bot_is_silent_unless_addressed(tg, user, text):
    group = tg.group(-7001, "Workers")
    _chats.add(group["id"])
    tg.send_text(user, "đau bụng quá", chat=group)
    tg.send_text(user, "/help@other_bot", chat=group)
    tg.send_media(user, "sticker", chat=group)
    message = tg.send_text(user, "hello everyone", chat=group)
    tg.edit_text(user, message, "still not for the bot <b>")
    tg.assert_no_reply(group["id"], within=1.0)
    # addressed: a mention in any letter case (guards the case-insensitive removal of the mention,
    # which would otherwise be searched as words and spoil the answer), or a command
    tg.send_text(user, "@HealthBot_Test_Bot sốt cao", chat=group)
    [answer] = tg.wait_replies(group["id"])
    assert "fb:+:fever" in answer.callback_data
    tg.send_text(user, f"/emergency@{BOT}", chat=group)
    [emergency] = tg.wait_replies(group["id"])
    assert "119" in emergency.text
    tg.assert_no_reply(user.id, within=0)
    no_400(tg)


def test_the_bot_stayed_up_and_sent_nothing_unasked(tg, bot):
    time.sleep(0.5)
    assert bot.proc is not None and bot.proc.poll() is None
    tg.send_text(tg.user(5999, "Last", language_code="en"), "high fever what to do")
    [answer] = tg.wait_replies(5999)
    assert "fb:+:fever" in answer.callback_data
    for chat in _chats:
        tg.assert_no_reply(chat, within=0)
    no_400(tg)
    assert "Traceback" not in bot.log()
