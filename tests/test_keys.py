"""The secrets that key settings and the user count live outside the database: in HEALTHBOT_SECRET
or in an owner-only key file made on first run."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.config import Config, ConfigError
from bot.wiring import build_core
from handbook.usage.keys import KeyFileError, load_keys

USER = 5012345678


def core_with(tmp_path: Path, content_dir: Path, **env: str):
    base = {"HEALTHBOT_CONTENT": str(content_dir), "HEALTHBOT_DB": str(tmp_path / "h.db")}
    return build_core(config=Config.from_env(base | env))


def test_the_key_file_is_made_owner_only_beside_the_database_and_reused(tmp_path, content_dir):
    core = core_with(tmp_path, content_dir)
    core.settings.update(USER, lang="en")
    core.close()
    key_file = tmp_path / "h.db.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_bytes()
    again = core_with(tmp_path, content_dir)
    assert again.settings.get(USER).lang == "en"
    again.close()
    assert key_file.read_bytes() == first


def test_a_key_file_elsewhere_is_used_and_without_it_the_settings_are_not_found(tmp_path, content_dir):
    elsewhere = tmp_path / "secrets" / "healthbot.key"
    elsewhere.parent.mkdir()
    core = core_with(tmp_path, content_dir, HEALTHBOT_KEY_FILE=str(elsewhere))
    core.settings.update(USER, country="kr")
    core.close()
    assert elsewhere.exists() and not (tmp_path / "h.db.key").exists()
    other = core_with(tmp_path, content_dir)  # another key file: the rows cannot be found
    assert other.settings.get(USER).country is None
    other.close()


def test_the_secret_may_come_from_the_environment(tmp_path, content_dir):
    secret = "a-long-random-secret-from-the-vault"
    core = core_with(tmp_path, content_dir, HEALTHBOT_SECRET=secret)
    core.settings.update(USER, lang="vi", country="jp")
    core.close()
    assert not (tmp_path / "h.db.key").exists()
    assert secret.encode() not in (tmp_path / "h.db").read_bytes()
    same = core_with(tmp_path, content_dir, HEALTHBOT_SECRET=secret)
    assert same.settings.get(USER).country == "jp"
    same.close()
    other = core_with(tmp_path, content_dir, HEALTHBOT_SECRET=secret + "-other")
    assert other.settings.get(USER).country is None
    other.close()


def test_a_short_secret_or_a_damaged_key_file_is_a_config_error_saying_what_to_do(tmp_path, content_dir):
    with pytest.raises(ConfigError, match="at least 16"):
        core_with(tmp_path, content_dir, HEALTHBOT_SECRET="short")
    (tmp_path / "h.db.key").write_text("master = not-hex\n")
    with pytest.raises(ConfigError, match="backup"):
        core_with(tmp_path, content_dir)


def test_a_key_file_readable_by_others_is_warned_about(tmp_path, caplog):
    path = tmp_path / "k"
    load_keys(key_file=path)
    path.chmod(0o644)
    load_keys(key_file=path)
    assert any("chmod 600" in r.getMessage() for r in caplog.records)
    with pytest.raises(KeyFileError):
        load_keys(key_file=tmp_path / "k", env_secret="x")
