"""Per-user settings: kept under a keyed hash of the user id, never the id, and never an exception
for the bot when the SQLite file is locked, corrupt or deleted."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import sqlite3
import stat
from pathlib import Path

import pytest
import sqlite_utils

from handbook.usage.events import Event
from handbook.usage.keys import Keys, default_key_file, load_keys
from handbook.usage.log import UsageLog
from handbook.usage.settings_store import SettingsStore, UserSettings, slow_key

LAN, MINH = 5012345678, 6023456789


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "healthbot.settings" and r.levelno >= logging.WARNING]


def table(path: Path, name: str) -> list[dict]:
    with sqlite_utils.Database(path) as db:
        return list(db[name].rows)


def test_a_new_user_has_no_settings(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "healthbot.db")
    assert store.get(LAN) == UserSettings(lang=None, country=None)
    store.close()


def test_update_changes_only_the_given_fields_and_none_clears_one(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "healthbot.db")
    assert store.update(LAN, lang="vi") == UserSettings("vi", None)
    assert store.update(LAN, country="kr") == UserSettings("vi", "kr")
    assert store.update(LAN, lang=None) == UserSettings(None, "kr")
    assert store.get(LAN) == UserSettings(None, "kr")
    assert store.get(MINH) == UserSettings()
    store.close()


def test_settings_survive_a_restart_and_are_shared_by_two_stores(tmp_path: Path) -> None:
    path = tmp_path / "healthbot.db"
    first, second = SettingsStore(path), SettingsStore(path)
    first.update(LAN, lang="en", country="jp")
    assert second.get(LAN) == UserSettings("en", "jp")
    first.close()
    second.close()
    again = SettingsStore(path)
    assert again.get(LAN) == UserSettings("en", "jp")
    again.close()


def test_clearing_every_field_deletes_the_row(tmp_path: Path) -> None:
    path = tmp_path / "healthbot.db"
    store = SettingsStore(path)
    store.update(LAN, lang="vi", country="jp")
    store.update(LAN, lang=None, country=None)
    store.close()
    assert table(path, "user_settings") == []


def test_rows_are_keyed_under_a_secret_kept_outside_the_file(tmp_path: Path) -> None:
    path = tmp_path / "healthbot.db"
    store = SettingsStore(path)
    store.update(LAN, lang="vi")
    store.update(str(MINH), country="kr")  # an id given as text is the same user
    assert store.get(MINH) == UserSettings(None, "kr")
    store.close()
    key_file = default_key_file(path)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    keys = load_keys(key_file=key_file)
    assert {row["user_key"] for row in table(path, "user_settings")} == {full_scheme(keys, u) for u in (LAN, MINH)}
    assert "settings_secret" not in sqlite_utils.Database(path).table_names()
    for file in tmp_path.iterdir():
        assert keys.master not in file.read_bytes() or file == key_file
        for uid in (LAN, MINH):
            assert str(uid).encode() not in file.read_bytes()
    db = sqlite_utils.Database(path)
    for name in db.table_names():
        for row in db[name].rows:
            assert not {LAN, MINH, str(LAN), str(MINH)} & {v for v in row.values() if not isinstance(v, bytes)}
    db.close()


def full_scheme(keys: Keys, uid: int) -> str:
    inner = hmac.new(keys.derive("user-settings"), f"telegram-user:{uid}".encode(), hashlib.sha256).hexdigest()
    return slow_key(inner, keys.derive("user-settings-slow"))


def every_value(*files: Path) -> set[bytes]:
    """Every value stored in the SQLite files, as bytes (text also as the bytes its hex spells)."""
    found: set[bytes] = set()
    for file in files:
        db = sqlite_utils.Database(file)
        for name in db.table_names():
            for row in db.execute(f"SELECT * FROM [{name}]").fetchall():
                for value in row:
                    if isinstance(value, bytes):
                        found.add(value)
                    elif value is not None:
                        found.add(str(value).encode())
                        with contextlib.suppress(ValueError):
                            found.add(bytes.fromhex(str(value)))
        db.close()
    return found


def confirms(candidates: set[bytes], uid: int, settings_keys: set[str], day_hashes: set[str], day: str) -> bool:
    """The attack: try each candidate as the key of every scheme the bot has used (the old one with
    the key in the file, and the new one taking the candidate as the master secret)."""
    for candidate in candidates:
        old = hmac.new(candidate, f"telegram-user:{uid}".encode(), hashlib.sha256).hexdigest()
        old_day = hmac.new(candidate, str(uid).encode(), hashlib.sha256).hexdigest()[:32]
        if old in settings_keys or old_day in day_hashes:
            return True
        keys = Keys(candidate)
        new_day = hmac.new(keys.day_key(day), str(uid).encode(), hashlib.sha256).hexdigest()[:32]
        if new_day in day_hashes or full_scheme(keys, uid) in settings_keys:
            return True
    return False


def confirms_fast(candidates: set[bytes], uid: int, settings_keys: set[str], day_hashes: set[str], day: str) -> bool:
    """The attack without the slow hash: each candidate as the old settings key, a day key, or the
    master secret of the day keys."""
    for candidate in candidates:
        if hmac.new(candidate, f"telegram-user:{uid}".encode(), hashlib.sha256).hexdigest() in settings_keys:
            return True
        if hmac.new(candidate, str(uid).encode(), hashlib.sha256).hexdigest()[:32] in day_hashes:
            return True
        if hmac.new(Keys(candidate).day_key(day), str(uid).encode(), hashlib.sha256).hexdigest()[:32] in day_hashes:
            return True
    return False


def test_the_database_file_alone_cannot_confirm_a_guessed_id(tmp_path: Path) -> None:
    path = tmp_path / "healthbot.db"
    keys = load_keys(key_file=tmp_path / "elsewhere.key")
    store, usage = SettingsStore(path, keys=keys), UsageLog(path, keys=keys)
    store.update(LAN, lang="vi", country="jp")
    usage.record([Event("message")], user=LAN)
    usage.flush()
    day = usage.today()
    stolen = tmp_path / "stolen.db"  # what a thief copies: the file with its write-ahead log
    with sqlite3.connect(path) as source, sqlite3.connect(stolen) as target:
        source.backup(target)
    live = [path, path.with_name(path.name + "-wal")]
    raw = b"".join(f.read_bytes() for f in [stolen, *live] if f.exists())  # every byte a thief could copy
    store.close()
    usage.close()
    settings_keys = {r["user_key"] for r in table(stolen, "user_settings")}
    day_hashes = {r["hash"] for r in table(stolen, "daily_user_hashes")}
    assert settings_keys and day_hashes
    candidates = every_value(stolen, path)
    assert len(candidates) > 10
    print(f"\n{len(candidates)} values in the file tried as keys, in both schemes: none confirms the id")
    assert not confirms(candidates, LAN, settings_keys, day_hashes, day)
    # and every 32 bytes of the raw files (with the write-ahead log), at every offset, as a key of
    # the fast (HMAC) schemes
    windows = {raw[i:i + 32] for i in range(len(raw) - 31)}
    assert not confirms_fast(windows, LAN, settings_keys, day_hashes, day)
    print(f" and {len(windows)} 32-byte windows of the raw file as HMAC keys: none either")
    # the same attack with the secret from outside the file does confirm the id: the test can fail
    assert confirms(candidates | {keys.master}, LAN, settings_keys, day_hashes, day)
    assert confirms_fast(windows | {keys.master}, LAN, settings_keys, day_hashes, day)
    assert not confirms({keys.master}, MINH, settings_keys, day_hashes, day)


def old_style_database(path: Path, secret: bytes, users: dict[int, tuple[str, str]]) -> None:
    """A file as written before the secrets left it: the settings secret in `settings_secret`."""
    with sqlite_utils.Database(path) as db:
        db["schema_version"].insert({"component": "settings", "version": 1}, pk="component")
        db["settings_secret"].insert({"id": 1, "secret": secret}, pk="id")
        db["user_settings"].insert_all(
            [{"user_key": hmac.new(secret, f"telegram-user:{uid}".encode(), hashlib.sha256).hexdigest(),
              "lang": lang, "country": country} for uid, (lang, country) in users.items()], pk="user_key")


def test_an_old_database_keeps_its_settings_and_loses_its_secret(tmp_path: Path) -> None:
    path, secret = tmp_path / "healthbot.db", bytes(range(32))
    old_style_database(path, secret, {LAN: ("en", "kr"), MINH: ("vi", "jp")})
    store = SettingsStore(path)
    assert store.get(LAN) == UserSettings("en", "kr") and store.get(MINH) == UserSettings("vi", "jp")
    store.update(LAN, lang="vi")
    store.close()
    assert "settings_secret" not in sqlite_utils.Database(path).table_names()
    for file in (path, path.with_name(path.name + "-wal")):
        assert not file.exists() or secret not in file.read_bytes()
    assert load_keys(key_file=default_key_file(path)).settings_legacy == secret
    again = SettingsStore(path)  # a restart: still found, through the key file only
    assert again.get(LAN) == UserSettings("vi", "kr") and again.get(MINH) == UserSettings("vi", "jp")
    again.close()
    stolen = every_value(path)
    keys = {r["user_key"] for r in table(path, "user_settings")}
    assert not confirms(stolen | {secret}, LAN, keys, set(), "2026-01-01")  # the old secret alone: no


def test_two_files_have_different_secrets(tmp_path: Path) -> None:
    keys = []
    for name in ("a.db", "b.db"):
        store = SettingsStore(tmp_path / name)
        store.update(LAN, lang="vi")
        store.close()
        keys.append(table(tmp_path / name, "user_settings")[0]["user_key"])
    assert keys[0] != keys[1]


def test_invalid_values_are_refused_with_the_allowed_ones(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "healthbot.db")
    with pytest.raises(ValueError, match="vi, en"):
        store.update(LAN, lang="fr")
    with pytest.raises(ValueError, match="jp, kr"):
        store.update(LAN, country="vn")
    store.close()


def test_corrupt_file_falls_back_to_memory_with_one_warning(tmp_path: Path, caplog) -> None:
    path = tmp_path / "healthbot.db"
    path.write_bytes(b"not a database at all " * 100)
    store = SettingsStore(path, retry_interval=0)
    assert store.update(LAN, lang="en") == UserSettings("en", None)
    assert store.get(LAN) == UserSettings("en", None)
    assert store.get(MINH) == UserSettings()
    assert len(warnings(caplog)) == 1 and "move the damaged file aside" in warnings(caplog)[0]
    path.rename(tmp_path / "healthbot.db.broken")
    assert store.get(LAN) == UserSettings("en", None)  # and now written to a new file
    store.close()
    again = SettingsStore(path)
    assert again.get(LAN) == UserSettings("en", None)
    again.close()


def test_locked_file_keeps_changes_in_memory_and_writes_them_later(tmp_path: Path, caplog) -> None:
    path = tmp_path / "healthbot.db"
    store = SettingsStore(path, busy_timeout=0.05, retry_interval=0)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    assert store.update(LAN, lang="vi", country="kr") == UserSettings("vi", "kr")
    assert store.update(MINH, lang="en") == UserSettings("en", None)
    assert store.get(LAN) == UserSettings("vi", "kr")
    assert len(warnings(caplog)) == 1 and "locked" in warnings(caplog)[0]
    other.execute("ROLLBACK")
    other.close()
    store.get(LAN)  # the next call writes what waited in memory
    reader = SettingsStore(path)
    assert (reader.get(LAN), reader.get(MINH)) == (UserSettings("vi", "kr"), UserSettings("en", None))
    reader.close()
    store.close()


def test_after_a_failure_the_file_is_left_alone_for_the_retry_interval(tmp_path: Path) -> None:
    path, clock = tmp_path / "healthbot.db", FakeMonotonic()
    store = SettingsStore(path, busy_timeout=0.05, retry_interval=30, monotonic=clock)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    store.update(LAN, lang="vi")
    other.execute("ROLLBACK")
    other.close()
    clock.now += 29
    store.get(MINH)
    assert table(path, "user_settings") == []
    clock.now += 2
    store.get(MINH)
    assert [row["lang"] for row in table(path, "user_settings")] == ["vi"]
    store.close()


def test_settings_read_before_a_failure_are_still_served(tmp_path: Path, caplog) -> None:
    path = tmp_path / "healthbot.db"
    writer = SettingsStore(path)
    writer.update(LAN, lang="en", country="jp")
    writer.close()
    store = SettingsStore(path, retry_interval=0)
    assert store.get(LAN) == UserSettings("en", "jp")
    path.unlink()
    path.write_bytes(b"garbage " * 500)  # the file is replaced by a damaged one
    assert store.get(LAN) == UserSettings("en", "jp")
    assert store.get(MINH) == UserSettings()
    assert len(warnings(caplog)) == 1
    store.close()


def test_close_reports_settings_that_could_not_be_written(tmp_path: Path, caplog) -> None:
    path = tmp_path / "healthbot.db"
    path.write_bytes(b"garbage " * 500)
    store = SettingsStore(path)
    store.update(LAN, lang="vi")
    store.close()
    assert any("could not be written" in message for message in warnings(caplog))


def test_a_second_process_started_during_the_upgrade_finds_the_moved_secret(tmp_path: Path) -> None:
    from handbook.usage.keys import KeySource

    path, secret = tmp_path / "healthbot.db", bytes(range(32, 64))
    old_style_database(path, secret, {LAN: ("en", "kr")})
    early = KeySource(key_file=default_key_file(path))
    early.get()  # the second process read the key file before the first moved the secret into it
    first = SettingsStore(path)
    second = SettingsStore(path, keys=early)
    assert first.get(LAN) == UserSettings("en", "kr") == second.get(LAN)
    first.close()
    second.close()
