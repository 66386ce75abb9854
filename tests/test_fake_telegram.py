"""Tests of the fake Telegram Bot API server, driven by python-telegram-bot's own Bot client."""

from __future__ import annotations

import asyncio
import json

import pytest
import telegram
from aiohttp import web
from support.fake_telegram import DEFAULT_TOKEN, MEDIA_KINDS, FakeTelegram
from support.telegram_html import HtmlParseError, parse_html
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, EndPointNotFound, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut


@pytest.fixture
def tg():
    with FakeTelegram(token=DEFAULT_TOKEN, bot_username="healthbot_test_bot", webhook_retry=0.02) as server:
        yield server


def run(tg: FakeTelegram, scenario):
    """Run scenario(bot, tg) with a real telegram.Bot pointed at the fake server."""

    async def main():
        async with telegram.Bot(tg.token, base_url=tg.api_url) as bot:
            return await scenario(bot, tg)

    return asyncio.run(main())


def keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.upper(), callback_data=d)] for d in data])


def test_get_me_describes_the_bot(tg):
    async def scenario(bot, tg):
        return await bot.get_me()

    me = run(tg, scenario)
    assert (me.username, me.is_bot, me.supports_inline_queries) == ("healthbot_test_bot", True, True)
    assert tg.calls[0].method == "getMe"


def test_wrong_token_and_unknown_method(tg):
    async def scenario(bot, tg):
        with pytest.raises(InvalidToken):
            async with telegram.Bot("123456:WRONG-token", base_url=tg.api_url):
                pass
        with pytest.raises(EndPointNotFound):
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})

    run(tg, scenario)
    assert [(e.status, e.description) for e in tg.errors] == [(401, "Unauthorized"), (404, "Not Found")]


def test_send_message_parses_html_and_is_recorded(tg):
    lan = tg.user(1001, "Lan", username="lan_vn", language_code="vi")
    tg.send_text(lan, "/start")

    async def scenario(bot, tg):
        return await bot.send_message(lan.id, "<b>Sốt</b> &amp; 😀 <i>ho</i>", parse_mode="HTML", reply_markup=keyboard("menu"))

    message = run(tg, scenario)
    assert message.text == "Sốt & 😀 ho"
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bold", 0, 3), ("italic", 9, 2)]
    [reply] = tg.wait_replies(lan.id, count=1, timeout=5)
    assert (reply.method, reply.text, reply.callback_data) == ("sendMessage", "Sốt & 😀 ho", ["menu"])
    assert [m["message_id"] for m in tg.chat_state(lan.id)] == [1, 2]
    tg.assert_no_reply(lan.id, within=0.05)


TOO_LONG = "message is too long"
BAD_ENTITIES = "can't parse entities: "


@pytest.mark.parametrize(
    ("kwargs", "description"),
    [
        ({"text": "x" * 4097}, TOO_LONG),
        ({"text": "<b>" + "x" * 4097 + "</b>", "parse_mode": "HTML"}, TOO_LONG),
        ({"text": ""}, "message text is empty"),
        ({"text": " \n "}, "message text is empty"),
        ({"text": "<b></b>", "parse_mode": "HTML"}, "message text is empty"),
        ({"text": "x", "reply_markup": keyboard("d" * 65)}, "BUTTON_DATA_INVALID"),
        ({"text": "x", "reply_markup": keyboard("đ" * 33)}, "BUTTON_DATA_INVALID"),  # 66 bytes
        ({"text": "x", "reply_markup": keyboard(*[f"b{i}" for i in range(101)])}, "reply markup is too long"),
        ({"text": "x", "reply_markup": InlineKeyboardMarkup([[InlineKeyboardButton(" ", callback_data="a")]])}, "BUTTON_TEXT_INVALID"),
        ({"text": "a < b", "parse_mode": "HTML"}, BAD_ENTITIES + 'Unsupported start tag "" at byte offset 2'),
        ({"text": "AT&T", "parse_mode": "HTML"}, BAD_ENTITIES + 'Unescaped "&" at byte offset 2; use &amp;'),
        ({"text": "<script>x</script>", "parse_mode": "HTML"}, BAD_ENTITIES + 'Unsupported start tag "script" at byte offset 0'),
        ({"text": "<b>bold", "parse_mode": "HTML"}, BAD_ENTITIES + 'Can\'t find end tag corresponding to start tag "b"'),
        ({"text": "x</a>", "parse_mode": "HTML"}, BAD_ENTITIES + "Unexpected end tag at byte offset 1"),
        (
            {"text": "<b><i>x</b></i>", "parse_mode": "HTML"},
            BAD_ENTITIES + 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        ),
        ({"text": "x", "parse_mode": "HTML5"}, "unsupported parse_mode"),
        ({"text": "x", "chat_id": 424242}, "chat not found"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_strict_bad_requests_use_telegrams_text(tg, kwargs, description):
    lan = tg.user(1001, "Lan")
    tg.send_text(lan, "hi")

    async def scenario(bot, tg):
        with pytest.raises(BadRequest) as raised:
            await bot.send_message(**{"chat_id": lan.id, **kwargs})
        return raised.value

    error = run(tg, scenario)
    assert error.message.lower() == description.lower()  # python-telegram-bot capitalizes it
    assert tg.errors == [("sendMessage", 400, "Bad Request: " + description)]
    assert tg.replies(lan.id) == []


def test_exactly_4096_characters_is_accepted(tg):
    lan = tg.user(1001, "Lan")
    tg.send_text(lan, "hi")

    async def scenario(bot, tg):
        await bot.send_message(lan.id, "<b>" + "ừ" * 4096 + "</b>", parse_mode="HTML")

    run(tg, scenario)
    assert len(tg.wait_replies(lan.id)[0].text) == 4096


def test_edits_and_deletions_are_strict(tg):
    lan = tg.user(1001, "Lan")
    tg.send_text(lan, "hi")

    async def scenario(bot, tg):
        sent = await bot.send_message(lan.id, "Menu", reply_markup=keyboard("a", "b"))
        with pytest.raises(BadRequest, match="(?i)message is not modified: specified new message content"):
            await bot.edit_message_text("Menu", lan.id, sent.message_id, reply_markup=keyboard("a", "b"))
        edited = await bot.edit_message_text("Menu", lan.id, sent.message_id)  # no keyboard: it is removed
        assert edited.reply_markup is None and edited.edit_date is not None
        await bot.edit_message_reply_markup(lan.id, sent.message_id, reply_markup=keyboard("c"))
        with pytest.raises(BadRequest, match="(?i)^message to edit not found$"):
            await bot.edit_message_text("x", lan.id, 999)
        with pytest.raises(BadRequest, match="(?i)^message can't be edited$"):
            await bot.edit_message_text("x", lan.id, 1)  # the user's own message
        await bot.delete_message(lan.id, sent.message_id)
        with pytest.raises(BadRequest, match="(?i)^message to delete not found$"):
            await bot.delete_message(lan.id, sent.message_id)

    run(tg, scenario)
    assert [r.method for r in tg.replies(lan.id)] == ["sendMessage", "editMessageText", "editMessageReplyMarkup"]
    assert [m["message_id"] for m in tg.chat_state(lan.id)] == [1]


def test_callback_queries_are_answered_once_and_expire(tg):
    lan = tg.user(1001, "Lan")
    tg.send_text(lan, "hi")
    too_old = "(?i)^query is too old and response timeout expired or query ID is invalid$"

    async def scenario(bot, tg):
        sent = await bot.send_message(lan.id, "Menu", reply_markup=keyboard("a", "b"))
        [reply] = await asyncio.to_thread(tg.wait_replies, lan.id)
        with pytest.raises(AssertionError, match="no button"):
            tg.press(lan, reply, "zzz")  # not on the message: a test mistake, use press_raw
        query_id = tg.press(lan, reply, text="B")
        updates = await bot.get_updates(timeout=0)
        query = updates[-1].callback_query
        assert (query.id, query.data, query.message.message_id) == (query_id, "b", sent.message_id)
        assert query.chat_instance
        await bot.answer_callback_query(query_id, text="ok")
        with pytest.raises(BadRequest, match=too_old):
            await bot.answer_callback_query(query_id)
        with pytest.raises(BadRequest, match=too_old):
            await bot.answer_callback_query("12345")
        forged = tg.press_raw(lan, reply, "forged:" + "x" * 100)
        tg.query_timeout = 0.0
        with pytest.raises(BadRequest, match=too_old):
            await bot.answer_callback_query(forged)
        assert tg.wait_callback_answer(query_id)["text"] == "ok"

    run(tg, scenario)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # RetryAfter.retry_after's future type
def test_429_500_and_dropped_connections(tg):
    lan = tg.user(1001, "Lan")
    tg.send_text(lan, "hi")
    tg.fail_next("sendMessage", status=429, retry_after=3)
    tg.fail_next("sendMessage", status=500)
    tg.drop_next("sendMessage", after=True)  # sent, but the answer is lost

    async def scenario(bot, tg):
        with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
            await bot.send_message(lan.id, "one")
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(lan.id, "two")
        with pytest.raises(NetworkError):
            await bot.send_message(lan.id, "three")
        await bot.send_message(lan.id, "four")

    run(tg, scenario)
    assert [r.text for r in tg.replies(lan.id)] == ["three", "four"]
    assert tg.errors[0] == ("sendMessage", 429, "Too Many Requests: retry after 3")
    assert [e.status for e in tg.errors] == [429, 500, 0]


def test_a_slow_answer_times_out_after_the_message_was_sent(tg):
    lan = tg.user(1001, "Lan")
    tg.send_text(lan, "hi")
    tg.delay_next("sendMessage", seconds=0.5, after=True)

    async def scenario(bot, tg):
        with pytest.raises(TimedOut):
            await bot.send_message(lan.id, "slow", read_timeout=0.1)

    run(tg, scenario)
    assert [r.text for r in tg.replies(lan.id)] == ["slow"]  # a retry here would send it twice


def test_long_polling_waits_for_an_update_and_confirms_with_offset(tg):
    lan = tg.user(1001, "Lan", language_code="vi")

    async def scenario(bot, tg):
        poll = asyncio.create_task(bot.get_updates(timeout=10))
        await asyncio.to_thread(tg.wait_call, "getUpdates")
        assert not poll.done()
        await asyncio.to_thread(tg.send_text, lan, "dau bung qua")
        [update] = await poll
        assert update.message.text == "dau bung qua" and update.message.from_user.language_code == "vi"
        assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
        return update.update_id

    run(tg, scenario)
    assert tg.webhook_info["pending_update_count"] == 0


def test_every_update_kind_parses_in_python_telegram_bot(tg):
    lan = tg.user(1001, "Lan", username="lan_vn")
    group = tg.group(-5001, "Workers")
    first = tg.send_text(lan, "/start emergency-numbers")
    tg.edit_text(lan, first, "/start")
    tg.send_text(lan, "hi @healthbot_test_bot", chat=group)
    for kind in MEDIA_KINDS:
        tg.send_media(lan, kind)
    inline_id = tg.inline_query(lan, "dau bung")

    async def scenario(bot, tg):
        updates = await bot.get_updates(timeout=0)
        start = updates[0].message
        assert start.parse_entities(["bot_command"]) == {start.entities[0]: "/start"}
        assert updates[1].edited_message.text == "/start"
        mention = updates[2].message
        assert mention.chat.type == "group" and list(mention.parse_entities(["mention"]).values()) == ["@healthbot_test_bot"]
        media = updates[3 : 3 + len(MEDIA_KINDS)]
        assert all(getattr(u.message, kind) for u, kind in zip(media, MEDIA_KINDS))
        assert updates[-1].inline_query.query == "dau bung"
        await bot.answer_inline_query(
            inline_id,
            [telegram.InlineQueryResultArticle("e1", "Đau bụng", telegram.InputTextMessageContent("<b>Đau bụng</b>", parse_mode="HTML"))],
        )

    run(tg, scenario)
    assert tg.wait_inline_answer(inline_id)["results"][0]["title"] == "Đau bụng"


def test_bot_cannot_write_first_or_to_a_blocked_user(tg):
    lan = tg.user(1001, "Lan")

    async def scenario(bot, tg):
        with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
            await bot.send_message(lan.id, "hello")
        tg.send_text(lan, "hi")
        tg.block(lan)
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(lan.id, "hello")

    run(tg, scenario)


def test_webhook_delivery_with_secret_and_retries(tg):
    lan = tg.user(1001, "Lan")

    async def scenario(bot, tg):
        received: asyncio.Queue = asyncio.Queue()
        statuses = [500, 200]  # the first delivery fails: Telegram tries again

        async def receive(request: web.Request) -> web.Response:
            await received.put((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
            return web.Response(status=statuses.pop(0) if statuses else 200)

        app = web.Application()
        app.router.add_post("/hook", receive)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret-token")
            with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
                await bot.get_updates()
            await asyncio.to_thread(tg.send_text, lan, "xin chao")
            first = await asyncio.wait_for(received.get(), 10)
            second = await asyncio.wait_for(received.get(), 10)
            assert first == second and first[0] == "s3cret-token"
            assert first[1]["message"]["text"] == "xin chao"
            info = await bot.get_webhook_info()
            assert info.url.endswith("/hook") and "500" in info.last_error_message
            await bot.delete_webhook()
            assert await bot.get_updates(timeout=0) == ()
            return first[1]["update_id"]
        finally:
            await runner.cleanup()

    update_id = run(tg, scenario)
    assert [d[0] for d in tg.webhook_deliveries] == [update_id, update_id]
    assert [d[1] for d in tg.webhook_deliveries] == [500, 200]


def test_send_document_multipart_upload(tg):
    lan = tg.user(1001, "Lan")
    tg.send_text(lan, "hi")

    async def scenario(bot, tg):
        message = await bot.send_document(lan.id, b"%PDF-1.4 handbook", filename="so-tay.pdf", caption="<b>Sổ tay</b>", parse_mode="HTML")
        assert (message.document.file_name, message.caption) == ("so-tay.pdf", "Sổ tay")
        with pytest.raises(BadRequest, match="(?i)file must be non-empty"):
            await bot.send_document(lan.id, b"", filename="empty.txt")
        return message.document.file_id

    file_id = run(tg, scenario)
    assert tg.uploads[file_id] == ("so-tay.pdf", b"%PDF-1.4 handbook")
    assert tg.wait_replies(lan.id)[0].method == "sendDocument"
    assert json.loads(json.dumps(tg.calls_to("sendDocument")[0]["caption"])) == "<b>Sổ tay</b>"


def test_commands_per_language_and_scope(tg):
    async def scenario(bot, tg):
        await bot.set_my_commands([("menu", "Mục lục"), ("help", "Trợ giúp")], language_code="vi")
        await bot.set_my_commands([("menu", "Menu")], scope=telegram.BotCommandScopeAllPrivateChats(), language_code="en")
        with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
            await bot.set_my_commands([("Menu!", "bad")])
        return await bot.get_my_commands(language_code="vi")

    vi = run(tg, scenario)
    assert [c.command for c in vi] == ["menu", "help"]
    assert tg.commands == {
        ("default", "vi"): [{"command": "menu", "description": "Mục lục"}, {"command": "help", "description": "Trợ giúp"}],
        ("all_private_chats", "en"): [{"command": "menu", "description": "Menu"}],
    }


@pytest.mark.parametrize(
    ("html", "text", "entities"),
    [
        ("<b>a<i>b</i></b>", "ab", [("bold", 0, 2), ("italic", 1, 1)]),
        ("😀<u>x</>", "😀x", [("underline", 2, 1)]),
        ('<a href="https://x.org/?a=1&amp;b=2">l</a>', "l", [("text_link", 0, 1)]),
        ('<pre><code class="language-python">x</code></pre>', "x", [("pre", 0, 1)]),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ('<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>', "st", [("spoiler", 0, 1), ("spoiler", 1, 1)]),
        ("&lt;&gt;&amp;&quot;&#39;&#x1F600; 1 > 0", "<>&\"'😀 1 > 0", []),
    ],
)
def test_html_subset_is_parsed_like_telegram(html, text, entities):
    parsed_text, parsed = parse_html(html)
    assert parsed_text == text
    assert [(e["type"], e["offset"], e["length"]) for e in parsed] == entities


@pytest.mark.parametrize("html", ["<b>x", "<br/>", "x &nbsp; y", '<span class="x">s</span>', "<a href=x>y</b>", "<b"])
def test_invalid_html_is_rejected(html):
    with pytest.raises(HtmlParseError):
        parse_html(html)
