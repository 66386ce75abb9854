"""The Telegram adapter (python-telegram-bot v22): updates in, the core's decisions carried out.

Nothing here decides what to say; `handbook.conversation` does. This module turns Telegram updates
into `Incoming`, sends the `Message`s back (editing in place where the core says so), keeps the
per-user flood limit, watches the content files, flushes the counts and shuts down cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sys
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
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from handbook import conversation
from handbook.conversation import Incoming
from handbook.views import Keyboard, Message

from .config import Config, ConfigError
from .flood import FloodGate
from .logs import setup_logging
from .staff import report_document, stats_summary
from .wiring import Core, build_core

log = logging.getLogger("healthbot.telegram")
WATCH_INTERVAL = 5.0  # seconds between looks at the content files
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


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
        self.username = ""
        self._tasks: list[asyncio.Task] = []

    # --- updates in -----------------------------------------------------------------------------
    def incoming_from(self, update: Update) -> Incoming | None:
        """The update as the core sees it, or None when the bot must stay silent (groups)."""
        user = update.effective_user
        client_lang = user.language_code if user else None
        is_admin = bool(user and user.id in self.core.config.admins)
        if update.callback_query:
            return Incoming("button", data=update.callback_query.data, client_lang=client_lang, is_admin=is_admin)
        message = update.message or update.edited_message
        if message is None:
            return None
        in_group = message.chat.type != ChatType.PRIVATE
        text = message.text
        if text is None:
            return None if in_group else Incoming("media", client_lang=client_lang, is_admin=is_admin)
        if text.startswith("/"):
            head, _, rest = text[1:].partition(" ")
            name, _, target = head.partition("@")
            if target and target.lower() != self.username.lower():
                return None  # a command for another bot
            if name.lower() == "help":
                rest = self.username
            return Incoming("command", rest.strip(), command=name.lower(), client_lang=client_lang, is_admin=is_admin)
        if in_group:
            mention = f"@{self.username}".lower()
            replying_to_bot = bool(message.reply_to_message and message.reply_to_message.from_user
                                   and message.reply_to_message.from_user.username == self.username)
            if mention not in text.lower() and not replying_to_bot:
                return None
            text = text.replace(f"@{self.username}", " ").strip()
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
        user_id = user.id if user else None
        try:
            async with self.flood.slot(user_id) as slowed:
                if slowed:
                    lang = "en" if (incoming.client_lang or "").startswith("en") else "vi"
                    await self._send(update, context, [Message(self.core.library.current.texts.get("flood", lang))])
                await self._reply(update, context, user_id, incoming)
        except FloodGate.Dropped:
            if update.callback_query:
                await self._answer_callback(update, None)

    async def _reply(self, update: Update, context: ContextTypes.DEFAULT_TYPE, user_id: int | None, incoming: Incoming) -> None:
        reply = await asyncio.to_thread(self.core.handle, user_id, incoming)
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
        for message in messages:
            markup = keyboard(message.keyboard)
            try:
                if message.edit and query and query.message:
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
            html = texts.get("admin.reload_ok", reply.lang, entries=detail) if ok else texts.get("admin.reload_failed", reply.lang, problems=detail)
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
        self.core.heartbeat()
        self._tasks = [asyncio.create_task(self._watch_content(app)), asyncio.create_task(self._flush_counts())]
        log.info("bot @%s ready with %d entries", self.username, len(self.core.library.current.handbook.entries))

    async def post_shutdown(self, app: Application) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.to_thread(self.core.close)
        log.info("counts flushed; bye")

    async def _flush_counts(self) -> None:
        interval = self.core.usage.flush_interval if self.core.usage else 60.0
        while True:
            await asyncio.sleep(min(interval, 30.0))
            if self.core.usage is not None:
                await asyncio.to_thread(self.core.usage.flush)
            self.core.heartbeat()

    async def _watch_content(self, app: Application) -> None:
        seen = self.core.library.fingerprint()
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            now = await asyncio.to_thread(self.core.library.fingerprint)
            if now == seen:
                continue
            seen = now
            ok, detail = await asyncio.to_thread(self.core.reload)
            if not ok:
                await self._tell_admins(app, detail)

    async def _tell_admins(self, app: Application, detail: str) -> None:
        texts = self.core.library.current.texts
        for admin in self.core.config.admins:
            try:
                await app.bot.send_message(admin, texts.get("admin.reload_failed", "vi", problems=detail), parse_mode=ParseMode.HTML)
            except TelegramError as exc:
                log.warning("could not tell an admin about the content problem: %s", type(exc).__name__)


def _report_button(lang: str):
    from handbook import buttons
    from handbook.views import Button

    return Button("📄 HTML" if lang == "en" else "📄 Báo cáo HTML", buttons.REPORT)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its traceback, never the message text or the user."""
    update_id = getattr(update, "update_id", "?")
    log.error("update %s failed: %s", update_id, type(context.error).__name__, exc_info=context.error)


def build_application(core: Core) -> Application:
    """The python-telegram-bot application, wired to the core (the one place it is assembled)."""
    token = core.config.require_token()
    bot = TelegramBot(core)
    builder = (Application.builder().token(token).rate_limiter(AIORateLimiter(max_retries=3))
               .concurrent_updates(True).post_init(bot.post_init).post_shutdown(bot.post_shutdown))
    if core.config.api_url:
        builder = builder.base_url(core.config.api_url.rstrip("/").removesuffix("/bot") + "/bot")
    app = builder.build()
    app.add_handler(TypeHandler(Update, bot.on_update))
    app.add_error_handler(on_error)
    return app


def run_bot(*, webhook_url: str | None = None, listen: str = "0.0.0.0", port: int = 8443) -> int:
    config = Config.from_env()
    setup_logging(secrets_to_hide=[config.token] if config.token else [])
    config.require_token()
    core = build_core(config=config)
    try:
        app = build_application(core)
        if webhook_url:
            app.run_webhook(listen=listen, port=port, url_path=urlparse(webhook_url).path.lstrip("/"),
                            webhook_url=webhook_url, secret_token=secrets.token_urlsafe(32),
                            allowed_updates=Update.ALL_TYPES, close_loop=False)
        else:
            app.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
    except InvalidToken:
        core.close()
        raise ConfigError("Telegram refused the token (TELEGRAM_BOT_TOKEN): copy it again from @BotFather") from None
    except (TelegramError, OSError) as exc:
        core.close()
        print(f"healthbot: cannot reach the Telegram Bot API ({type(exc).__name__}: {exc}); check TELEGRAM_API_URL and the network",
              file=sys.stderr)
        return 1
    return 0
