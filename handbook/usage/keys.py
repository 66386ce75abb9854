"""The secrets that key user settings and the distinct-user count, kept outside the database.

Whoever holds the SQLite file alone cannot test a guessed Telegram user id: every keyed hash in it
is made under a secret that lives in the environment (`HEALTHBOT_SECRET`) or in a key file readable
by its owner only (made on first run, by default beside the database as `<db>.key`). The day key of
the distinct-user count is derived from the secret and the date, so nothing day-specific is stored.

The key file is a few `name = hex` lines: `master` (absent when the secret comes from the
environment) and, for a database made before the secrets left it, `settings-legacy`: the old
in-file settings secret, moved here so that the settings of existing users stay theirs.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("healthbot.keys")

MIN_SECRET_LENGTH = 16  # characters of HEALTHBOT_SECRET


class KeyFileError(Exception):
    """The key file cannot be read, made or understood; the message says how to fix it."""


@dataclass(frozen=True)
class Keys:
    """The bot's secrets. `master` never leaves memory; the others are derived from it."""

    master: bytes
    settings_legacy: bytes | None = None
    key_file: Path | None = None  # where settings_legacy may be added (None: nowhere)

    def derive(self, purpose: str) -> bytes:
        return hmac.new(self.master, f"healthbot:{purpose}".encode(), hashlib.sha256).digest()

    def day_key(self, day: str) -> bytes:
        """The key of one day's distinct-user hashes: from the secret and the date, never stored."""
        return hmac.new(self.derive("distinct-users"), day.encode(), hashlib.sha256).digest()

    def with_legacy(self, legacy: bytes) -> Keys:
        """Keep the old in-database settings secret in the key file (never in the database)."""
        if self.key_file is None:
            raise KeyFileError("no key file to keep the old settings secret in")
        _append(self.key_file, "settings-legacy", legacy)
        return Keys(self.master, legacy, self.key_file)


class KeySource:
    """The keys, loaded on first use and again after a failure (a folder not mounted yet): the
    stores treat a KeyFileError like an unusable database file and keep their data in memory."""

    def __init__(self, keys: Keys | None = None, *, key_file: Path | None = None,
                 env_secret: str | None = None) -> None:
        self._keys, self.key_file, self._env_secret = keys, key_file, env_secret

    @classmethod
    def of(cls, keys: Keys | KeySource | None, db: Path) -> KeySource:
        if isinstance(keys, KeySource):
            return keys
        return cls(keys, key_file=default_key_file(db))

    def get(self) -> Keys:
        if self._keys is None:
            self._keys = load_keys(key_file=self.key_file, env_secret=self._env_secret)
        return self._keys

    def reload(self) -> Keys:
        """Read the key file again (another process may just have moved an old secret into it)."""
        if self.key_file is not None and self.key_file.exists():
            self._keys = None
        return self.get()

    def add_legacy(self, legacy: bytes) -> Keys:
        self._keys = self.get().with_legacy(legacy)
        return self._keys


def default_key_file(db: Path) -> Path:
    return db.with_name(db.name + ".key")


def load_keys(*, key_file: Path, env_secret: str | None = None) -> Keys:
    """The secrets: from `env_secret` when given, else from `key_file` (made 0600 when missing).

    The key file is read (or made) either way: it is where an upgraded database's old settings
    secret is kept.
    """
    if env_secret is not None:
        if len(env_secret) < MIN_SECRET_LENGTH:
            raise KeyFileError(f"HEALTHBOT_SECRET is too short ({len(env_secret)} characters): use at "
                               f"least {MIN_SECRET_LENGTH} random ones, e.g. from `openssl rand -hex 32`")
        master = hashlib.sha256(b"healthbot-secret:" + env_secret.encode()).digest()
        values = _read(key_file) if key_file.exists() else {}
        return Keys(master, values.get("settings-legacy"), key_file)
    if not key_file.exists():
        _create(key_file)
    values = _read(key_file)
    if "master" not in values:
        _append(key_file, "master", secrets.token_bytes(32))
        values = _read(key_file)
    return Keys(values["master"], values.get("settings-legacy"), key_file)


def _create(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return
    except OSError as exc:
        raise KeyFileError(f"cannot make the key file {path} ({exc.strerror}): let the bot's user "
                           f"write to {path.parent}, or set HEALTHBOT_KEY_FILE to a writable path "
                           "(or HEALTHBOT_SECRET)") from None
    with os.fdopen(fd, "w") as out:
        out.write(f"master = {secrets.token_bytes(32).hex()}\n")
        out.flush()
        os.fsync(out.fileno())
    log.debug("made the key file %s (owner-only; back it up with the database: without it the "
             "stored settings cannot be found)", path)


def _append(path: Path, name: str, value: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a") as out:
        out.write(f"{name} = {value.hex()}\n")
        out.flush()
        os.fsync(out.fileno())


def _read(path: Path) -> dict[str, bytes]:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read the key file {path} ({exc}): it must be readable by the "
                           "bot's user (and by it only: chmod 600)") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the key file %s can be read by other users: chmod 600 %s", path, path)
    values: dict[str, bytes] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, value = line.partition("=")
        try:
            values[name.strip()] = bytes.fromhex(value.strip())
        except ValueError:
            raise KeyFileError(f"{path}:{number}: not a `name = hex` line; restore the key file "
                               "from its backup") from None
    return values
