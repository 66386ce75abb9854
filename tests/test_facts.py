"""Phone numbers live once, in content/facts.yaml: entries write {{key}} and get the number at load time."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from handbook.content import facts as facts_mod
from handbook.content import library, yamlines
from handbook.content.facts import Fact, Facts
from handbook.dialogue import render

TODAY = datetime.date(2026, 12, 4)


def real_facts(content: Path) -> Facts:
    facts, problems = facts_mod.parse(yamlines.load((content / "facts.yaml").read_text(encoding="utf-8")), TODAY)
    assert [p for p in problems if p[1] == "error"] == []
    return facts


def entries_using(content: Path, key: str) -> set[str]:
    """Ids of the entries whose YAML text holds {{key}} (found in the files, not through the loader)."""
    found = set()
    for path in (content / "handbook").glob("*.yaml"):
        for block in re.split(r"\n  - id: ", path.read_text(encoding="utf-8"))[1:]:
            if "{{" + key + "}}" in block:
                found.add(block.split("\n", 1)[0].strip())
    return found


def every_message(loaded: library.Loaded, entry_id: str) -> str:
    entry = loaded.handbook.entries[entry_id]
    return "\n".join(render.entry_message(entry, loaded.texts, lang, country) for lang in ("vi", "en") for country in (None, "jp", "kr"))


def test_changing_a_number_in_facts_yaml_changes_it_in_every_entry_that_uses_it(content_copy):
    users = entries_using(content_copy, "jp-amda-tokyo")
    assert len(users) >= 3, users  # the test means something only if several entries share the number
    path = content_copy / "facts.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count('number: "03-5285-8088"') == 1
    path.write_text(text.replace('number: "03-5285-8088"', 'number: "03-0000-0000"'), encoding="utf-8")
    loaded = library.load(content_copy)
    for entry_id in loaded.handbook.entries:
        shown = every_message(loaded, entry_id)
        assert "03-5285-8088" not in shown, entry_id
        if entry_id in users:
            assert "03-0000-0000" in shown, entry_id
    assert "03-0000-0000" in loaded.texts.get("support.jp", "vi")  # interface texts follow too


def test_a_shared_service_is_one_number_while_the_countries_agree_and_both_when_they_differ():
    same = Facts.of([Fact("jp-ambulance", "119", "jp", "", True), Fact("kr-ambulance", "119", "kr", "", True)])
    assert same.expand("Gọi {{ambulance}}.", "vi")[0] == "Gọi 119."
    differ = Facts.of([Fact("jp-police", "110", "jp", "", True), Fact("kr-police", "112", "kr", "", True)])
    assert differ.expand("Call {{police}}.", "en")[0] == "Call 110 (Japan) / 112 (Korea)."
    assert differ.expand("Gọi {{police}}.", "vi")[0] == "Gọi 110 (Nhật Bản) / 112 (Hàn Quốc)."


def test_numbers_back_to_placeholders_round_trip_on_the_real_handbook(content_dir, loaded):
    """The conversion of written-out numbers gives {{keys}} that expand to the same text, by country."""
    facts = real_facts(content_dir)
    for entry in loaded.handbook.entries.values():
        parts = [(None, entry.answer)] + list(entry.countries.items())
        for country, text in parts:
            for lang in ("vi", "en"):
                value = text.get(lang)
                converted, left = facts.to_placeholders(value, country)
                assert left == [], (entry.id, left)
                assert facts.hand_typed(converted) == [], entry.id
                assert facts.expand(converted, lang) == (value, []), entry.id


def test_the_country_of_the_text_decides_which_fact_a_shared_number_is(content_dir):
    facts = real_facts(content_dir)
    assert facts.to_placeholders("gọi 119", "jp")[0] == "gọi {{jp-ambulance}}"
    assert facts.to_placeholders("gọi 119", "kr")[0] == "gọi {{kr-ambulance}}"
    assert facts.to_placeholders("gọi 119", None)[0] == "gọi {{ambulance}}"
    assert facts.to_placeholders("gọi 110", None)[0] == "gọi {{jp-police}}"  # only Japan lists 110
    assert facts.to_placeholders("gọi 03-1234-5678", "jp") == ("gọi 03-1234-5678", ["03-1234-5678"])


def test_checked_dates_without_a_day_count_to_the_end_of_their_period():
    assert facts_mod.checked_date("2023-09") == datetime.date(2023, 9, 30)
    assert facts_mod.checked_date(2020) == datetime.date(2020, 12, 31)
    assert facts_mod.checked_date(datetime.date(2024, 1, 2)) == datetime.date(2024, 1, 2)
    assert facts_mod.checked_date("2023-13") is None and facts_mod.checked_date("soon") is None
