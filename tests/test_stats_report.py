"""`healthbot stats`: figures read from the usage log for a range of days, and the report in table,
csv, json and html (rendered in headless Chromium when it is installed)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import sqlite3
import struct
import subprocess
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.stats_cli import add_stats_parser, run_stats
from handbook.usage.events import Event
from handbook.usage.log import UsageLog, normalise_miss
from handbook.usage.report import render
from handbook.usage.settings_store import SettingsStore
from handbook.usage.stats import StatsError, read_stats

DAY1, DAY2, DAY3 = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)
ENTRY_IDS = ["stomach-pain", "fever", "dentist", "emergency-numbers"]
REQUIRED_KEYS = {"totals", "entries", "never_reached", "days", "languages", "countries",
                 "deep_links", "chapters"}


def E(name: str, **fields: str) -> Event:
    return Event(name, **fields)


def at(day: date):
    return lambda: datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def answered(entry: str, lang: str = "vi", country: str | None = "jp") -> list[Event]:
    return [E("message"), E("question", lang=lang, country=country), E("answered", entry=entry),
            E("entry_shown", entry=entry, via="search")]


def write_log(path: Path) -> None:
    """Day 1: three questions from two people; day 2: nobody; day 3: one person."""
    log = UsageLog(path, clock=at(DAY1), record_misses=True, miss_filter=normalise_miss)
    log.record(answered("stomach-pain"), user=1)
    log.record(answered("fever", country="kr") + [E("urgent")], user=2)
    log.record([E("message"), E("question", lang="en"), E("no_answer", text="cheap flights")], user=1)
    log.record([E("message"), E("helpful", entry="fever")], user=2)
    log.close()
    log = UsageLog(path, clock=at(DAY3), record_misses=True, miss_filter=normalise_miss)
    log.record([E("message"), E("start", value="clinic-qr")], user=3)
    log.record([E("message"), E("menu_open", chapter="emergency"),
                E("entry_shown", entry="fever", via="menu")], user=3)
    log.record([E("message"), E("question", lang="vi", country="jp"), E("choices")], user=3)
    log.record([E("message"), E("not_helpful", entry="fever")], user=3)
    log.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "healthbot.db"
    write_log(path)
    return path


def test_stats_have_the_documented_keys_and_exact_figures(db: Path) -> None:
    stats = read_stats(db, entry_ids=ENTRY_IDS)
    assert REQUIRED_KEYS | {"period"} == set(stats)
    assert stats["totals"] == {"messages": 8, "starts": 1, "questions": 4, "answered": 2,
                               "choices": 1, "no_answer": 1, "urgent": 1, "emergency": 0,
                               "smalltalk": 0, "alternatives_chosen": 0, "helpful": 1, "not_helpful": 1, "menu_opens": 1, "users": 3,
                               "share_answered": 0.5}
    assert stats["entries"] == [
        {"id": "fever", "shown": 2, "helpful": 1, "not_helpful": 1, "via": {"search": 1, "menu": 1}},
        {"id": "stomach-pain", "shown": 1, "helpful": 0, "not_helpful": 0, "via": {"search": 1}},
    ]
    assert stats["never_reached"] == ["dentist", "emergency-numbers"]
    assert [(d["day"], d["questions"], d["users"]) for d in stats["days"]] == [
        ("2026-11-20", 3, 2), ("2026-11-21", 0, 0), ("2026-11-22", 1, 1)]
    assert set(stats["days"][0]) >= {"day", "questions", "users", "answered", "no_answer"}
    assert stats["languages"] == {"vi": 3, "en": 1}
    assert stats["countries"] == {"jp": 2, "kr": 1, "unknown": 1}
    assert stats["deep_links"] == {"clinic-qr": 1}
    assert stats["chapters"] == {"emergency": 1}


def test_a_day_range_limits_every_figure(db: Path) -> None:
    stats = read_stats(db, since=DAY2, until=DAY3, entry_ids=ENTRY_IDS)
    assert stats["period"] == {"since": "2026-11-21", "until": "2026-11-22"}
    assert (stats["totals"]["questions"], stats["totals"]["users"]) == (1, 1)
    assert stats["totals"]["share_answered"] == 0.0
    assert [e["id"] for e in stats["entries"]] == ["fever"]
    assert stats["never_reached"] == ["stomach-pain", "dentist", "emergency-numbers"]
    assert [d["day"] for d in stats["days"]] == ["2026-11-22"]
    assert stats["languages"] == {"vi": 1}


def test_misses_are_listed_only_on_request(db: Path) -> None:
    assert "misses" not in read_stats(db)
    assert read_stats(db, misses=True)["misses"] == [
        {"text": "cheap flights", "count": 1, "first_day": "2026-11-20", "last_day": "2026-11-20"}]
    assert read_stats(db, since=DAY2, misses=True)["misses"] == []


def test_stats_read_while_the_bot_holds_a_write_transaction(db: Path) -> None:
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE daily_totals SET questions = questions + 100")
    assert read_stats(db)["totals"]["questions"] == 4  # not blocked, and sees committed data only
    writer.execute("COMMIT")
    writer.close()
    assert read_stats(db)["totals"]["questions"] == 204  # + 100 on each of the two days


def test_a_database_without_counts_gives_zeros(tmp_path: Path) -> None:
    path = tmp_path / "healthbot.db"
    SettingsStore(path).close()  # only the settings tables exist
    stats = read_stats(path, entry_ids=ENTRY_IDS, misses=True)
    assert stats["totals"]["questions"] == 0 and stats["totals"]["share_answered"] is None
    assert stats["never_reached"] == ENTRY_IDS and stats["days"] == [] and stats["misses"] == []
    for fmt in ("table", "csv", "json", "html"):
        assert render(stats, fmt)


def test_missing_database_and_reversed_range_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(StatsError, match="no database at .*HEALTHBOT_DB"):
        read_stats(tmp_path / "nowhere.db")
    with pytest.raises(StatsError, match="swap them"):
        read_stats(tmp_path / "nowhere.db", since=DAY3, until=DAY1)
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"not a database " * 100)
    with pytest.raises(StatsError, match="not damaged"):
        read_stats(damaged)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="healthbot")
    add_stats_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["stats", *argv])


def test_cli_prints_json_for_the_days_asked(db: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HEALTHBOT_DB", str(db))
    assert run_stats(parse("--since", "2026-11-22", "--format", "json"), entry_ids=ENTRY_IDS) == 0
    stats = json.loads(capsys.readouterr().out)
    assert REQUIRED_KEYS <= set(stats) and stats["totals"]["questions"] == 1


def test_json_without_a_range_names_the_first_and_last_day_with_data(db: Path, capsys) -> None:
    assert run_stats(parse("--db", str(db), "--format", "json"), entry_ids=ENTRY_IDS) == 0
    assert json.loads(capsys.readouterr().out)["period"] == {"since": "2026-11-20", "until": "2026-11-22"}


def test_an_open_end_of_the_range_is_the_day_with_data_and_an_asked_end_is_kept(db: Path) -> None:
    assert read_stats(db, since=DAY2)["period"] == {"since": "2026-11-21", "until": "2026-11-22"}
    assert read_stats(db, until=DAY2)["period"] == {"since": "2026-11-20", "until": "2026-11-21"}


def test_a_database_without_counts_has_no_period(tmp_path: Path) -> None:
    UsageLog(tmp_path / "empty.db").close()
    assert read_stats(tmp_path / "empty.db")["period"] == {"since": None, "until": None}


def test_cli_accepts_the_last_n_days(db: Path, capsys) -> None:
    args = parse("--db", str(db), "--since", "2d", "--format", "json")
    assert run_stats(args, entry_ids=ENTRY_IDS, today=DAY3) == 0
    assert json.loads(capsys.readouterr().out)["period"]["since"] == "2026-11-21"


@pytest.mark.parametrize(("argv", "message"), [
    (["--since", "20-11-2026"], "--since '20-11-2026' is not a day: write it as YYYY-MM-DD"),
    (["--until", "yesterday"], "--until 'yesterday' is not a day"),
    (["--since", "2026-11-22", "--until", "2026-11-20"], "swap them"),
])
def test_cli_bad_days_exit_2_with_one_line(db: Path, argv, message, capsys) -> None:
    assert run_stats(parse("--db", str(db), *argv), entry_ids=ENTRY_IDS) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("healthbot stats: ")


def test_cli_missing_database_exits_2_naming_the_variable(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("HEALTHBOT_DB", str(tmp_path / "missing.db"))
    assert run_stats(parse(), entry_ids=ENTRY_IDS) == 2
    err = capsys.readouterr().err
    assert "missing.db" in err and "HEALTHBOT_DB" in err and err.count("\n") == 1


def test_cli_writes_the_output_file(db: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "report.html"
    assert run_stats(parse("--db", str(db), "--format", "html", "--output", str(out), "--misses"),
                     entry_ids=ENTRY_IDS) == 0
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    bad = parse("--db", str(db), "--output", str(tmp_path / "no-such-folder" / "r.csv"))
    assert run_stats(bad, entry_ids=ENTRY_IDS) == 2
    assert "choose another --output" in capsys.readouterr().err


def test_table_and_csv_carry_the_figures(db: Path) -> None:
    stats = read_stats(db, entry_ids=ENTRY_IDS, misses=True)
    table = render(stats, "table")
    assert "share answered directly: 50.0%" in table and "cheap flights" in table
    assert "dentist, emergency-numbers" in table
    rows = list(csv.DictReader(io.StringIO(render(stats, "csv"))))
    assert {"section": "totals", "name": "", "metric": "questions", "value": "4"} in rows
    assert {"section": "entry", "name": "fever", "metric": "via_menu", "value": "1"} in rows
    assert {"section": "day", "name": "2026-11-21", "metric": "users", "value": "0"} in rows
    assert {"section": "deep_links", "name": "clinic-qr", "metric": "starts", "value": "1"} in rows


def test_html_escapes_every_string_and_loads_nothing_from_outside(db: Path) -> None:
    stats = read_stats(db, entry_ids=ENTRY_IDS, misses=True)
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    stats["entries"][0]["id"] = evil
    stats["deep_links"] = {evil: 3}
    stats["languages"] = {evil: 2}
    stats["misses"][0]["text"] = evil
    stats["never_reached"].append(evil)
    html = render(stats, "html")
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img" in html
    assert "://" not in html and "src=" not in html.replace("src=x", "")
    assert html.count("<svg") == 4  # days, top entries, languages, countries


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) into pixel rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data[pos + 8:pos + 21])
        elif kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw, stride, prev, rows = zlib.decompress(idat), width * bpp, bytearray(width * bpp), []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 2:
            line = bytearray((x + up) & 255 for x, up in zip(line, prev))
        elif kind in (1, 3, 4):
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                if kind == 1:
                    line[i] = (line[i] + a) & 255
                elif kind == 3:
                    line[i] = (line[i] + (a + b) // 2) & 255
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([bytes(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def busy_stats(path: Path) -> dict:
    for offset in range(14):
        log = UsageLog(path, clock=at(DAY1 + timedelta(days=offset)))
        for user in range(3 + offset * 7 % 11):
            entry = ENTRY_IDS[(user + offset) % 3]
            feedback = [E("helpful", entry=entry)] if user % 4 == 0 else [E("not_helpful", entry=entry)] if user % 5 == 1 else []
            log.record(answered(entry, lang="en" if user % 3 else "vi", country=("jp", "kr", None)[user % 3]) + feedback, user=user)
        log.close()
    return read_stats(path, entry_ids=ENTRY_IDS)


def test_html_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium): "
                    "the HTML report was not rendered")
    report, png = tmp_path / "report.html", tmp_path / "report.png"
    report.write_text(render(busy_stats(tmp_path / "healthbot.db"), "html"), encoding="utf-8")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}",
                    "--window-size=1200,1600", report.as_uri()],
                   check=True, capture_output=True, timeout=120)
    width, height, rows = png_pixels(png.read_bytes())
    assert (width, height) == (1200, 1600)
    pixels = [pixel for row in rows[::4] for pixel in row[::4]]
    background = pixels[0]
    assert len(set(pixels)) > 50, "the screenshot is (nearly) blank"
    assert sum(p != background for p in pixels) > len(pixels) // 10
    for name, colour in (("question bars", "#2563eb"), ("users line", "#f97316"),
                         ("entry bars", "#16a34a")):
        assert bytes.fromhex(colour[1:]) in set(pixels), f"no {name} ({colour}) in the screenshot"
