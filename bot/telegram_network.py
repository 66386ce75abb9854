"""How the bot treats Telegram's network: which failed requests may be sent again, and which
errors are a line in the log rather than a traceback. Never sends a reply twice."""

from __future__ import annotations

import asyncio
import logging

import httpx
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, ContextTypes

log = logging.getLogger("healthbot.telegram")


def _not_carried_out(exc: NetworkError) -> bool:
    """Did Telegram certainly not carry out the request? Then it may be sent again.

    An error answer (500, 502...) or a connection that failed before the request left: yes. A
    connection dropped or timed out while waiting for the answer: perhaps it was, so no.
    """
    if isinstance(exc, BadRequest):  # a subclass of NetworkError; sending it again cannot help
        return False
    cause = exc.__cause__
    if cause is None or isinstance(cause, TelegramError):  # Telegram answered with an error status
        return type(exc) is NetworkError
    return isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


class PatientRateLimiter(AIORateLimiter):
    """Telegram's flood limits (on 429 wait `retry_after`, as AIORateLimiter does), and a few
    retries with growing pauses for a request that Telegram certainly did not carry out. A request
    that may have been carried out is not sent again, so that no reply is ever sent twice."""

    PAUSES = (0.5, 1.0, 2.0)

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        for pause in (*self.PAUSES, None):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except NetworkError as exc:
                if pause is None or not _not_carried_out(exc):
                    raise
                log.info("Telegram did not take %s (%s); trying again in %.1f s", endpoint, exc, pause)
                await asyncio.sleep(pause)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its traceback, never the message text or the user.

    Telegram out of reach (network errors, 5xx, 429) is not a bug: one line, no traceback.
    """
    update_id = getattr(update, "update_id", "?")
    error = context.error
    if isinstance(error, (NetworkError, RetryAfter)) and not isinstance(error, BadRequest):
        what = "polling for updates" if update is None else f"update {update_id}"
        log.warning("Telegram could not be reached (%s: %s) while %s; carrying on", type(error).__name__, error, what)
        return
    log.error("update %s failed: %s", update_id, type(context.error).__name__, exc_info=context.error)
