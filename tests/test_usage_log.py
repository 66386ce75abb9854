"""The usage log: exact anonymous counts, nothing identifying stored, and going on when the file fails."""

import logging
import multiprocessing
import os
import shutil
import sqlite3
import tempfile
import unicodedata
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils
from hypothesis import given
from hypothesis import strategies as st

from handbook.usage.events import Event
from handbook.usage.log import UsageLog, clean_payload, normalise_miss
from handbook.usage.settings_store import SettingsStore

DAY1, DAY2, DAY3 = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)
LAN, MINH, HOA, TUAN = 5012345678, 6023456789, 7034567890, 8045678901
USERNAME, FIRST_NAME = "lan_nguyen_92", "Xuyến"


class Clock:
    def __init__(self, day: date) -> None:
        self.set(day)

    def set(self, day: date, hour: int = 9) -> None:
        self.now = datetime(day.year, day.month, day.day, hour, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def E(name: str, **fields: str) -> Event:
    return Event(name, **fields)


# (user, what they typed or pressed, the events the conversation core reports)
FLIGHTS = "where can I buy cheap flights to Hanoi, call me 090 1234 5678"
DAY1_BEFORE_RESTART = [
    (HOA, "/start poster-osaka", [E("message"), E("start", value="poster-osaka")]),
    (LAN, "tôi bị đau bụng quá từ sáng", [E("message"), E("question", lang="vi", country="jp"),
                                          E("answered", entry="stomach-pain"), E("entry_shown", entry="stomach-pain", via="search")]),
    (LAN, "👍", [E("message"), E("helpful", entry="stomach-pain")]),
    (MINH, "con tôi sốt cao co giật", [E("message"), E("question", lang="vi", country="kr"), E("urgent"),
                                       E("answered", entry="fever"), E("entry_shown", entry="fever", via="search")]),
    (MINH, "[menu: emergency]", [E("message"), E("menu_open", chapter="emergency")]),
    (MINH, "[button: emergency-numbers]", [E("message"), E("entry_shown", entry="emergency-numbers", via="menu")]),
    (HOA, FLIGHTS, [E("message"), E("question", lang="en"), E("no_answer", text=FLIGHTS)]),
    (HOA, "bảo hiểm y tế ở Nhật thế nào", [E("message"), E("question", lang="vi", country="jp"), E("choices")]),
    (HOA, "[choice: health-insurance]", [E("message"), E("entry_shown", entry="health-insurance", via="choice")]),
    (HOA, "👎", [E("message"), E("not_helpful", entry="health-insurance")]),
]
DAY1_AFTER_RESTART = [
    (LAN, "đau răng quá phải làm sao", [E("message"), E("question", lang="vi", country="jp"),
                                        E("answered", entry="dentist"), E("entry_shown", entry="dentist", via="search")]),
    (TUAN, "/start ref0901234567", [E("message"), E("start", value="ref0901234567")]),
]
DAY2_SCRIPT = [
    (LAN, "/emergency", [E("message"), E("emergency")]),
    (MINH, "sốt 39 độ có sao không", [E("message"), E("question", lang="vi", country="kr"),
                                      E("answered", entry="fever"), E("entry_shown", entry="fever", via="search")]),
]
TEXTS = [text for script in (DAY1_BEFORE_RESTART, DAY1_AFTER_RESTART, DAY2_SCRIPT)
         for _, text, _ in script if not text.startswith("[") and len(text) > 2]


def play(log: UsageLog, script: list) -> None:
    for user, _text, events in script:
        log.record(events, user=user)


def rows(path: Path, table: str) -> list[dict]:
    with sqlite_utils.Database(path) as db:
        return list(db[table].rows)


def counts(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "day" and v != 0}


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "healthbot.usage" and r.levelno >= logging.WARNING]


def run_conversation(path: Path, *, record_misses: bool = False) -> Clock:
    clock = Clock(DAY1)
    log = UsageLog(path, clock=clock, record_misses=record_misses)
    play(log, DAY1_BEFORE_RESTART)
    log.close()  # the bot restarts within the day
    log = UsageLog(path, clock=clock, record_misses=record_misses)
    play(log, DAY1_AFTER_RESTART)
    log.flush()
    clock.set(DAY2, hour=1)
    play(log, DAY2_SCRIPT)
    log.close()
    return clock


def test_scripted_conversation_over_two_days_is_counted_exactly(tmp_path: Path) -> None:
    path = tmp_path / "healthbot.db"
    run_conversation(path)
    totals = {row["day"]: counts(row) for row in rows(path, "daily_totals")}
    assert totals == {
        "2026-11-20": {"messages": 12, "starts": 2, "questions": 5, "answered": 3, "choices": 1, "no_answer": 1, "urgent": 1, "users": 4},
        "2026-11-21": {"messages": 2, "questions": 1, "answered": 1, "emergency": 1, "users": 2},
    }
    entries = {(r["day"], r["entry"]): counts(r) for r in rows(path, "daily_entries")}
    assert entries == {
        ("2026-11-20", "stomach-pain"): {"entry": "stomach-pain", "shown": 1, "via_search": 1, "helpful": 1},
        ("2026-11-20", "fever"): {"entry": "fever", "shown": 1, "via_search": 1},
        ("2026-11-20", "emergency-numbers"): {"entry": "emergency-numbers", "shown": 1, "via_menu": 1},
        ("2026-11-20", "health-insurance"): {"entry": "health-insurance", "shown": 1, "via_choice": 1, "not_helpful": 1},
        ("2026-11-20", "dentist"): {"entry": "dentist", "shown": 1, "via_search": 1},
        ("2026-11-21", "fever"): {"entry": "fever", "shown": 1, "via_search": 1},
    }
    assert rows(path, "daily_chapters") == [{"day": "2026-11-20", "chapter": "emergency", "menu_opens": 1}]
    assert sorted((r["day"], r["payload"], r["starts"]) for r in rows(path, "daily_deep_links")) == [
        ("2026-11-20", "poster-osaka", 1), ("2026-11-20", "ref#", 1)]
    assert sorted((r["day"], r["language"], r["questions"]) for r in rows(path, "daily_languages")) == [
        ("2026-11-20", "en", 1), ("2026-11-20", "vi", 4), ("2026-11-21", "vi", 1)]
    assert sorted((r["day"], r["country"], r["questions"]) for r in rows(path, "daily_countries")) == [
        ("2026-11-20", "jp", 3), ("2026-11-20", "kr", 1), ("2026-11-20", "unknown", 1), ("2026-11-21", "kr", 1)]
    assert rows(path, "misses") == []


def test_day_close_reduces_hashes_to_a_count_and_forgets_the_key(tmp_path: Path) -> None:
    path = tmp_path / "healthbot.db"
    clock = run_conversation(path)
    assert {r["day"] for r in rows(path, "daily_user_keys")} == {"2026-11-21"}
    assert len(rows(path, "daily_user_hashes")) == 2
    clock.set(DAY3)
    log = UsageLog(path, clock=clock)
    log.close()
    assert rows(path, "daily_user_keys") == [] and rows(path, "daily_user_hashes") == []
    assert [(r["day"], r["users"]) for r in rows(path, "daily_totals")] == [
        ("2026-11-20", 4), ("2026-11-21", 2)]


@pytest.mark.parametrize("record_misses", [False, True])
def test_database_holds_no_user_id_name_or_message_text(tmp_path: Path, record_misses: bool) -> None:
    path = tmp_path / "healthbot.db"
    settings = SettingsStore(path)
    for user in (LAN, MINH, HOA, TUAN):
        settings.update(user, lang="vi", country="jp")
    run_conversation(path, record_misses=record_misses)
    settings.close()
    needles = [str(u) for u in (LAN, MINH, HOA, TUAN)] + [USERNAME, FIRST_NAME, "0901234567", *TEXTS]
    db = sqlite_utils.Database(path)
    tables = db.table_names()
    assert "user_settings" in tables and "daily_user_hashes" in tables
    for table in tables:
        for row in db[table].rows:
            for column, value in row.items():
                assert value not in (LAN, MINH, HOA, TUAN), (table, column)
                text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                for needle in needles:
                    assert needle.casefold() not in text.casefold(), (table, column, needle)
    db.close()
    for file in tmp_path.iterdir():  # also deleted pages and the write-ahead log, byte by byte
        content = file.read_bytes()
        for needle in needles:
            assert needle.encode() not in content, (file.name, needle)
    misses = [(r["text"], r["count"]) for r in rows(path, "misses")]
    assert misses == ([("where can i buy cheap flights to hanoi call me", 1)] if record_misses else [])


def test_misses_are_normalised_and_aggregated_with_first_and_last_day(tmp_path: Path) -> None:
    path, clock = tmp_path / "healthbot.db", Clock(DAY1)
    log = UsageLog(path, record_misses=True, clock=clock)
    for text in ("Thuốc  cảm 3 ngày mua ở đâu?? mail me lan.nguyen@example.com", "thuốc cảm mua ở đâu @lan_nguyen_92 https://t.me/lan 080-1234-5678"):
        log.record([E("message"), E("no_answer", text=text)], user=LAN)
    clock.set(DAY2)
    log.record([E("no_answer", text="THUỐC CẢM mua ở đâu www.example.com/x")], user=MINH)
    log.record([E("no_answer", text="123 456 !!!")], user=MINH)  # nothing left: not kept
    log.close()
    assert rows(path, "misses") == [
        {"text": "thuốc cảm ngày mua ở đâu mail me", "count": 1, "first_day": "2026-11-20", "last_day": "2026-11-20"},
        {"text": "thuốc cảm mua ở đâu", "count": 2, "first_day": "2026-11-20", "last_day": "2026-11-21"}]


def test_misses_are_deleted_90_days_after_they_were_last_asked(tmp_path: Path) -> None:
    path, clock = tmp_path / "healthbot.db", Clock(DAY1)
    log = UsageLog(path, record_misses=True, clock=clock)
    log.record([E("no_answer", text="old question")], user=LAN)
    log.flush()
    clock.set(DAY1 + timedelta(days=30))
    log.record([E("no_answer", text="newer question")], user=LAN)
    log.flush()
    clock.set(DAY1 + timedelta(days=90))
    log.flush()
    assert [r["text"] for r in rows(path, "misses")] == ["old question", "newer question"]
    clock.set(DAY1 + timedelta(days=91))
    log.flush()
    assert [r["text"] for r in rows(path, "misses")] == ["newer question"]
    log.close()


@pytest.mark.parametrize(("text", "expected"), [
    ("Call 090-1234-5678 or +81 90 1234 5678 now", "call or now"),
    ("ask @bs_tuan or BS.Tuan@benhvien.vn", "ask or"),
    ("xem https://example.com/a?b=1 và www.moh.gov.vn", "xem và"),
    ("Đau   BỤNG!!! 😭", "đau bụng"),
    (unicodedata.normalize("NFD", "Đau bụng"), "đau bụng"),  # decomposed input comes out composed
])
def test_normalise_miss_keeps_words_only(text: str, expected: str) -> None:
    assert normalise_miss(text) == expected


@given(st.text(max_size=200))
def test_normalised_misses_never_hold_digits_handles_or_links(text: str) -> None:
    result = normalise_miss(text)
    assert not any(ch.isdigit() for ch in result) and "@" not in result and "://" not in result and "www." not in result


def test_deep_link_payloads_are_cleaned() -> None:
    payloads = ["poster-osaka-20261120", "ref0901234567", "<script>", "x" * 65]
    assert [clean_payload(p) for p in payloads] == ["poster-osaka-20261120", "ref#", "(invalid)", "(invalid)"]


def test_file_is_wal_with_schema_version_and_reopens_without_change(tmp_path: Path) -> None:
    path = tmp_path / "healthbot.db"
    UsageLog(path).close()
    UsageLog(path).close()
    with sqlite_utils.Database(path) as db:
        assert db.journal_mode == "wal"
        assert list(db["schema_version"].rows) == [{"component": "usage", "version": 2}]


def test_a_file_from_a_newer_healthbot_is_left_alone(tmp_path: Path, caplog) -> None:
    path = tmp_path / "healthbot.db"
    UsageLog(path).close()
    with sqlite_utils.Database(path) as db:
        db["schema_version"].update("usage", {"version": 99})
    log = UsageLog(path, clock=Clock(DAY1))
    log.record([E("message")], user=LAN)
    assert log.flush() is False
    assert len(warnings(caplog)) == 1 and "newer healthbot" in warnings(caplog)[0]
    assert rows(path, "daily_totals") == []
    log.close()


def test_record_never_raises(tmp_path: Path, caplog) -> None:
    log = UsageLog(tmp_path / "healthbot.db", clock=Clock(DAY1))

    def broken_events():
        yield E("message")
        raise RuntimeError("bug in the caller")

    log.record(broken_events(), user=LAN)
    log.record(broken_events(), user=LAN)
    log.record([E("message")], user=None)
    log.close()
    log.record([E("message")], user=LAN)  # after close: ignored
    assert len(warnings(caplog)) == 1


def test_locked_database_warns_once_and_writes_the_counts_later(tmp_path: Path, caplog) -> None:
    path = tmp_path / "healthbot.db"
    log = UsageLog(path, clock=Clock(DAY1), busy_timeout=0.05)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    for user in (LAN, MINH):
        log.record([E("message")], user=user)
        assert log.flush() is False
    assert log.pending == 4
    other.execute("ROLLBACK")
    other.close()
    assert log.flush() is True
    log.close()
    assert len(warnings(caplog)) == 1 and "locked" in warnings(caplog)[0]
    assert [(r["messages"], r["users"]) for r in rows(path, "daily_totals")] == [(2, 2)]


def test_corrupt_file_warns_once_and_counts_wait_until_it_is_moved_aside(tmp_path: Path, caplog) -> None:
    path = tmp_path / "healthbot.db"
    path.write_bytes(b"this is not a SQLite database. " * 200)
    log = UsageLog(path, clock=Clock(DAY1))
    log.record([E("message")], user=LAN)
    assert log.flush() is False
    assert log.flush() is False
    assert len(warnings(caplog)) == 1 and "move the damaged file aside" in warnings(caplog)[0]
    path.rename(tmp_path / "healthbot.db.broken")
    assert log.flush() is True
    log.close()
    assert [(r["messages"], r["users"]) for r in rows(path, "daily_totals")] == [(1, 1)]


def test_file_deleted_while_running_is_made_again_with_the_pending_counts(tmp_path: Path, caplog) -> None:
    path = tmp_path / "healthbot.db"
    log = UsageLog(path, clock=Clock(DAY1))
    log.record([E("message")], user=LAN)
    log.flush()
    log.record([E("message")], user=MINH)
    path.unlink()
    log.record([E("message")], user=HOA)
    assert log.flush() is True
    log.close()
    assert len(warnings(caplog)) == 1 and "deleted" in warnings(caplog)[0]
    assert [(r["messages"], r["users"]) for r in rows(path, "daily_totals")] == [(2, 2)]


def test_missing_folder_warns_once_and_counts_are_written_once_it_exists(tmp_path: Path, caplog) -> None:
    path = tmp_path / "not-mounted-yet" / "healthbot.db"
    log = UsageLog(path, clock=Clock(DAY1))
    log.record([E("message")], user=LAN)
    assert log.flush() is False
    path.parent.mkdir()
    assert log.flush() is True
    log.close()
    assert len(warnings(caplog)) == 1 and "not-mounted-yet" in warnings(caplog)[0]
    assert rows(path, "daily_totals")[0]["messages"] == 1


def _read_only_scenario(folder: str) -> dict:
    """Runs as a user without root's power to ignore file permissions."""
    messages: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("healthbot.usage").addHandler(handler)
    path = Path(folder) / "healthbot.db"
    UsageLog(path).close()
    path.chmod(0o444)
    log = UsageLog(path, clock=Clock(DAY1), busy_timeout=0.05)
    log.record([E("message")], user=LAN)
    results = [log.flush(), log.flush()]
    for file in Path(folder).iterdir():  # the -wal and -shm files were made read-only too
        file.chmod(0o644)
    results.append(log.flush())
    log.close()
    return {"flushes": results, "warnings": messages}


def run_unprivileged(scenario, folder: str) -> dict:
    if os.geteuid() != 0:
        return scenario(folder)
    os.chown(folder, 65534, 65534)  # nobody
    context = multiprocessing.get_context("fork")
    queue = context.Queue()

    def child() -> None:
        try:
            os.setgid(65534)
            os.setuid(65534)
            queue.put(scenario(folder))
        except BaseException as exc:  # reported to the parent
            queue.put({"error": repr(exc)})

    process = context.Process(target=child)
    process.start()
    result = queue.get(timeout=60)
    process.join(timeout=60)
    if "error" in result:
        pytest.skip(f"cannot drop root privileges to test a read-only file: {result['error']}")
    return result


def test_read_only_file_warns_once_and_counts_are_written_once_writable() -> None:
    folder = tempfile.mkdtemp(prefix="healthbot-readonly-")
    try:
        os.chmod(folder, 0o755)
        result = run_unprivileged(_read_only_scenario, folder)
        assert result["flushes"] == [False, False, True]
        assert len(result["warnings"]) == 1 and "-wal and -shm" in result["warnings"][0]
        assert [(r["messages"], r["users"]) for r in rows(Path(folder) / "healthbot.db", "daily_totals")] == [(1, 1)]
    finally:
        shutil.rmtree(folder)


def _writer(path: str, first_user: int, barrier) -> None:
    log = UsageLog(path, clock=lambda: datetime(2026, 11, 20, 12, tzinfo=UTC), busy_timeout=10)
    barrier.wait()
    for i in range(300):
        # 50 users write to both processes, and 50 more to each one
        user = i % 100 if i % 2 else first_user + i % 100
        log.record([E("message"), E("entry_shown", entry="fever", via="search")], user=user)
        if i % 10 == 0:
            log.flush()
    log.close()


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "healthbot.db"
    UsageLog(path).close()
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    writers = [context.Process(target=_writer, args=(str(path), first, barrier)) for first in (1000, 2000)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=60)
        assert process.exitcode == 0
    assert [(r["messages"], r["users"]) for r in rows(path, "daily_totals")] == [(600, 150)]
    assert rows(path, "daily_entries")[0]["shown"] == 600
