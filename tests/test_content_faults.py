"""Broken content: a bad file appearing while `healthbot run` watches the content folder leaves the
last good handbook live and tells the admins; a missing folder at start-up is a one-line error."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time

import pytest
from bot_process import REPO, TOKEN, BotProcess

from bot.config import Config
from bot.wiring import build_core
from handbook.content.library import Library
from handbook.dialogue.conversation import Incoming

ADMIN = 4545
WATCH = 5.0  # the bot looks at the content files every 5 s


def answers_fever(tg, user) -> bool:
    tg.send_text(user, "sốt cao phải làm sao")
    [answer] = tg.wait_replies(user.id)
    return "fb:+:fever" in answer.callback_data


def test_broken_files_appearing_while_running_keep_the_last_good_handbook(tg, tmp_path, content_copy):
    bot = BotProcess(tg, tmp_path, admins=str(ADMIN), content=content_copy).start()
    admin = tg.user(ADMIN, "Staff", language_code="en")
    user = tg.user(8001, "Lan", language_code="vi")
    try:
        tg.send_text(admin, "/start")  # the admin's chat with the bot is open
        tg.wait_replies(admin.id, count=2)

        # a file nested 50,000 deep: libyaml's own composer would crash the process (C recursion);
        # ours is refused as content, naming the file
        broken = content_copy / "handbook" / "12-new.yaml"
        broken.write_text("[" * 50_000 + "]" * 50_000, encoding="utf-8")
        [told] = tg.wait_replies(admin.id, timeout=WATCH * 3)
        # the wording may come from us or from the YAML parser; what matters is a located error, not a crash
        assert "12-new.yaml:1: error:" in told.text
        assert answers_fever(tg, user)

        # then a YAML syntax error: refused, the admin is told where (so the watcher is still alive)
        broken.write_text("chapter: new\ntitle: {vi: Mới, en: New\nentries:\n  - id: [oops\n", encoding="utf-8")
        [told] = tg.wait_replies(admin.id, timeout=WATCH * 3)
        assert "12-new.yaml" in told.text and "YAML" in told.text
        assert answers_fever(tg, user)

        broken.unlink()  # fixed: the content is taken up again
        deadline = time.monotonic() + WATCH * 3
        while "content reloaded" not in bot.log() and time.monotonic() < deadline:
            time.sleep(0.2)
        started = re.search(r"ready with (\d+) entries", bot.log()).group(1)
        assert f"content reloaded: {started} entries" in bot.log()  # the whole handbook again
        assert answers_fever(tg, user)
        assert bot.proc.poll() is None
    finally:
        assert bot.stop() == 0, bot.log()
    assert [e for e in tg.errors if e.method != "getUpdates"] == []


def run_without_telegram(tmp_path, content) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:9/bot",
           "HEALTHBOT_DB": str(tmp_path / "healthbot.db"), "HEALTHBOT_CONTENT": str(content)}
    return subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("missing", ["content", "content/handbook"])
def test_a_missing_content_or_handbook_directory_is_a_one_line_error_naming_it(tmp_path, content_copy, missing):
    # guards wiring.build_core's checks: without them the loader's many-line problem list (or a
    # traceback) would be printed instead of one line that says which folder is missing
    target = tmp_path / missing
    shutil.rmtree(target)
    done = run_without_telegram(tmp_path, content_copy if missing != "content" else target)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(target) in lines[0] and "does not exist" in lines[0] and "Traceback" not in done.stderr


class _BrokenLibrary(Library):
    """A library whose reload fails in a way the loader does not foresee."""

    def reload(self):
        raise UnicodeError("a failure nobody planned for")


def test_an_unforeseen_reload_failure_keeps_the_last_good_handbook_and_says_why(tmp_path, content_dir):
    config = Config.from_env({"HEALTHBOT_CONTENT": str(content_dir), "HEALTHBOT_DB": str(tmp_path / "h.db")})
    core = build_core(config=config, with_usage=False)
    core.library.__class__ = _BrokenLibrary
    ok, told = core.reload()
    assert not ok and "UnicodeError" in told and str(content_dir) in told
    reply = core.handle(1, Incoming("text", "sốt cao phải làm sao"))
    assert any(b.data == "fb:+:fever" for m in reply.messages for row in m.keyboard for b in row)
