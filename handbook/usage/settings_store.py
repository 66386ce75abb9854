"""Per-user settings (reply language, country) in the bot's SQLite file, without the user id.

A row is keyed by a deliberately slow keyed hash of the Telegram user id (PBKDF2-SHA256 over an
HMAC of the id, both keyed by secrets that live outside the file: see `keys.py`); the id itself is
never written. The file alone cannot confirm a guessed id; even with the secrets, each guess costs
milliseconds. Keys already computed are kept in memory (the last `_CACHE_MAX` users).

A file made before the secrets left it (a `settings_secret` row) is upgraded when first opened:
the old secret moves to the key file, the rows are re-keyed, the old secret is deleted from the file
and the write-ahead log is truncated.

A locked, read-only, missing or corrupt file never reaches the caller: one warning in the log
("healthbot.settings"), the settings live in memory meanwhile, and changes made then are written
when the file is usable again. After a failure the file is left alone for `retry_interval` seconds,
so a locked file does not slow every reply.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import sqlite_utils

from handbook.usage.database import DatabaseFile, Migration, checkpoint
from handbook.usage.keys import Keys, KeySource

log = logging.getLogger("healthbot.settings")

LANGS = ("vi", "en")
COUNTRIES = ("jp", "kr")
_UNSET: object = object()
_KNOWN_MAX = 10_000  # settings remembered for when the file fails
_CACHE_MAX = 10_000  # user keys remembered (each costs SLOW_ITERATIONS to compute)
SLOW_ITERATIONS = 20_000  # PBKDF2 rounds per user key: about 4 ms


@dataclass(frozen=True, slots=True)
class UserSettings:
    lang: str | None = None  # vi | en | None (not chosen: the bot guesses from each message)
    country: str | None = None  # jp | kr | None (not chosen)


def _create_v1(db: sqlite_utils.Database) -> None:
    db["settings_secret"].create({"id": int, "secret": bytes}, pk="id", not_null={"secret"})
    db["user_settings"].create({"user_key": str, "lang": str, "country": str}, pk="user_key")


def _drop_unused_secret_v2(db: sqlite_utils.Database) -> None:
    """The settings secret lives outside the file now; an old file's secret is moved by the store."""
    if db.execute("SELECT count(*) FROM settings_secret").fetchone()[0] == 0:
        db["settings_secret"].drop()


MIGRATIONS: list[Migration] = [_create_v1, _drop_unused_secret_v2]


def slow_key(inner_hex: str, salt: bytes) -> str:
    """The row key: PBKDF2-SHA256 of the inner HMAC (hex), salted with a secret."""
    return hashlib.pbkdf2_hmac("sha256", inner_hex.encode(), salt, SLOW_ITERATIONS).hex()


class SettingsStore:
    """`get(user_id)`, `update(user_id, lang=..., country=...)`; never raises on a broken file."""

    def __init__(self, path: str | Path, *, keys: Keys | KeySource | None = None, busy_timeout: float = 0.5,
                 retry_interval: float = 30.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self._keys = KeySource.of(keys, self.path)
        self._cache: OrderedDict[str, str] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.retry_interval = retry_interval
        self._monotonic = monotonic
        self._file = DatabaseFile(self.path, component="settings", migrations=MIGRATIONS,
                                  logger=log, busy_timeout=busy_timeout, what="user settings")
        self._lock = threading.Lock()
        self._unwritten: dict[str, UserSettings] = {}  # by user id, in memory only
        self._known: dict[str, UserSettings] = {}  # last read, for when the file fails
        self._retry_at = 0.0
        with self._lock:  # upgrades an old file now, and warns early if the file is unusable
            if self._attempt(self._move_old_secret, write=True):
                self._attempt(checkpoint, write=False)

    def get(self, user_id: int | str) -> UserSettings:
        uid = str(user_id)
        try:
            key = self._key(uid)  # slow: before taking the lock
        except Exception as exc:  # noqa: BLE001 - no key file yet: like an unusable file
            key = exc
        with self._lock:
            self._sync()
            if uid in self._unwritten:
                return self._unwritten[uid]

            def read(db: sqlite_utils.Database) -> UserSettings:
                if isinstance(key, Exception):
                    raise key
                row = db.execute("SELECT lang, country FROM user_settings WHERE user_key = ?",
                                 [key]).fetchone()
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

    def _key(self, uid: str) -> str:
        with self._cache_lock:
            if uid in self._cache:
                self._cache.move_to_end(uid)
                return self._cache[uid]
        keys = self._keys.get()
        inner_secret = keys.settings_legacy or keys.derive("user-settings")
        inner = hmac.new(inner_secret, f"telegram-user:{uid}".encode(), hashlib.sha256).hexdigest()
        key = slow_key(inner, keys.derive("user-settings-slow"))
        with self._cache_lock:
            self._cache[uid] = key
            if len(self._cache) > _CACHE_MAX:
                self._cache.popitem(last=False)
        return key

    def _move_old_secret(self, db: sqlite_utils.Database) -> bool:
        """An old file: keep its secret in the key file, re-key the rows, delete the secret.

        True when the file was upgraded (the caller then truncates the write-ahead log)."""
        if "settings_secret" not in db.table_names():
            if self._keys.key_file is not None and self._keys.get().settings_legacy is None:
                self._keys.reload()  # another process may have upgraded the file since we read the keys
                with self._cache_lock:
                    self._cache.clear()
            return False
        row = db.execute("SELECT secret FROM settings_secret WHERE id = 1").fetchone()
        if row is not None:
            legacy, keys = bytes(row[0]), self._keys.get()
            if keys.settings_legacy not in (None, legacy):
                raise RuntimeError(f"{self.path} holds another database's settings secret than "
                                   f"the key file; use the key file that came with this database")
            if keys.settings_legacy is None:
                keys = self._keys.add_legacy(legacy)
                with self._cache_lock:
                    self._cache.clear()
            salt = keys.derive("user-settings-slow")
            old = [key for (key,) in db.execute("SELECT user_key FROM user_settings").fetchall()]
            db.conn.executemany("UPDATE user_settings SET user_key = ? WHERE user_key = ?",
                           [(slow_key(key, salt), key) for key in old])
            log.info("moved the settings secret out of %s and re-keyed %d users' settings",
                     self.path, len(old))
        db["settings_secret"].drop()
        return True

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
            keys = {uid: self._key(uid) for uid in pending}
            for uid, settings in pending.items():
                key = keys[uid]
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
