"""Per-user settings: kept under a keyed hash of the user id, never the id, and never an exception
for the bot when the SQLite file is locked, corrupt or deleted."""

from __future__ import annotations

import hashlib
import hmac
import logging
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from handbook.usage.settings_store import SettingsStore, UserSettings

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


def test_rows_are_keyed_by_an_hmac_of_the_id_under_a_secret_kept_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "healthbot.db"
    store = SettingsStore(path)
    store.update(LAN, lang="vi")
    store.update(str(MINH), country="kr")  # an id given as text is the same user
    assert store.get(MINH) == UserSettings(None, "kr")
    store.close()
    (secret_row,) = table(path, "settings_secret")
    secret = secret_row["secret"]
    assert isinstance(secret, bytes) and len(secret) == 32
    expected = {hmac.new(secret, f"telegram-user:{uid}".encode(), hashlib.sha256).hexdigest()
                for uid in (LAN, MINH)}
    assert {row["user_key"] for row in table(path, "user_settings")} == expected
    for file in tmp_path.iterdir():
        for uid in (LAN, MINH):
            assert str(uid).encode() not in file.read_bytes()
    db = sqlite_utils.Database(path)
    for name in db.table_names():
        for row in db[name].rows:
            assert not {LAN, MINH, str(LAN), str(MINH)} & {v for v in row.values() if not isinstance(v, bytes)}
    db.close()


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
