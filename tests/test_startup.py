"""Start-up without Telegram: one clear line, growing pauses, no traceback; a rejected token ends it
with one line; SIGTERM while waiting stops at once. A bad HEALTHBOT_LOG_LEVEL is refused by name."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bot_process import REPO, TOKEN, BotProcess, free_port
from support.fake_telegram import FakeTelegram

from bot import startup
from bot.config import ConfigError
from bot.logs import log_level


class Unreachable:
    """A check() that fails `times` times, then answers."""

    def __init__(self, times: int):
        self.left = times

    def __call__(self, token, api_url):
        if self.left:
            self.left -= 1
            return "ConnectError: Connection refused"
        return None


def test_pauses_double_from_one_second_up_to_a_minute():
    schedule = startup.pauses()
    assert [next(schedule) for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_waiting_says_one_line_when_telegram_is_away_and_one_when_it_answers(caplog):
    waits: list[float] = []
    with caplog.at_level(logging.INFO, logger="healthbot.startup"):
        startup.wait_for_telegram(TOKEN, None, check=Unreachable(4), wait=waits.append)
    assert waits == [1, 2, 4, 8]
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "cannot be reached" in lines[0] and "reached after" in lines[1]
    assert TOKEN not in caplog.text


def test_a_long_wait_reminds_every_few_minutes_not_every_try(caplog):
    now = [0.0]

    def wait(seconds: float) -> None:
        now[0] += seconds

    with caplog.at_level(logging.INFO, logger="healthbot.startup"):
        startup.wait_for_telegram(TOKEN, None, check=Unreachable(60), wait=wait, clock=lambda: now[0])
    assert now[0] > 3000  # about an hour of tries at one a minute
    still = [r for r in caplog.records if "still cannot" in r.getMessage()]
    assert 5 <= len(still) <= 15


def test_a_rejected_token_is_not_waited_for():
    def rejected(token, api_url):
        raise startup.TokenRejected(401)

    waits: list[float] = []
    with pytest.raises(startup.TokenRejected):
        startup.wait_for_telegram(TOKEN, None, check=rejected, wait=waits.append)
    assert waits == []


def test_the_probe_reports_a_closed_port_without_the_token():
    why = startup.probe(TOKEN, f"http://127.0.0.1:{free_port()}/bot", timeout=5)
    assert why and "Error" in why and TOKEN not in why


# --- the real `healthbot run` -------------------------------------------------------------------


def _launch(bot: BotProcess) -> subprocess.Popen:
    log = open(bot.log_path, "a")
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=REPO, env=bot.env, stdout=log, stderr=subprocess.STDOUT)


def _wait_for(check, proc: subprocess.Popen, bot: BotProcess, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if proc.poll() is not None:
            raise AssertionError(f"healthbot run exited with {proc.returncode} before {what}:\n{bot.log()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"no {what} within {timeout} s:\n{bot.log()}")
        time.sleep(0.05)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def test_the_bot_waits_for_a_telegram_that_comes_up_late(tmp_path):
    tg = FakeTelegram(token=TOKEN, port=free_port())  # not listening yet: the network is not up
    bot = BotProcess(tg, tmp_path)
    proc = _launch(bot)
    try:
        _wait_for(lambda: "cannot be reached" in bot.log(), proc, bot, "line saying Telegram cannot be reached")
        time.sleep(1.5)  # a retry or two against the closed port
        tg.start()
        _wait_for(lambda: tg.calls_to("getUpdates"), proc, bot, "polling once Telegram is up")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, bot.log()
    finally:
        if proc.poll() is None:
            proc.kill()
        tg.stop()
    out = bot.log()
    assert "Traceback" not in out and TOKEN not in out
    assert sum("cannot be reached" in line for line in _lines(out)) == 1
    assert len(_lines(out)) <= 8, out


def test_sigterm_while_telegram_is_away_stops_the_bot_at_once(tmp_path):
    tg = FakeTelegram(token=TOKEN, port=free_port())  # never started
    bot = BotProcess(tg, tmp_path)
    proc = _launch(bot)
    try:
        _wait_for(lambda: "cannot be reached" in bot.log(), proc, bot, "line saying Telegram cannot be reached")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0 and "Traceback" not in bot.log(), bot.log()


def test_a_token_telegram_rejects_ends_the_start_with_one_line(tmp_path):
    with FakeTelegram(token="654321:another-token-abcdefghijklmnopqrstuv") as tg:  # answers 401 to our token
        bot = BotProcess(tg, tmp_path)
        proc = _launch(bot)
        try:
            code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    out = _lines(bot.log())
    assert code != 0 and len(out) == 1, out
    assert "refused the token" in out[0] and "@BotFather" in out[0] and TOKEN not in out[0]


def test_an_unknown_log_level_is_refused_naming_the_allowed_ones(tmp_path: Path):
    env = dict(BotProcess(FakeTelegram(token=TOKEN), tmp_path).env, HEALTHBOT_LOG_LEVEL="bogus")
    done = subprocess.run([sys.executable, "-m", "bot.cli", "run"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert _lines(done.stderr) == ["healthbot: HEALTHBOT_LOG_LEVEL='bogus' is not a log level: use one of DEBUG, INFO, WARNING, ERROR (default INFO)"]


@pytest.mark.parametrize(("text", "level"), [(None, logging.INFO), ("", logging.INFO), ("debug", logging.DEBUG), (" WARNING ", logging.WARNING)])
def test_log_levels_in_any_case(text, level):
    assert log_level({} if text is None else {"HEALTHBOT_LOG_LEVEL": text}) == level


def test_a_misspelt_log_level_is_a_config_error():
    with pytest.raises(ConfigError, match="DEBUG, INFO, WARNING, ERROR"):
        log_level({"HEALTHBOT_LOG_LEVEL": "verbose"})
