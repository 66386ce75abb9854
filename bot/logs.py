"""Logging that never shows the bot token, and quiet HTTP client logs (they print request URLs)."""

from __future__ import annotations

import logging
import os

from .config import ConfigError


class Redact(logging.Filter):
    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for s in self.secrets:
                message = message.replace(s, "<token>")
            record.msg, record.args = message, ()
        return True


LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def log_level(env: dict[str, str] | None = None) -> int:
    """HEALTHBOT_LOG_LEVEL as a logging level (default INFO); ConfigError naming the allowed values."""
    text = ((os.environ if env is None else env).get("HEALTHBOT_LOG_LEVEL") or "INFO").strip()
    if text.upper() not in LEVELS:
        raise ConfigError(f"HEALTHBOT_LOG_LEVEL={text!r} is not a log level: use one of {', '.join(LEVELS)} (default INFO)")
    return getattr(logging, text.upper())


def setup_logging(*, secrets_to_hide: list[str]) -> None:
    level = log_level()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact(secrets_to_hide))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "telegram.ext.Updater", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
