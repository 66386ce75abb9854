"""Opt-in misses keep only the words the handbook or the lexicon knows: names, addresses and numbers
(in digits or spelled out) never reach the disk; counts per day and text, capped per day."""

from __future__ import annotations

import sqlite3

import pytest

from bot.config import Config
from bot.wiring import build_core
from handbook.dialogue.conversation import Incoming
from handbook.usage import log as usage_log
from handbook.usage.misses import MASK, MissFilter

PERSONAL = [
    ("tôi tên là Nguyễn Văn Hùng nhà ở 12 ngõ 5 phố Hàng Bạc, giá vàng hôm nay",
     ["nguyễn", "hùng", "hàng", "bạc", "12", "ngõ 5"], ["hôm nay"]),
    ("tôi tên là nguyễn văn hùng nhà ở ngõ năm phố hàng bạc quận hoàn kiếm",
     ["nguyễn", "hùng", "hàng bạc", "hoàn kiếm", "năm"], ["tôi"]),
    ("my name is John Smith I live at 42 Baker Street, call me on zero nine zero one two three",
     ["john", "smith", "baker", "42", "zero", "nine", "one two"], ["name"]),
    ("số của tôi là không chín không một hai ba bốn năm sáu bảy, gọi cho tôi",
     ["không chín", "một hai", "bốn năm", "sáu bảy"], ["tôi"]),
    ("email me at lan.nguyen@example.com or @lan_vn, www.lan.example/x", ["lan", "nguyen", "example"], ["me"]),
]


@pytest.fixture(scope="module")
def keep(loaded) -> MissFilter:
    return MissFilter.of(loaded.handbook, loaded.lexicon)


@pytest.mark.parametrize(("text", "gone", "kept"), PERSONAL)
def test_names_addresses_and_numbers_are_masked(keep, text, gone, kept):
    stored = keep(text)
    for word in gone:
        assert word not in stored, f"{word!r} kept in {stored!r}"
    for word in kept:
        assert word in stored, stored
    assert MASK in stored


def test_a_question_made_of_handbook_words_is_kept_whole(keep):
    assert keep("bệnh tiểu đường có nguy hiểm không") == "bệnh tiểu đường có nguy hiểm không"
    assert keep("Xin visa du lịch cho mẹ tôi") == "xin visa du lịch cho mẹ tôi"


def test_a_text_without_any_known_word_is_not_kept(keep):
    assert keep("Zxqv Hùng 0901234567") == ""


def test_the_running_core_keeps_only_masked_misses_on_disk(tmp_path, content_dir):
    config = Config.from_env({"HEALTHBOT_CONTENT": str(content_dir), "HEALTHBOT_DB": str(tmp_path / "h.db"),
                              "HEALTHBOT_RECORD_MISSES": "1"})
    core = build_core(config=config)
    for text, _, _ in PERSONAL:
        core.handle(5012345678, Incoming("text", text))
    core.close()
    with sqlite3.connect(tmp_path / "h.db") as db:
        kept = " | ".join(text for (text,) in db.execute("SELECT text FROM misses")).casefold()
        dump = "\n".join(db.iterdump()).casefold()
    assert kept.count(MASK) >= len(PERSONAL) - 1  # the misses are there, masked
    for _, gone, _ in PERSONAL:
        for word in gone:
            assert word not in kept, word
    for name in ("nguyễn", "hùng", "john", "smith", "baker", "lan.nguyen"):
        assert name not in dump


def test_misses_are_capped_per_day(tmp_path, monkeypatch):
    monkeypatch.setattr(usage_log, "MISSES_PER_DAY", 5)
    log = usage_log.UsageLog(tmp_path / "h.db", record_misses=True, miss_filter=str.lower)
    for i in range(12):
        log.record([usage_log.Event("no_answer", text=f"question {chr(97 + i)}")], user=None)
        if i % 4 == 3:
            log.flush()
    log.record([usage_log.Event("no_answer", text="question a")], user=None)  # an old one still counts
    log.close()
    with sqlite3.connect(tmp_path / "h.db") as db:
        rows = dict(db.execute("SELECT text, count FROM misses").fetchall())
    assert len(rows) == 6 and rows[usage_log.MISSES_OVER] == 7 and rows["question a"] == 2
