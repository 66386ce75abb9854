"""Start-up without Telegram: wait, with growing pauses, until the Bot API answers; stop on a rejected token.

A container often starts before its network is up: the bot must not crash-loop then, nor print
tracebacks. One line says Telegram cannot be reached; a line every few minutes says it still cannot;
one line when it answers. A token Telegram rejects (401 or 404 from getMe) cannot get better by
waiting: that ends the start-up with one line. SIGTERM or SIGINT while waiting stops at once.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator

import httpx

log = logging.getLogger("healthbot.startup")

DEFAULT_API_URL = "https://api.telegram.org/bot"
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 60.0
REMIND_EVERY = 300.0  # seconds between "still cannot reach" lines


class TokenRejected(Exception):
    """Telegram answered getMe with 401 or 404: the token is wrong or was revoked."""


class Stopped(Exception):
    """SIGTERM or SIGINT arrived while waiting for Telegram."""


def pauses(first: float = FIRST_PAUSE, longest: float = LONGEST_PAUSE) -> Iterator[float]:
    """1, 2, 4 ... seconds, then `longest` for ever."""
    pause = first
    while True:
        yield pause
        pause = min(pause * 2, longest)


def _base_url(api_url: str | None) -> str:
    """The same base URL the application uses (bot/telegram_app.py build_application)."""
    return (api_url.rstrip("/").removesuffix("/bot") + "/bot") if api_url else DEFAULT_API_URL


def probe(token: str, api_url: str | None, *, timeout: float = 10.0) -> str | None:
    """None when getMe answers; else why not, in words that never contain the token.

    Raises TokenRejected on 401/404 (the Bot API's answers for a wrong token)."""
    try:
        response = httpx.get(f"{_base_url(api_url)}{token}/getMe", timeout=timeout)
    except httpx.HTTPError as exc:
        detail = str(exc).replace(token, "<token>") or "no answer"
        return f"{type(exc).__name__}: {detail}"
    if response.status_code in (401, 404):
        raise TokenRejected(response.status_code)
    if response.status_code == 200:
        return None
    return f"HTTP {response.status_code}"


def wait_for_telegram(token: str, api_url: str | None, *, check: Callable[[str, str | None], str | None] = probe,
                      wait: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
    """Return when the Bot API answers. Raises TokenRejected, or Stopped on SIGTERM/SIGINT meanwhile
    (even in the middle of a request: the signal interrupts it)."""
    restore = _stop_on_signals()
    try:
        started = last_line = clock()
        schedule = pauses()
        failures = 0
        while (why := check(token, api_url)) is not None:
            failures += 1
            pause = next(schedule)
            now = clock()
            if failures == 1:
                log.warning("Telegram cannot be reached (%s); trying again in %.0f s, then less often (at most every %.0f s)",
                            why, pause, LONGEST_PAUSE)
            elif now - last_line >= REMIND_EVERY:
                log.warning("Telegram still cannot be reached after %.0f s (%s); still trying", now - started, why)
                last_line = now
            wait(pause)
        if failures:
            log.info("Telegram reached after %.0f s", clock() - started)
    finally:
        restore()


def _stop(signum, frame) -> None:
    raise Stopped


def _stop_on_signals() -> Callable[[], None]:
    """SIGTERM/SIGINT raise Stopped while waiting (main thread only); returns what puts the old handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    for sig in previous:
        signal.signal(sig, _stop)

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
