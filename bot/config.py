"""Configuration, read once from the environment at start-up."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from handbook.content.library import DEFAULT_CONTENT
from handbook.usage.keys import default_key_file

TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,80}$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Config:
    token: str | None
    api_url: str | None
    db: Path
    content: Path
    admins: frozenset[int]
    record_misses: bool
    # the secret that keys user settings and the distinct-user count (HEALTHBOT_SECRET), or None:
    # then it is kept in key_file (HEALTHBOT_KEY_FILE, by default the database's path + ".key")
    secret: str | None = field(default=None, repr=False)
    key_file: Path | None = None
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        admins = set()
        for part in (env.get("HEALTHBOT_ADMINS") or "").replace(" ", "").split(","):
            if not part:
                continue
            if not part.lstrip("-").isdigit():
                raise ConfigError(f"HEALTHBOT_ADMINS must be comma-separated Telegram user ids (numbers); {part!r} is not one")
            admins.add(int(part))
        db = Path(env.get("HEALTHBOT_DB") or "healthbot.db")
        return cls(
            token=(env.get("TELEGRAM_BOT_TOKEN") or "").strip() or None,
            api_url=(env.get("TELEGRAM_API_URL") or "").strip() or None,
            db=db,
            content=Path(env.get("HEALTHBOT_CONTENT") or DEFAULT_CONTENT),
            admins=frozenset(admins),
            record_misses=(env.get("HEALTHBOT_RECORD_MISSES") or "").strip().lower() in ("1", "true", "yes", "on"),
            secret=(env.get("HEALTHBOT_SECRET") or "").strip() or None,
            key_file=Path(env.get("HEALTHBOT_KEY_FILE") or default_key_file(db)),
            log_level=(env.get("HEALTHBOT_LOG_LEVEL") or "INFO").strip(),
        )

    def require_token(self) -> str:
        if not self.token:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and export TELEGRAM_BOT_TOKEN=... (or use 'healthbot chat' without Telegram)")
        if not TOKEN_RE.match(self.token):
            raise ConfigError("TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then 35 or so letters); copy it again from @BotFather")
        return self.token
