"""A scripted conversation through the core, then every count checked exactly and the file scanned."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.config import Config
from bot.wiring import build_core
from handbook.dialogue.conversation import Incoming
from handbook.usage.stats import read_stats

REPO = Path(__file__).resolve().parent.parent
LAN, MINH = 700123456, 700987654
SECRETS = [str(LAN), str(MINH), "lan_nguyen", "minh_tran", "Nguyễn Thị Lan", "Trần Văn Minh"]
QUESTIONS = {
    LAN: ["sốt cao phải làm sao", "thuốc", "giá vàng 0901234567 hôm nay", "bạn tôi bất tỉnh không thở"],
    MINH: ["high fever what to do", "bhyt đóng bao nhiêu"],
}


def test_a_scripted_conversation_is_counted_exactly_and_leaves_no_identity(tmp_path):
    db = tmp_path / "healthbot.db"
    config = Config.from_env({"HEALTHBOT_DB": str(db), "HEALTHBOT_CONTENT": str(REPO / "content"), "HEALTHBOT_RECORD_MISSES": "1"})
    core = build_core(config=config)
    core.handle(LAN, Incoming("command", "", command="start", client_lang="vi"))
    core.handle(LAN, Incoming("button", data="c:jp"))
    core.handle(MINH, Incoming("command", "emergency-numbers", command="start", client_lang="en"))
    core.handle(MINH, Incoming("button", data="c:kr"))
    for user, questions in QUESTIONS.items():
        for q in questions:
            core.handle(user, Incoming("text", q))
    core.handle(LAN, Incoming("button", data="m:symptoms"))
    core.handle(LAN, Incoming("button", data="e:m:cough"))
    core.handle(LAN, Incoming("button", data="e:r:tuberculosis"))
    core.handle(LAN, Incoming("button", data="fb:+:fever"))
    core.handle(MINH, Incoming("button", data="fb:-:fever"))
    core.handle(MINH, Incoming("media"))
    core.close()

    f = read_stats(db, entry_ids=list(core.library.current.handbook.entries), misses=True)
    t = f["totals"]
    assert (t["messages"], t["starts"], t["questions"]) == (16, 2, 6)
    assert (t["answered"], t["choices"], t["no_answer"], t["urgent"]) == (4, 1, 1, 1)
    assert t["users"] == 2 and f["days"][0]["users"] == 2
    entries = {e["id"]: e for e in f["entries"]}
    assert entries["fever"]["shown"] == 2 and entries["fever"]["via"] == {"search": 2}
    assert (entries["fever"]["helpful"], entries["fever"]["not_helpful"]) == (1, 1)
    assert entries["emergency-numbers"]["via"] == {"deeplink": 1}
    assert entries["cough"]["via"] == {"menu": 1} and entries["tuberculosis"]["via"] == {"related": 1}
    assert f["deep_links"] == {"emergency-numbers": 1}
    assert f["chapters"] == {"symptoms": 1}
    assert f["languages"] == {"vi": 5, "en": 1}  # Minh asked once in English, once in Vietnamese
    assert f["countries"] == {"jp": 4, "kr": 2}
    [miss] = f["misses"]
    assert "vàng" in miss["text"] and "0901234567" not in miss["text"] and miss["count"] == 1

    con = sqlite3.connect(db)
    dump = "\n".join(con.iterdump())
    for secret in SECRETS + [q for qs in QUESTIONS.values() for q in qs if "vàng" not in q]:
        assert secret not in dump, f"{secret!r} is stored"


def test_the_privacy_line_follows_the_record_misses_setting_through_the_core(tmp_path):
    for setting, expected, absent in (("1", "90 days", "no message text"), ("", "no message text", "90 days")):
        env = {"HEALTHBOT_DB": str(tmp_path / f"db{setting}.db"), "HEALTHBOT_CONTENT": str(REPO / "content"),
               "HEALTHBOT_RECORD_MISSES": setting}
        core = build_core(config=Config.from_env(env))
        try:
            for command in ("start", "about"):
                html = core.handle(LAN, Incoming("command", "", command=command, client_lang="en")).messages[0].html
                assert expected in html.lower() or expected in html, (setting, command, html)
                assert absent not in html.lower(), (setting, command, html)
        finally:
            core.close()
