"""Logging that names no one, at any level, and never shows a secret.

python-telegram-bot, httpx and tornado log whole updates, requests and replies at DEBUG (user ids,
names, usernames, message texts) and request URLs (with the bot token) at INFO: they are held at
WARNING whatever HEALTHBOT_LOG_LEVEL says, and anything of theirs below WARNING that slips through
(a logger not listed here) is dropped. Our own DEBUG lines say what the bot decided (the outcome,
the entry id, the time taken), never what a user wrote or who they are. The bot token and the
webhook secret are replaced in every line, tracebacks included.
"""

from __future__ import annotations

import logging
import os

from .config import ConfigError

# libraries that print update contents, request URLs or replies below WARNING
QUIET = ("telegram", "httpx", "httpcore", "hpack", "h2", "tornado", "apscheduler", "aiohttp", "urllib3")


class Redact(logging.Formatter):
    """The usual format, with every secret replaced (in the message and in tracebacks)."""

    def __init__(self, fmt: str, secrets: list[str]):
        super().__init__(fmt)
        # the longest first, so that a token is hidden whole before its parts are
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<secret>")
        return text


class OnlyOurs(logging.Filter):
    """Below WARNING, only our own loggers (healthbot.*, handbook.*) and the root may speak."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        name = record.name
        return name == "root" or name.startswith(("healthbot", "handbook", "bot", "__main__"))


LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def log_level(env: dict[str, str] | None = None) -> int:
    """HEALTHBOT_LOG_LEVEL as a logging level (default INFO); ConfigError naming the allowed values."""
    text = ((os.environ if env is None else env).get("HEALTHBOT_LOG_LEVEL") or "INFO").strip()
    if text.upper() not in LEVELS:
        raise ConfigError(f"HEALTHBOT_LOG_LEVEL={text!r} is not a log level: use one of {', '.join(LEVELS)} (default INFO)")
    return getattr(logging, text.upper())


def hidden_parts(*secrets: str | None) -> list[str]:
    """The secrets and the parts that could be logged alone (a token's part after its colon)."""
    parts: list[str] = []
    for secret in secrets:
        if secret:
            parts.append(secret)
            if ":" in secret:
                parts.append(secret.split(":", 1)[1])
    return parts


def setup_logging(*, secrets_to_hide: list[str], level: str | None = None) -> None:
    """`level`: as HEALTHBOT_LOG_LEVEL (read from the environment when None); ConfigError if unknown."""
    numeric = log_level() if level is None else log_level({"HEALTHBOT_LOG_LEVEL": level})
    handler = logging.StreamHandler()
    handler.setFormatter(Redact("%(asctime)s %(levelname)s %(name)s: %(message)s", hidden_parts(*secrets_to_hide)))
    handler.addFilter(OnlyOurs())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
