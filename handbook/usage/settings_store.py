"""Per-user settings (reply language, country) in the bot's SQLite file, without the user id.

A row is keyed by HMAC-SHA256 of the Telegram user id under a random secret that is made on first
use and kept in the same file (`settings_secret`); the id itself is never written. Whoever holds
the file and the secret could test a guessed id, but cannot list who uses the bot.

A locked, read-only, missing or corrupt file never reaches the caller: one warning in the log
("healthbot.settings"), the settings live in memory meanwhile, and changes made then are written
when the file is usable again. After a failure the file is left alone for `retry_interval` seconds,
so a locked file does not slow every reply.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import sqlite_utils

from handbook.usage.log import DatabaseFile, Migration

log = logging.getLogger("healthbot.settings")

LANGS = ("vi", "en")
COUNTRIES = ("jp", "kr")
_UNSET: object = object()
_KNOWN_MAX = 10_000  # settings remembered for when the file fails


@dataclass(frozen=True, slots=True)
class UserSettings:
    lang: str | None = None  # vi | en | None (not chosen: the bot guesses from each message)
    country: str | None = None  # jp | kr | None (not chosen)


def _create_v1(db: sqlite_utils.Database) -> None:
    db["settings_secret"].create({"id": int, "secret": bytes}, pk="id", not_null={"secret"})
    db["user_settings"].create({"user_key": str, "lang": str, "country": str}, pk="user_key")


MIGRATIONS: list[Migration] = [_create_v1]


def _key(secret: bytes, uid: str) -> str:
    return hmac.new(secret, f"telegram-user:{uid}".encode(), hashlib.sha256).hexdigest()


class SettingsStore:
    """`get(user_id)`, `update(user_id, lang=..., country=...)`; never raises on a broken file."""

    def __init__(self, path: str | Path, *, busy_timeout: float = 0.5,
                 retry_interval: float = 30.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self.retry_interval = retry_interval
        self._monotonic = monotonic
        self._file = DatabaseFile(self.path, component="settings", migrations=MIGRATIONS,
                                  logger=log, busy_timeout=busy_timeout, what="user settings")
        self._lock = threading.Lock()
        self._unwritten: dict[str, UserSettings] = {}  # by user id, in memory only
        self._known: dict[str, UserSettings] = {}  # last read, for when the file fails
        self._retry_at = 0.0
        with self._lock:  # makes the secret now, and warns early if the file is unusable
            self._attempt(lambda db: self._secret(db, create=True), write=True)

    def get(self, user_id: int | str) -> UserSettings:
        uid = str(user_id)
        with self._lock:
            self._sync()
            if uid in self._unwritten:
                return self._unwritten[uid]

            def read(db: sqlite_utils.Database) -> UserSettings:
                secret = self._secret(db, create=False)
                row = secret and db.execute("SELECT lang, country FROM user_settings "
                                            "WHERE user_key = ?", [_key(secret, uid)]).fetchone()
                return UserSettings(*row) if row else UserSettings()

            found = self._attempt(read, write=False)
            if not isinstance(found, UserSettings):
                return self._known.get(uid, UserSettings())
            self._known.pop(uid, None)
            if len(self._known) >= _KNOWN_MAX:
                del self._known[next(iter(self._known))]
            self._known[uid] = found
            return found

    def update(self, user_id: int | str, *, lang: str | None | object = _UNSET,
               country: str | None | object = _UNSET) -> UserSettings:
        """Change the given fields (None clears one) and return the new settings."""
        if lang is not _UNSET and lang not in (*LANGS, None):
            raise ValueError(f"lang must be one of {', '.join(LANGS)} or None, not {lang!r}")
        if country is not _UNSET and country not in (*COUNTRIES, None):
            raise ValueError(f"country must be one of {', '.join(COUNTRIES)} or None, "
                             f"not {country!r}")
        changes = {name: value for name, value in (("lang", lang), ("country", country))
                   if value is not _UNSET}
        new = replace(self.get(user_id), **changes)
        with self._lock:
            self._unwritten[str(user_id)] = self._known[str(user_id)] = new
            self._sync()
        return new

    def close(self) -> None:
        """Write what is still in memory (trying once more) and close the file."""
        with self._lock:
            self._retry_at = 0.0
            self._sync()
            if self._unwritten:
                log.error("settings of %d users could not be written to %s and are lost",
                          len(self._unwritten), self.path)
            self._file.close()

    @staticmethod
    def _secret(db: sqlite_utils.Database, *, create: bool) -> bytes | None:
        if create:
            db.execute("INSERT OR IGNORE INTO settings_secret (id, secret) VALUES (1, ?)",
                       [secrets.token_bytes(32)])
        row = db.execute("SELECT secret FROM settings_secret WHERE id = 1").fetchone()
        return row[0] if row else None

    def _attempt(self, action: Callable[[sqlite_utils.Database], object], *,
                 write: bool) -> object | None:
        """Run `action` on the file; None (and one warning per outage) if the file fails."""
        if self._monotonic() < self._retry_at:
            return None
        try:
            if not write:
                return action(self._file.connect())
            with self._file.transaction() as db:
                return action(db)
        except Exception as exc:  # noqa: BLE001 - a broken file must never reach the caller
            self._file.failed(exc)
            self._retry_at = self._monotonic() + self.retry_interval
            return None

    def _sync(self) -> None:
        """Write the settings changed while the file was unusable (or just now)."""
        if not self._unwritten:
            return
        pending = dict(self._unwritten)

        def write(db: sqlite_utils.Database) -> bool:
            secret = self._secret(db, create=True)
            for uid, settings in pending.items():
                key = _key(secret, uid)
                if settings == UserSettings():
                    db.execute("DELETE FROM user_settings WHERE user_key = ?", [key])
                else:
                    db.execute("INSERT INTO user_settings (user_key, lang, country) "
                               "VALUES (?, ?, ?) ON CONFLICT(user_key) DO UPDATE SET "
                               "lang = excluded.lang, country = excluded.country",
                               [key, settings.lang, settings.country])
            return True

        if self._attempt(write, write=True):
            for uid, settings in pending.items():
                if self._unwritten.get(uid) == settings:
                    del self._unwritten[uid]
