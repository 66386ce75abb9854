"""Start and stop the real `healthbot run` process against the fake Bot API server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    """`healthbot run` as a subprocess; output captured to a file for assertions."""

    def __init__(self, tg, tmp: Path, *, admins: str = "", content: Path | None = None, args: tuple[str, ...] = (),
                 extra_env: dict[str, str] | None = None, preexec_fn=None):
        self.tg, self.tmp, self.args, self.preexec_fn = tg, tmp, args, preexec_fn
        self.env = dict(os.environ, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.api_url,
                        HEALTHBOT_DB=str(tmp / "healthbot.db"), HEALTHBOT_ADMINS=admins, PYTHONUNBUFFERED="1")
        if content:
            self.env["HEALTHBOT_CONTENT"] = str(content)
        self.env.update(extra_env or {})
        self.proc: subprocess.Popen | None = None
        self.log_path = tmp / "bot.log"
        self.starts = 0

    def start(self, *, wait_for: str = "getUpdates") -> BotProcess:
        self.starts += 1
        calls_before = len(self.tg.calls_to(wait_for))
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run", *self.args], cwd=REPO, env=self.env,
                                     stdout=log, stderr=subprocess.STDOUT, preexec_fn=self.preexec_fn)
        deadline = time.monotonic() + 30
        while len(self.tg.calls_to(wait_for)) <= calls_before:
            if self.proc.poll() is not None:
                raise AssertionError(f"healthbot run exited with {self.proc.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"healthbot run did not start:\n{self.log()}")
            time.sleep(0.05)
        return self

    def stop(self) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc = None
        return code

    def restart(self) -> BotProcess:
        assert self.stop() == 0, self.log()
        return self.start()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""
