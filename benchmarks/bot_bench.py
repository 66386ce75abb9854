"""The bot end to end: simulated users talking to the real `healthbot run` through the loopback Bot API.

The fake server (tests/support/fake_telegram.py) runs in this process; a subclass stamps every reply
the bot sends (``_bot_reply``) with ``time.perf_counter()`` in the server thread. Each simulated user
is a thread: /start, then questions, one at a time (the next goes out once the previous one is fully
answered), at most one message per ``interval`` seconds so that the bot's per-user flood gate (burst
10, then 2 per second) is not what is measured.

A message can be answered with several messages (greeting + country choice + menu, a long answer in
parts). Before the load, calibration users send every distinct text once, quietly, and count its reply
messages; under load a message is complete when that many replies have arrived. Latency is from just
before the update is created to the first reply (and to the last part). A message with no reply
within ``reply_timeout`` is lost; one with some but not all parts is incomplete.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .search_bench import percentile

REPO = Path(__file__).resolve().parent.parent


class Skip(Exception):
    """The bot benchmark cannot run here; the message says why."""


def _fake_class():
    tests = str(REPO / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    try:
        from support.fake_telegram import FakeTelegram
    except Exception as exc:  # noqa: BLE001 - any import problem means: skip, saying why
        raise Skip(f"the loopback Bot API server (tests/support/fake_telegram.py) cannot be imported: {exc!r}") from None
    if not hasattr(FakeTelegram, "_bot_reply"):
        raise Skip("tests/support/fake_telegram.py has no _bot_reply hook to time replies with")

    class TimedTelegram(FakeTelegram):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.stamps: dict[int, list[float]] = defaultdict(list)
            self._conds: dict[int, threading.Condition] = {}
            self._conds_lock = threading.Lock()

        def cond(self, chat_id: int) -> threading.Condition:
            with self._conds_lock:
                return self._conds.setdefault(chat_id, threading.Condition())

        def _bot_reply(self, method, params, message):
            out = super()._bot_reply(method, params, message)
            chat_id = message["chat"]["id"]
            cond = self.cond(chat_id)
            with cond:
                self.stamps[chat_id].append(time.perf_counter())
                cond.notify_all()
            return out

        def count(self, chat_id: int) -> int:
            with self.cond(chat_id):
                return len(self.stamps[chat_id])

        def wait_count(self, chat_id: int, n: int, timeout: float) -> bool:
            cond = self.cond(chat_id)
            with cond:
                return cond.wait_for(lambda: len(self.stamps[chat_id]) >= n, timeout)

        def wait_quiet(self, chat_id: int, quiet: float, timeout: float) -> int:
            """Wait until no reply has come for `quiet` seconds; the number of replies then."""
            deadline = time.perf_counter() + timeout
            cond = self.cond(chat_id)
            with cond:
                while True:
                    n = len(self.stamps[chat_id])
                    cond.wait(min(quiet, max(0.0, deadline - time.perf_counter())))
                    if len(self.stamps[chat_id]) == n or time.perf_counter() >= deadline:
                        return len(self.stamps[chat_id])

    return TimedTelegram


def _command() -> list[str]:
    exe = shutil.which("healthbot") or str(Path(sys.executable).with_name("healthbot"))
    return [exe, "run"] if Path(exe).exists() else [sys.executable, "-m", "bot.cli", "run"]


def _vm(pid: int, key: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _start_bot(tg, workdir: Path, timeout: float) -> tuple[subprocess.Popen, float, Path]:
    env = dict(os.environ)
    env.update(TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_API_URL=tg.api_url, HEALTHBOT_DB=str(workdir / "bench.db"),
               HEALTHBOT_CONTENT=str(REPO / "content"))
    env.pop("HEALTHBOT_ADMINS", None)
    log = workdir / "bot.log"
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(_command(), env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-6:]
            raise Skip(f"`healthbot run` exited with code {proc.returncode} at start-up: " + " | ".join(tail))
        if tg.calls_to("getUpdates"):
            return proc, time.perf_counter() - t0, log
        time.sleep(0.05)
    _stop(proc)
    raise Skip(f"`healthbot run` did not poll for updates within {timeout:.0f} s")


def _stop(proc: subprocess.Popen) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
            return None
    return proc.returncode


def _calibrate(tg, texts: list[str], users: int, quiet: float) -> dict:
    """Reply messages per distinct text (after a /start), sent by quiet users one text at a time;
    also the latency of the first reply when the bot is nearly idle."""
    distinct = list(dict.fromkeys(texts))
    chunks = [distinct[i::users] for i in range(users)]
    counts: dict[str, int] = {}
    silent: list[str] = []
    first: list[float] = []

    def one(k: int) -> None:
        user = tg.user(900_000 + k, f"Calib{k}", language_code="vi")
        for text in ["/start", *chunks[k]]:
            before = tg.count(user.id)
            t0 = time.perf_counter()
            tg.send_text(user, text)
            if not tg.wait_count(user.id, before + 1, 15):
                silent.append(text)
                continue
            first.append(tg.stamps[user.id][before] - t0)
            counts[text] = tg.wait_quiet(user.id, quiet, 15) - before
            time.sleep(0.5)  # stay well under the flood gate

    with ThreadPoolExecutor(users) as pool:
        list(pool.map(one, range(len(chunks))))
    return {"counts": counts, "silent": silent, "first": first, "users": len(chunks)}


def run_bot(texts: list[str], *, messages: int = 2000, users: int = 50, interval: float = 0.6, light_messages: int = 500,
            light_interval: float = 2.5, reply_timeout: float = 30.0, start_timeout: float = 30.0, seed: int = 6, log=print,
            flooders: int = 20, flood_messages: int = 200) -> dict:
    """Figures for the bot; raises Skip when the bot cannot be started here.

    Three phases: calibration (nearly idle), the main run (`messages` from `users`, at most one per
    `interval` seconds each: more than the 30 messages a second Telegram allows a bot, so it shows the
    capacity), and a lighter run below that limit (`light_messages`, one per `light_interval` seconds
    per user), which shows the latency a user sees on an ordinary busy day."""
    Timed = _fake_class()
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="healthbot-bench-bot-") as tmp, Timed() as tg:
        proc, ready_s, logfile = _start_bot(tg, Path(tmp), start_timeout)
        try:
            cal = _calibrate(tg, texts, users=min(10, users), quiet=0.4)
            counts, silent = cal["counts"], cal["silent"]
            pool = [t for t in dict.fromkeys(texts) if t in counts]
            if "/start" not in counts or not pool:
                raise Skip(f"the bot did not answer during calibration ({len(silent)} texts without a reply)")
            log(f"  bot ready in {ready_s:.2f} s; calibrated {len(counts)} texts ({len(silent)} without reply)")
            phases = []
            for base, total, gap in ((1_000_000, messages, interval), (2_000_000, light_messages, light_interval)):
                if total <= 0:
                    continue
                n = max(1, total // users)
                plans = [["/start", *(rng.choice(pool) for _ in range(n - 1))] for _ in range(users)]
                log(f"  {sum(map(len, plans))} messages from {users} users, one per {gap} s at most")
                phase = _load(tg, plans, counts, gap, reply_timeout, base)
                time.sleep(1.0)  # late or duplicate replies
                received = sum(tg.count(base + u) for u in range(users))
                phase["received_minus_expected"] = received - phase["reply_messages"]  # > 0: extra replies
                phase["interval_s"] = gap
                phases.append(phase)
            result = phases[0]
            if len(phases) > 1:
                result["light"] = phases[1]
            if flooders > 0:
                time.sleep(2.0)
                result["flood"] = _flood(tg, pool[0], flooders, flood_messages)
                f = result["flood"]
                log(f"  flood: {flooders} accounts x {flood_messages} messages; an ordinary user's answer after "
                    f"{f['ordinary_wait_s']} s; replies per flooder {f['flooder_replies_min']}-{f['flooder_replies_max']}")
        finally:
            hwm, rss = _vm(proc.pid, "VmHWM"), _vm(proc.pid, "VmRSS")
            code = _stop(proc)
        errors = [e for e in tg.errors if e.method != "getUpdates"]
    result.update(
        ready_s=round(ready_s, 3), calibrated_texts=len(counts), calibration_silent=len(silent), silent_examples=silent[:5],
        peak_rss_mb=round(hwm, 1) if hwm else None, rss_end_mb=round(rss, 1) if rss else None, exit_code=code,
        api_errors=len(errors), api_error_examples=[f"{e.method} {e.status} {e.description[:80]}" for e in errors[:5]],
        users=users,
        idle={"users": cal["users"], "messages": len(cal["first"]) + len(silent), "answered": len(cal["first"]), "lost": len(silent),
              "p50_ms": round(percentile(cal["first"], 50) * 1000, 1), "p99_ms": round(percentile(cal["first"], 99) * 1000, 1)},
    )
    return result


def _flood(tg, question: str, flooders: int, per_flooder: int) -> dict:
    """`flooders` accounts send `per_flooder` messages each as fast as the server takes them; halfway,
    an ordinary user asks `question`. How long that user waits for the first reply, and how many
    replies each flooder got (its allowance: a burst of 10, 20 waiting, 2 a second, one notice)."""
    accounts = [tg.user(3_000_000 + k, f"Flood{k}", language_code="vi") for k in range(flooders)]
    ordinary = tg.user(3_900_000, "Ordinary", language_code="vi")
    t_start = time.perf_counter()
    asked = None
    for n in range(per_flooder):
        for account in accounts:
            tg.send_text(account, f"giá vàng hôm nay {n}")
        if n == per_flooder // 2:
            asked = time.perf_counter()
            tg.send_text(ordinary, question)
    sending = time.perf_counter() - t_start
    answered = tg.wait_count(ordinary.id, 1, 30)
    wait = tg.stamps[ordinary.id][0] - asked if answered else None
    time.sleep(2.0)
    counts = [tg.count(a.id) for a in accounts]
    return {"flooders": flooders, "messages_each": per_flooder, "sending_s": round(sending, 2),
            "ordinary_wait_s": round(wait, 2) if wait is not None else None,
            "flooder_replies_min": min(counts), "flooder_replies_max": max(counts),
            "seconds": round(time.perf_counter() - t_start, 1)}


def _load(tg, plans: list[list[str]], counts: dict[str, int], interval: float, reply_timeout: float, base: int) -> dict:
    first: list[float] = []
    full: list[float] = []
    lost: list[str] = []
    incomplete: list[str] = []
    lock = threading.Lock()
    t_start = time.perf_counter()

    def user_run(k: int) -> None:
        user = tg.user(base + k, f"User{k}", language_code="vi")  # as the calibration users
        jitter = random.Random(k)
        time.sleep(jitter.uniform(0, interval))
        for text in plans[k]:
            due = time.perf_counter() + interval * jitter.uniform(1.0, 1.5)
            before = tg.count(user.id)
            t0 = time.perf_counter()
            tg.send_text(user, text)
            want = before + counts[text]
            done = tg.wait_count(user.id, want, reply_timeout)
            stamps = tg.stamps[user.id]
            with lock:
                if len(stamps) > before:
                    first.append(stamps[before] - t0)
                if done:
                    full.append(stamps[want - 1] - t0)
                elif len(stamps) > before:
                    incomplete.append(text)
                else:
                    lost.append(text)
            time.sleep(max(0.0, due - time.perf_counter()))

    with ThreadPoolExecutor(len(plans)) as pool:
        list(pool.map(user_run, range(len(plans))))
    t_last = max((s[-1] for u in range(len(plans)) if (s := tg.stamps.get(base + u))), default=time.perf_counter())
    wall = max(t_last - t_start, 1e-9)
    sent = sum(len(p) for p in plans)
    reply_messages = sum(counts[t] for p in plans for t in p)
    return {
        "messages": sent, "answered": len(first), "lost": len(lost), "incomplete": len(incomplete), "lost_examples": lost[:5],
        "reply_messages": reply_messages, "wall_s": round(wall, 2),
        "messages_per_s": round(len(full) / wall, 1), "replies_per_s": round(sum(len(tg.stamps.get(base + u, [])) for u in range(len(plans))) / wall, 1),
        "p50_ms": round(percentile(first, 50) * 1000, 1), "p99_ms": round(percentile(first, 99) * 1000, 1),
        "p50_full_ms": round(percentile(full, 50) * 1000, 1), "p99_full_ms": round(percentile(full, 99) * 1000, 1),
    }
