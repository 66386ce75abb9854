"""The real handbook: every outline entry, both languages, the countries asked for, only verified phones."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from handbook.content import library
from handbook.content.loader import load_content
from handbook.search.evaluate import evaluate, read_cases

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
OUTLINE = yaml.safe_load((Path(__file__).parent / "data" / "handbook-outline.yaml").read_text(encoding="utf-8"))
FACTS = yaml.safe_load((CONTENT / "facts.yaml").read_text(encoding="utf-8"))["phones"]


@pytest.fixture(scope="module")
def loaded():
    return library.load(CONTENT)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_the_content_checks_without_errors():
    content = load_content(CONTENT)
    assert content.errors == []


def test_every_outline_entry_exists_with_both_languages_and_its_countries(loaded):
    for chapter in OUTLINE["chapters"]:
        assert loaded.handbook.chapter(chapter["id"]) is not None, chapter["id"]
        for item in chapter["entries"]:
            entry = loaded.handbook.entries.get(item["id"])
            assert entry is not None, f"outline entry {item['id']} is missing"
            assert entry.chapter == chapter["id"]
            for lang in ("vi", "en"):
                assert entry.title.get(lang) and entry.answer.get(lang)
                assert len(entry.questions[lang]) >= (6 if lang == "vi" else 3), (item["id"], lang)
            for country in item.get("countries", []):
                part = entry.countries.get(country)
                assert part is not None and part.vi and part.en, f"{item['id']} needs its {country} part"
            assert entry.sources and entry.reviewed


def test_the_entries_where_a_delay_can_kill_are_urgent(loaded):
    for entry_id in ("suicide-crisis", "cpr-unconscious", "choking", "poisoning", "carbon-monoxide", "heatstroke"):
        assert loaded.handbook.entries[entry_id].urgent, entry_id


def test_every_danger_sign_the_outline_marks_urgent_is_urgent(loaded):
    marked = [item["id"] for chapter in OUTLINE["chapters"] for item in chapter["entries"] if item.get("urgent")]
    assert "stroke" in marked
    for entry_id in marked:
        assert loaded.handbook.entries[entry_id].urgent, entry_id


def test_the_danger_entries_and_their_everyday_topics_link_both_ways(loaded):
    entries = loaded.handbook.entries
    pairs = [("overwork-fatigue", "heart-attack"), ("high-blood-pressure", "stroke"), ("fracture-sprain", "head-injury"),
             ("chemical-safety", "eye-injury"), ("skin-rash-allergy", "severe-allergy")]
    for a, b in pairs:
        assert b in entries[a].related[:4] and a in entries[b].related[:4], (a, b)  # the first four are shown


def test_the_suicide_answer_starts_with_the_crisis_lines_of_the_country(loaded):
    from handbook.dialogue.render import entry_body

    for country, first_lines in (("jp", ("0120-279-338", "119")), ("kr", ("109", "119"))):
        body = entry_body(loaded.handbook.entries["suicide-crisis"], "vi", country)
        opening = body.split("\n\n", 2)[1]  # after the title: the country part comes first
        assert all(n in opening for n in first_lines), opening


_CUE = re.compile(r"(gọi|call|số|hotline|đường dây|tổng đài|dial|phone|tel|line|bấm|nhấn|#)\W{0,3}$", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.,/])(#?\+?\d[\d\- .]{1,18}\d)(?![\w/]|[.,]\d)")


def phone_numbers(text: str) -> list[str]:
    """Phone-like numbers: 6+ digits written with separators or a leading 0/+, or a short code after 'gọi', 'call'..."""
    found = []
    for m in _NUMBER.finditer(text):
        raw = m.group(1).strip(" .")
        d = digits(raw)
        long_number = len(d) >= 6 and (raw.startswith(("+", "0")) or "-" in raw or " " in raw.strip())
        short_code = 3 <= len(d) <= 4 and not d.startswith("0") and bool(_CUE.search(text[max(0, m.start() - 16) : m.start()]))
        if long_number or short_code or raw.startswith("#"):
            found.append(raw)
    return found


def all_texts(loaded) -> list[tuple[str, str]]:
    out = []
    for entry in loaded.handbook.entries.values():
        parts = [entry.answer.vi, entry.answer.en] + [t for p in entry.countries.values() for t in (p.vi, p.en)]
        out += [(entry.id, p) for p in parts]
    out += [(key, text) for key, item in loaded.texts.table.items() for text in item.values()]
    return out


def test_every_phone_number_in_the_content_is_a_verified_one(loaded):
    allowed = {digits(f["number"]) for f in FACTS if f["use"]}
    forbidden = {digits(f["number"]) for f in FACTS if not f["use"]}
    seen = set()
    for where, text in all_texts(loaded):
        for number in phone_numbers(text):
            d = digits(number)
            seen.add(d)
            assert d not in forbidden, f"{where}: {number} must not be published (see facts.yaml)"
            assert d in allowed or d.lstrip("0") in {a.lstrip("0") for a in allowed}, f"{where}: {number} is not in content/facts.yaml"
    assert {"119", "109", "1345", "0120279338"} <= seen  # the extractor finds the real ones


def test_the_phone_extractor_catches_what_it_must():
    assert phone_numbers("Gọi 0120-279-338 hoặc gọi 119.") == ["0120-279-338", "119"]
    assert phone_numbers("Tel +82-2-720-5124") == ["+82-2-720-5124"]
    assert phone_numbers("năm 2024 trả 57,600 yên, 500 nghìn won") == []
    assert phone_numbers("bấm #7119") == ["#7119"]


def test_the_content_regression_set_keeps_its_floor(loaded):
    cases = [c for path in sorted((CONTENT / "regression").glob("*.yaml")) for c in read_cases(path)]
    figures = evaluate(loaded.index, cases).figures()
    assert len(cases) >= 300
    assert figures["top1"] >= 0.86, figures
    assert figures["top3"] >= 0.95, figures
    assert figures["out_of_scope"] >= 0.90, figures
