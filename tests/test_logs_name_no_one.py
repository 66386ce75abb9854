"""At HEALTHBOT_LOG_LEVEL=DEBUG the real bot logs what it decided, never who wrote or what they
wrote, and never the token or the webhook secret."""

from __future__ import annotations

from bot_process import TOKEN, BotProcess, free_port

USER_ID, FIRST, LAST, USERNAME = 5098765432, "Xuyến", "Trầnthị", "xuyen_osaka_77"
TEXTS = ["sốt cao phải làm sao", "số điện thoại của tôi là 090 1234 5678", "Nguyễn Văn Hùng ở Saitama",
         "giá vàng hôm nay"]


def test_debug_logs_name_no_one_and_hide_every_secret(tg, tmp_path, content_copy):
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    bot = BotProcess(tg, tmp_path, content=content_copy, extra_env={"HEALTHBOT_LOG_LEVEL": "DEBUG"},
                     args=("--webhook-url", url, "--listen", "127.0.0.1", "--port", str(port)))
    bot.start(wait_for="setWebhook")
    try:
        user = tg.user(USER_ID, FIRST, last_name=LAST, username=USERNAME, language_code="vi")
        tg.send_text(user, "/start")
        tg.wait_replies(user.id, count=2, timeout=15)
        for text in TEXTS:
            tg.send_text(user, text)
            [reply] = tg.wait_replies(user.id, timeout=15)
        tg.press(user, reply, text=reply.button_texts[0]) if reply.button_texts else None
        query = tg.inline_query(user, "đau bụng")
        tg.wait_inline_answer(query, timeout=15)
        secret = tg.calls_to("setWebhook")[-1]["secret_token"]
    finally:
        assert bot.stop() == 0, bot.log()
    log = bot.log()
    assert "DEBUG" in log and "answered:fever" in log  # DEBUG was on: the decisions are there
    forbidden = [str(USER_ID), FIRST, LAST, USERNAME, TOKEN, TOKEN.split(":")[1], secret, "đau bụng", *TEXTS]
    forbidden += [word for text in TEXTS for word in text.split() if len(word) >= 5]
    leaks = [word for word in forbidden if word in log]
    assert not leaks, f"the log names {leaks}"
