"""The usage/settings database failing under the real `healthbot run`: locked by another process,
read-only, deleted while running, on a full disk. Replies go on, the log says what happened once
per part (usage counts, user settings), and counting resumes when the file is usable again, with
the counts kept in memory meanwhile.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from bot_process import BotProcess

from handbook.usage.log import UsageLog
from handbook.usage.settings_store import SettingsStore

ADMIN = 4444
QUESTION = "sốt cao phải làm sao"
_ids = itertools.count(7001)


def _drop_root_file_powers() -> None:
    """In the bot's process (before exec): root without CAP_DAC_OVERRIDE/READ_SEARCH obeys file
    modes, so chmod can make the database read-only even when the tests run as root."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
            if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@pytest.fixture
def data_dir(tmp_path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    yield path
    for item in [path, *path.iterdir()]:  # let pytest clean up whatever a test made read-only
        item.chmod(0o755)


def start_bot(tg, tmp_path: Path, db: Path) -> BotProcess:
    return BotProcess(tg, tmp_path, admins=str(ADMIN), extra_env={"HEALTHBOT_DB": str(db)},
                      preexec_fn=_drop_root_file_powers).start()


def ask(tg, n: int = 1) -> None:
    """n questions from new users, each answered."""
    for _ in range(n):
        user = tg.user(next(_ids), "Lan", language_code="vi")
        tg.send_text(user, QUESTION)
        [answer] = tg.wait_replies(user.id, timeout=10)
        assert "fb:+:fever" in answer.callback_data


def choose_country(tg) -> None:
    """A settings change (written to the file); the reply must come all the same."""
    user = tg.user(next(_ids), "Minh", language_code="vi")
    tg.send_text(user, "/country")
    [ask_country] = tg.wait_replies(user.id)
    tg.press(user, ask_country, "c:jp")
    saved, _menu = tg.wait_replies(user.id, count=2, timeout=10)
    assert "Nhật Bản" in saved.text


def stats_questions(tg) -> int | None:
    """The admin's /stats (which writes the pending counts first): questions of the last 7 days,
    None when the file cannot be read at all."""
    admin = tg.user(ADMIN, "Staff", language_code="en")
    tg.send_text(admin, "/stats")
    [figures] = tg.wait_replies(admin.id, timeout=15)
    if "cannot read the counts" in figures.text:
        return None
    return int(re.search(r"7 days: (\d+) questions", figures.text).group(1))


def warnings(log: str, part: str) -> list[str]:
    return [line for line in log.splitlines() if f" WARNING healthbot.{part}:" in line]


def stored(db: Path) -> tuple[int, int]:
    """(questions counted, users with settings) in the file."""
    with sqlite3.connect(db) as conn:
        questions = conn.execute("SELECT coalesce(sum(questions), 0) FROM daily_totals").fetchone()[0]
        settings = conn.execute("SELECT count(*) FROM user_settings").fetchone()[0]
    return questions, settings


def test_a_database_locked_by_another_process(tg, tmp_path, data_dir):
    db = data_dir / "healthbot.db"
    bot = start_bot(tg, tmp_path, db)
    try:
        ask(tg)
        other = sqlite3.connect(db, isolation_level=None)  # e.g. a DB browser in the middle of a write
        other.execute("BEGIN IMMEDIATE")
        other.execute("CREATE TABLE someone_elses (x)")
        ask(tg, 3)
        choose_country(tg)
        choose_country(tg)
        [warning] = warnings(bot.log(), "settings")
        assert "database is locked" in warning and "close the other program" in warning
        other.rollback()
        other.close()
        assert stats_questions(tg) == 4  # the counts waited in memory
    finally:
        assert bot.stop() == 0, bot.log()
    assert stored(db) == (4, 2)
    assert "user settings are written to" in bot.log() and "Traceback" not in bot.log()


def _can_make_read_only(path: Path) -> bool:
    probe = path / "probe"
    probe.write_text("x")
    probe.chmod(0o444)
    done = subprocess.run([sys.executable, "-c", f"open({str(probe)!r}, 'a')"], preexec_fn=_drop_root_file_powers,
                          capture_output=True)
    probe.unlink()
    return done.returncode != 0


def test_a_read_only_database(tg, tmp_path, data_dir):
    if not _can_make_read_only(data_dir):
        pytest.skip("this system lets the bot write a read-only file (root without a way to drop CAP_DAC_OVERRIDE)")
    db = data_dir / "healthbot.db"
    UsageLog(db).close()  # an existing database, as after an earlier run
    SettingsStore(db).close()
    db.chmod(0o444)
    data_dir.chmod(0o555)
    bot = start_bot(tg, tmp_path, db)
    try:
        ask(tg, 3)
        choose_country(tg)
        assert stats_questions(tg) in (0, None)
        assert stats_questions(tg) in (0, None)
        log = bot.log()
        for part in ("usage", "settings"):
            [warning] = warnings(log, part)  # once, however often the file is tried
            assert "readonly database" in warning and "chown/chmod" in warning
        data_dir.chmod(0o755)
        db.chmod(0o644)
        assert stats_questions(tg) == 3  # counting resumes with what was kept in memory
    finally:
        assert bot.stop() == 0, bot.log()
    assert stored(db) == (3, 1)
    assert "Traceback" not in bot.log()


def test_a_database_deleted_while_running(tg, tmp_path, data_dir):
    db = data_dir / "healthbot.db"
    bot = start_bot(tg, tmp_path, db)
    try:
        ask(tg)
        assert stats_questions(tg) == 1
        for path in data_dir.glob("healthbot.db*"):
            path.unlink()
        ask(tg, 2)
        choose_country(tg)
        assert stats_questions(tg) == 2  # a new file, with what came after the old one went
        log = bot.log()
        for part in ("usage", "settings"):
            [warning] = warnings(log, part)
            assert "was deleted or replaced while the bot was running" in warning
    finally:
        assert bot.stop() == 0, bot.log()
    assert stored(db) == (2, 1)
    assert "Traceback" not in bot.log()


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MB tmpfs: SQLite really fails with SQLITE_FULL ("database or disk is full") on it."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("a full disk is simulated with a tiny tmpfs, which needs root (mount)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tiny tmpfs here: {done.stderr.strip()}")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == 28  # ENOSPC
    finally:
        os.close(fd)
    return filler


def test_a_full_disk(tg, tmp_path, tiny_disk):
    db = tiny_disk / "healthbot.db"
    bot = start_bot(tg, tmp_path, db)
    try:
        ask(tg)
        assert stats_questions(tg) == 1
        filler = fill(tiny_disk)
        ask(tg, 2)
        choose_country(tg)
        assert stats_questions(tg) == 1
        assert stats_questions(tg) == 1
        log = bot.log()
        for part in ("usage", "settings"):
            [warning] = warnings(log, part)
            assert "database or disk is full" in warning and "free some space" in warning
        filler.unlink()
        assert stats_questions(tg) == 3
    finally:
        assert bot.stop() == 0, bot.log()
    assert stored(db) == (3, 1)
    assert "Traceback" not in bot.log()
