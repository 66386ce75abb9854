"""The Telegram adapter (python-telegram-bot v22): updates in, the core's decisions carried out.

Nothing here decides what to say; `handbook.dialogue.conversation` does. This module turns Telegram updates
into `Incoming`, sends the `Message`s back (editing in place where the core says so), keeps the
per-user flood limit, watches the content files, flushes the counts and shuts down cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import signal
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError
from telegram.ext import Application, ContextTypes, TypeHandler

from handbook.dialogue import conversation
from handbook.dialogue.conversation import Incoming
from handbook.dialogue.views import Keyboard, Message

from .config import Config, ConfigError
from .flood import FairUpdateProcessor, FloodGate
from .logs import setup_logging
from .staff import reload_failed, report_document, stats_summary
from .startup import Stopped, TokenRejected, wait_for_telegram
from .telegram_network import PatientRateLimiter, on_error
from .webhook_front import WebhookFront, unix_forwarder
from .wiring import Core, build_core

log = logging.getLogger("healthbot.telegram")
WATCH_INTERVAL = 5.0  # seconds between looks at the content files
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_COMMAND = re.compile(r"(\S*)\s*(.*)", re.DOTALL)  # /name@bot, then the argument after any space
CONCURRENT_UPDATES = 64  # updates handled at once (each user's one at a time, in turn)
SPENT_MAX = 10_000  # button presses remembered, to ignore a second tap on a button already used


def keyboard(rows: Keyboard) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) if b.data else InlineKeyboardButton(b.text, url=b.url) for b in row]
         for row in rows]
    )


class TelegramBot:
    """Carries the core's replies to Telegram."""

    def __init__(self, core: Core):
        self.core = core
        self.flood = FloodGate()
        self.app: Application | None = None
        self.front: WebhookFront | None = None  # webhook mode: the public server
        self.username = ""
        self._tasks: list[asyncio.Task] = []
        self._spent: dict[tuple, None] = {}  # (chat, message, data) of presses that removed their button

    # --- updates in -----------------------------------------------------------------------------
    def incoming_from(self, update: Update) -> Incoming | None:
        """The update as the core sees it, or None when the bot must stay silent (groups)."""
        user = update.effective_user
        client_lang = user.language_code if user else None
        chat = update.effective_chat
        # staff commands (/stats, /reload, the report) only in the admin's private chat with the
        # bot: in a group the figures would be posted to everyone
        is_admin = bool(user and user.id in self.core.config.admins and chat is not None
                        and chat.type == ChatType.PRIVATE)
        if update.callback_query:
            query = update.callback_query
            data = None if _not_on_message(query) else query.data  # None: the core answers "expired"
            markup = query.message.reply_markup if query.message and query.message.is_accessible else None
            siblings = tuple(b.callback_data for row in (markup.inline_keyboard if markup else ()) for b in row
                             if isinstance(b.callback_data, str))
            return Incoming("button", data=data, siblings=siblings, client_lang=client_lang, is_admin=is_admin)
        message = update.message or update.edited_message
        if message is None:
            return None
        in_group = message.chat.type != ChatType.PRIVATE
        text = message.text
        if text is None:
            return None if in_group else Incoming("media", client_lang=client_lang, is_admin=is_admin)
        if text.startswith("/"):
            head, rest = _COMMAND.match(text[1:]).groups()  # "/start\npayload" has an argument too
            name, _, target = head.partition("@")
            if target and target.lower() != self.username.lower():
                if in_group:
                    return None  # a command for another bot
                name = ""  # in a private chat it was sent to us: the polite "unknown command"
            if name.lower() == "help":
                rest = self.username
            return Incoming("command", rest.strip(), command=name.lower(), client_lang=client_lang, is_admin=is_admin)
        if in_group:
            mention = f"@{self.username}".lower()
            replying_to_bot = bool(message.reply_to_message and message.reply_to_message.from_user
                                   and message.reply_to_message.from_user.username == self.username)
            if mention not in text.lower() and not replying_to_bot:
                return None
            text = re.sub(re.escape(mention), " ", text, flags=re.IGNORECASE).strip()
        return Incoming("text", text, client_lang=client_lang, is_admin=is_admin)

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.inline_query:
            await self.on_inline(update)
            return
        incoming = self.incoming_from(update)
        if incoming is None:
            if update.callback_query:
                await self._answer_callback(update, None)
            return
        user = update.effective_user
        await self._reply(update, context, user.id if user else None, incoming)  # the flood gate came first

    # --- the flood gate (FairUpdateProcessor applies it before an update takes a slot) ---------
    def gated_user(self, update: object) -> int | None:
        """Whose allowance the update uses: None for updates the bot ignores (group chatter)."""
        if not isinstance(update, Update) or update.effective_user is None:
            return None
        if not update.inline_query and self.incoming_from(update) is None and not update.callback_query:
            return None
        return update.effective_user.id

    async def flood_notice(self, update: object) -> None:
        """The one "slow down" notice of a flood, in the user's language."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None or self.app is None:
            return
        user = update.effective_user
        lang = "en" if (user and user.language_code or "").startswith("en") else "vi"
        await self.app.bot.send_message(chat.id, self.core.library.current.texts.get("flood", lang), parse_mode=ParseMode.HTML)

    async def flood_dropped(self, update: object) -> None:
        if isinstance(update, Update) and update.callback_query:
            await self._answer_callback(update, None)

    async def _reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE, user_id: int | None, incoming: Incoming) -> None:
        press = _press_key(update.callback_query)
        if press in self._spent:  # a second tap on a button that is gone (a double tap): done already
            await self._answer_callback(update, None)
            return
        started = time.perf_counter()
        reply = await asyncio.to_thread(self.core.handle, user_id, incoming)
        if log.isEnabledFor(logging.DEBUG):  # what was decided, never who asked or what they wrote
            log.debug("update %s: %s -> %s in %.1f ms", update.update_id, incoming.kind, _outcome(reply),
                      (time.perf_counter() - started) * 1000)
        if press is not None and any(m.edit and m.markup_only for m in reply.messages):
            self._spent[press] = None
            if len(self._spent) > SPENT_MAX:
                del self._spent[next(iter(self._spent))]
        if update.callback_query:
            await self._answer_callback(update, reply.toast)
        if reply.action:
            await self._act(update, context, reply)
        await self._send(update, context, reply.messages)

    async def on_inline(self, update: Update) -> None:
        query = update.inline_query
        settings = self.core.settings_of(query.from_user.id)
        lang, found = conversation.inline_results(self.core.library.current, settings, query.query)
        results = [
            InlineQueryResultArticle(id=entry_id, title=title,
                                     input_message_content=InputTextMessageContent(html, parse_mode=ParseMode.HTML,
                                                                                   link_preview_options=NO_PREVIEW))
            for entry_id, title, html in found
        ]
        events = [conversation.Event("message")]
        if found:
            events.append(conversation.Event("entry_shown", entry=found[0][0], via="inline", lang=lang))
        self.core.count(events, query.from_user.id)
        try:
            await query.answer(results, cache_time=60, is_personal=True)
        except TelegramError as exc:
            log.warning("inline answer failed: %s", type(exc).__name__)

    # --- replies out ----------------------------------------------------------------------------
    async def _send(self, update: Update, context: ContextTypes.DEFAULT_TYPE, messages: list[Message]) -> None:
        chat = update.effective_chat
        query = update.callback_query
        # a message too old (or deleted) comes as InaccessibleMessage: send anew instead of editing it
        editable = bool(query and query.message and query.message.is_accessible)
        for message in messages:
            markup = keyboard(message.keyboard)
            try:
                if message.edit and editable:
                    if message.markup_only:
                        await query.edit_message_reply_markup(reply_markup=markup)
                    else:
                        await query.edit_message_text(message.html, parse_mode=ParseMode.HTML, reply_markup=markup,
                                                      link_preview_options=NO_PREVIEW)
                    continue
                if message.markup_only or chat is None:
                    continue
                await context.bot.send_message(chat.id, message.html, parse_mode=ParseMode.HTML, reply_markup=markup,
                                               link_preview_options=NO_PREVIEW)
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    continue
                if message.edit and chat is not None and not message.markup_only:  # too old to edit: send anew
                    await context.bot.send_message(chat.id, message.html, parse_mode=ParseMode.HTML, reply_markup=markup,
                                                   link_preview_options=NO_PREVIEW)
                    continue
                raise
            except Forbidden:
                log.info("a user blocked the bot; reply dropped")
                return

    async def _answer_callback(self, update: Update, toast: str | None) -> None:
        try:
            await update.callback_query.answer(text=toast)
        except BadRequest as exc:  # too old or already answered: nothing to do
            log.debug("callback answer refused: %s", exc)

    async def _act(self, update: Update, context: ContextTypes.DEFAULT_TYPE, reply: conversation.Reply) -> None:
        texts = self.core.library.current.texts
        chat_id = update.effective_chat.id
        if reply.action == "reload":
            ok, detail = await asyncio.to_thread(self.core.reload)
            texts = self.core.library.current.texts
            html = texts.get("admin.reload_ok", reply.lang, entries=detail) if ok else reload_failed(texts, reply.lang, detail)
            reply.messages.append(Message(html))
        elif reply.action == "stats":
            summary = await asyncio.to_thread(stats_summary, self.core)
            reply.messages.append(Message(texts.get("admin.stats", reply.lang, summary=summary), (( _report_button(reply.lang),),)))
        elif reply.action == "report":
            name, data = await asyncio.to_thread(report_document, self.core)
            await context.bot.send_document(chat_id, document=data, filename=name)

    # --- background work ------------------------------------------------------------------------
    async def post_init(self, app: Application) -> None:
        me = await app.bot.get_me()
        self.username = me.username or ""
        texts = self.core.library.current.texts
        for lang in ("vi", "en"):
            commands = [BotCommand(c, texts.raw(f"command.{c}", lang)) for c in conversation.COMMANDS]
            await app.bot.set_my_commands(commands, language_code=lang)
        await app.bot.set_my_commands([BotCommand(c, texts.raw(f"command.{c}", "en")) for c in conversation.COMMANDS])
        if self.front is not None:
            await self.front.start()
        self.core.heartbeat()
        self._tasks = [asyncio.create_task(self._watch_content(app)), asyncio.create_task(self._flush_counts())]
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self._stop_signal)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
                pass
        log.info("bot @%s ready with %d entries", self.username, len(self.core.library.current.handbook.entries))

    def _stop_signal(self) -> None:
        """SIGTERM/SIGINT: drop the messages waiting behind a flood at once (a stop must not wait up
        to queue/rate seconds for them, or a container manager kills the bot before the counts are
        written), then stop as python-telegram-bot does: the updates being handled are finished."""
        self.flood.close()
        raise SystemExit

    async def post_shutdown(self, app: Application) -> None:
        for task in self._tasks:
            task.cancel()
        if self.front is not None:
            await self.front.stop()
        await asyncio.to_thread(self.core.close)
        log.info("counts flushed; bye")

    async def _flush_counts(self) -> None:
        interval = self.core.usage.flush_interval if self.core.usage else 2.0  # the crash window
        while True:
            await asyncio.sleep(interval)
            if self.core.usage is not None:
                await asyncio.to_thread(self.core.usage.flush)
            self.core.heartbeat()

    async def _watch_content(self, app: Application) -> None:
        seen = self.core.library.fingerprint()
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                now = await asyncio.to_thread(self.core.library.fingerprint)
                if now == seen:
                    continue
                seen = now
                ok, detail = await asyncio.to_thread(self.core.reload)
                if not ok:
                    await self._tell_admins(app, detail)
            except Exception:  # the watcher must outlive any one failure, or edits stop being seen
                log.exception("watching the content files failed; looking again in %.0f s", WATCH_INTERVAL)

    async def _tell_admins(self, app: Application, detail: str) -> None:
        texts = self.core.library.current.texts
        for admin in self.core.config.admins:
            try:
                await app.bot.send_message(admin, reload_failed(texts, "vi", detail), parse_mode=ParseMode.HTML)
            except TelegramError as exc:
                log.warning("could not tell an admin about the content problem: %s", type(exc).__name__)


def _outcome(reply: conversation.Reply) -> str:
    """The events of a reply as `name:entry` words (entry and chapter ids only, never a text)."""
    words = [e.name + (f":{e.entry}" if e.entry else f":{e.chapter}" if e.chapter else "") for e in reply.events
             if e.name != "message"]
    return " ".join(words) or "-"


def _press_key(query) -> tuple | None:
    if query is None or query.message is None:
        return None
    return (query.message.chat.id, query.message.message_id, query.data)


def _not_on_message(query) -> bool:
    """True when the data is not a button of the message as the user saw it: forged, or replayed
    after the button was removed (its effect, such as a vote, must not happen twice)."""
    message = query.message
    if message is None:  # an inline message (inline_message_id only): the bot puts no buttons there
        return True
    if not message.is_accessible:  # too old: cannot tell
        return False
    rows = message.reply_markup.inline_keyboard if message.reply_markup else ()
    return query.data not in {button.callback_data for row in rows for button in row}


def _report_button(lang: str):
    from handbook.dialogue import buttons
    from handbook.dialogue.views import Button

    return Button("📄 HTML" if lang == "en" else "📄 Báo cáo HTML", buttons.REPORT)


def build_application(core: Core, *, front: WebhookFront | None = None) -> Application:
    """The python-telegram-bot application, wired to the core (the one place it is assembled)."""
    token = core.config.require_token()
    bot = TelegramBot(core)
    bot.front = front
    processor = FairUpdateProcessor(bot.flood, user_of=bot.gated_user, on_slowed=bot.flood_notice,
                                    on_dropped=bot.flood_dropped, max_concurrent_updates=CONCURRENT_UPDATES)
    builder = (Application.builder().token(token).rate_limiter(PatientRateLimiter(max_retries=3))
               .concurrent_updates(processor).post_init(bot.post_init).post_shutdown(bot.post_shutdown))
    if core.config.api_url:
        builder = builder.base_url(core.config.api_url.rstrip("/").removesuffix("/bot") + "/bot")
    app = builder.build()
    bot.app = app
    app.add_handler(TypeHandler(Update, bot.on_update))
    app.add_error_handler(on_error)
    return app


def run_bot(*, webhook_url: str | None = None, listen: str = "0.0.0.0", port: int = 8443) -> int:
    config = Config.from_env()
    webhook_secret = secrets.token_urlsafe(32)
    setup_logging(secrets_to_hide=[config.token or "", webhook_secret, config.secret or ""], level=config.log_level)
    config.require_token()
    core = build_core(config=config)
    inner = tempfile.TemporaryDirectory(prefix="healthbot-webhook-") if webhook_url else None  # 0700
    try:
        wait_for_telegram(config.token, config.api_url)  # a network that comes up late is waited for, not a crash
        if webhook_url:
            # the public port is ours (secret and size checked before a body is read); the library's
            # own server listens on a Unix socket in a private folder
            url_path = urlparse(webhook_url).path.lstrip("/")
            socket_path = Path(inner.name) / "bot.sock"
            front = WebhookFront(listen=listen, port=port, path=url_path, secret=webhook_secret,
                                 forward=unix_forwarder(socket_path, url_path, webhook_secret))
            app = build_application(core, front=front)
            app.run_webhook(unix=socket_path, url_path=url_path, webhook_url=webhook_url, secret_token=webhook_secret,
                            allowed_updates=Update.ALL_TYPES, close_loop=False)
        else:
            app = build_application(core)
            app.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
    except Stopped:  # SIGTERM/SIGINT while Telegram was out of reach
        core.close()
        return 0
    except (InvalidToken, TokenRejected):
        core.close()
        raise ConfigError("Telegram refused the token (TELEGRAM_BOT_TOKEN): copy it again from @BotFather") from None
    except (TelegramError, OSError) as exc:
        core.close()
        print(f"healthbot: cannot reach the Telegram Bot API ({type(exc).__name__}: {exc}); check TELEGRAM_API_URL and the network",
              file=sys.stderr)
        return 1
    finally:
        if inner is not None:
            inner.cleanup()
    return 0
