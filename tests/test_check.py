"""`healthbot check`: every planted mistake is reported as `path:line: message` at the right line.

Mistakes are planted either in a real chapter file (str.replace on a line found at run time) or in a
chapter file written here (99-planted.yaml), so that every expected line number is computed from
text this module wrote, never hard-coded.
"""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
from pathlib import Path

import pytest

from handbook.content.loader import Content, Problem, load_content

TODAY = datetime.date.today()
RECENT = (TODAY - datetime.timedelta(days=30)).isoformat()

PLANTED = f"""chapter:
  id: planted
  title: {{vi: "Mục thử", en: "Planted"}}
entries:
  - id: planted-entry
    title: {{vi: "Mục thử nghiệm", en: "Planted entry"}}
    questions:
      vi: ["câu hỏi thử một", "câu hỏi thử hai", "câu hỏi thử ba", "câu hỏi thử bốn"]
      en: ["planted question one", "planted question two"]
    answer:
      vi: |
        Câu trả lời thử.
      en: |
        A planted answer.
    countries:
      jp: {{vi: "Phần Nhật.", en: "Japan part."}}
    related: []
    sources:
      - {{title: "Example", url: "https://example.org/"}}
    reviewed: {RECENT}
"""


# --- helpers -------------------------------------------------------------------------------------
def line_of(text: str, needle: str) -> int:
    """1-based line where `needle` (which must occur once at least) starts in `text`."""
    return text[: text.index(needle)].count("\n") + 1


def replace_once(text: str, old: str, new: str) -> str:
    assert old in text, f"{old!r} not found: the planted template changed"
    return text.replace(old, new, 1)


def plant(content: Path, text: str, name: str = "99-planted.yaml") -> Path:
    path = content / "handbook" / name
    path.write_text(text, encoding="utf-8")
    return path


def rel(content: Path, path: Path) -> str:
    """How `check` names a file: relative to the content directory's parent."""
    return str(path.relative_to(content.parent))


def assert_problem(result: Content, path: str, lines: int | set[int], *words: str, severity: str = "error") -> Problem:
    """A problem of this severity at path:line whose message contains every word (case-insensitive)."""
    lines = {lines} if isinstance(lines, int) else lines
    for p in result.problems:
        if p.path == path and p.line in lines and p.severity == severity and all(w.lower() in p.message.lower() for w in words):
            return p
    listing = "\n".join(str(p) for p in result.problems) or "(no problems)"
    raise AssertionError(f"no {severity} at {path}:{sorted(lines)} mentioning {words}; got:\n{listing}")


def first_chapter(content: Path) -> Path:
    return sorted((content / "handbook").glob("*.yaml"))[0]


@pytest.fixture
def bare_copy(content_copy: Path) -> Path:
    """The copy without its real chapters: 99-planted.yaml alone loads in a fraction of the time."""
    for path in (content_copy / "handbook").glob("*.yaml"):
        path.unlink()
    return content_copy


def _load_planted(content: Path, text: str) -> tuple[Content, str]:
    path = plant(content, text)
    return load_content(content), rel(content, path)


def errors_in(result: Content, path: str) -> list[str]:
    """The errors of one file (bare_copy may have errors elsewhere, e.g. lexicon links to real entries)."""
    return [str(p) for p in result.errors if p.path == path]


def run_check(repo_root: Path, directory: Path | str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "check", str(directory)], cwd=repo_root, capture_output=True, text=True, timeout=60
    )


# --- the real content and the CLI ---------------------------------------------------------------
def test_real_content_passes_check_without_errors(repo_root, content_dir):
    done = run_check(repo_root, content_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ": error:" not in done.stdout
    assert "Traceback" not in done.stderr


def test_planted_template_itself_is_clean(content_copy):
    path = plant(content_copy, PLANTED)
    result = load_content(content_copy)
    assert [p for p in result.problems if p.path == rel(content_copy, path)] == []
    assert result.ok


def test_cli_reports_an_error_as_path_line_message_and_exits_1(repo_root, content_copy):
    text = replace_once(PLANTED, "  - id: planted-entry", "  - id: Stomach_Pain")
    path = plant(content_copy, text)
    done = run_check(repo_root, content_copy)
    assert done.returncode == 1
    line = line_of(text, "  - id: Stomach_Pain")
    hits = [x for x in done.stdout.splitlines() if x.startswith(f"{rel(content_copy, path)}:{line}:")]
    assert hits and "kebab-case" in hits[0], done.stdout


def test_cli_warning_alone_exits_0_and_is_printed(repo_root, content_copy):
    text = replace_once(PLANTED, '      en: ["planted question one", "planted question two"]', '      en: ["planted question one"]')
    path = plant(content_copy, text)
    done = run_check(repo_root, content_copy)
    assert done.returncode == 0, done.stdout + done.stderr
    line = line_of(text, "    questions:")
    assert any(x.startswith(f"{rel(content_copy, path)}:{line}:") and "phrasings" in x for x in done.stdout.splitlines()), done.stdout


def test_cli_missing_content_directory_is_a_one_line_error(repo_root, tmp_path):
    missing = tmp_path / "no-such-content"
    done = run_check(repo_root, missing)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    lines = [x for x in done.stdout.splitlines() if x.strip()]
    assert len(lines) == 1 and "does not exist" in lines[0] and str(missing) in lines[0], done.stdout


def test_cli_given_a_file_says_it_is_not_a_directory_and_what_to_pass(repo_root, tmp_path):
    a_file = tmp_path / "README.md"
    a_file.write_text("# not content\n", encoding="utf-8")
    done = run_check(repo_root, a_file)
    assert done.returncode == 1
    lines = [x for x in done.stdout.splitlines() if x.strip()]
    assert len(lines) == 1 and "is a file, not a directory" in lines[0] and "does not exist" not in lines[0], done.stdout
    assert "handbook/, lexicon.yaml and interface.yaml" in lines[0]


def test_cli_reports_yaml_syntax_error_at_its_line(repo_root, content_copy):
    path = first_chapter(content_copy)
    original = path.read_text(encoding="utf-8")
    start = original.index("\n    reviewed: ") + 1
    end = original.index("\n", start)
    text = original[:start] + "    reviewed: 2026-01-01: oops" + original[end:]
    path.write_text(text, encoding="utf-8")
    done = run_check(repo_root, content_copy)
    assert done.returncode == 1
    line = original[:start].count("\n") + 1
    hits = [x for x in done.stdout.splitlines() if x.startswith(f"{rel(content_copy, path)}:{line}:")]
    assert hits and "yaml" in hits[0].lower(), done.stdout


@pytest.mark.parametrize("depth", [400, 50_000])
def test_absurdly_nested_file_is_a_content_error_not_a_crash(repo_root, content_copy, depth):
    path = content_copy / "handbook" / "12-nested.yaml"
    path.write_text("chapter: x\nentries: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    done = run_check(repo_root, content_copy)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    # the brackets start on line 2; our own guard reports line 1, the YAML parser's the line it reached
    hits = [x for x in done.stdout.splitlines() if x.startswith((f"{rel(content_copy, path)}:1: error:", f"{rel(content_copy, path)}:2: error:"))]
    assert hits, done.stdout  # the wording may be ours or the YAML parser's: a located error is the behaviour


# --- errors, planted in a real chapter file -------------------------------------------------------
def test_misspelt_key_questons_is_an_error_at_its_line(content_copy):
    path = first_chapter(content_copy)
    original = path.read_text(encoding="utf-8")
    text = replace_once(original, "\n    questions:\n", "\n    questons:\n")
    path.write_text(text, encoding="utf-8")
    result = load_content(content_copy)
    assert not result.ok
    assert_problem(result, rel(content_copy, path), line_of(text, "    questons:"), "unknown key", "questons")


def test_duplicate_id_across_two_files_is_an_error(content_copy):
    path = first_chapter(content_copy)
    real = path.read_text(encoding="utf-8")
    start = real.index("  - id: ") + len("  - id: ")
    taken = real[start : real.index("\n", start)].strip()
    text = replace_once(PLANTED, "  - id: planted-entry", f"  - id: {taken}")
    planted = plant(content_copy, text)
    result = load_content(content_copy)
    problem = assert_problem(result, rel(content_copy, planted), line_of(text, f"  - id: {taken}"), "duplicate", taken)
    assert f"{rel(content_copy, path)}:{line_of(real, f'  - id: {taken}')}" in problem.message


# --- errors, planted in 99-planted.yaml -----------------------------------------------------------
def test_missing_english_answer_is_an_error(bare_copy):
    text = replace_once(PLANTED, "      en: |\n        A planted answer.\n", "")
    result, path = _load_planted(bare_copy, text)
    # the `answer:` key, or the first line of its mapping, are both where an editor adds `en:`
    lines = {line_of(text, "    answer:"), line_of(text, "    answer:") + 1}
    assert_problem(result, path, lines, "answer", "'en'", "missing")


def test_related_id_that_does_not_exist_is_an_error_at_the_related_line(bare_copy):
    text = replace_once(PLANTED, "    related: []", "    related: [no-such-entry]")
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, "    related: [no-such-entry]"), "no-such-entry", "does not exist")


def test_country_code_cn_is_an_error(bare_copy):
    text = replace_once(PLANTED, '      jp: {vi: "Phần Nhật.", en: "Japan part."}', '      cn: {vi: "Phần Trung.", en: "China part."}')
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, "      cn:"), "country code", "'cn'")


def test_empty_answer_is_an_error(bare_copy):
    text = replace_once(
        PLANTED,
        "    answer:\n      vi: |\n        Câu trả lời thử.\n      en: |\n        A planted answer.\n",
        '    answer: {vi: "Câu trả lời thử.", en: ""}\n',
    )
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, "    answer:"), "'en'", "empty")


def test_rendered_message_over_4096_characters_is_an_error(bare_copy):
    paragraph = "Đây là một đoạn văn dài để thử giới hạn độ dài của Telegram, viết lặp lại nhiều lần. " * 4
    long_answer = "\n\n".join([paragraph.strip()] * 14)
    assert len(long_answer) > 4096
    block = "".join(f"        {x}\n" if x else "\n" for x in long_answer.split("\n"))
    text = replace_once(PLANTED, "        Câu trả lời thử.\n", block)
    result, path = _load_planted(bare_copy, text)
    lines = {line_of(text, "  - id: planted-entry"), line_of(text, "    answer:"), line_of(text, "      vi: |")}
    assert_problem(result, path, lines, "4096")


@pytest.mark.parametrize(
    ("bad_line", "words"),
    [
        ("Uống <b>nhiều</b> nước.", ("html",)),
        ("Uống **nhiều nước.", ("unbalanced", "**")),
        ("Xem [trang này](ftp://x) nhé.", ("ftp://x", "http")),
    ],
    ids=["raw-html-tag", "unbalanced-bold", "ftp-link"],
)
def test_markup_that_cannot_be_rendered_is_an_error_at_its_line(bare_copy, bad_line, words):
    text = replace_once(PLANTED, "        Câu trả lời thử.\n", f"        Câu trả lời thử.\n\n        {bad_line}\n")
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, f"        {bad_line}"), *words)


def test_markup_error_in_a_one_line_country_part_is_at_that_line(bare_copy):
    old, new = '      jp: {vi: "Phần Nhật.", en: "Japan part."}', '      jp: {vi: "Phần <b>Nhật</b>.", en: "Japan part."}'
    text = replace_once(PLANTED, old, new)
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, "      jp: {"), "html")


def test_markup_error_after_a_leading_blank_line_is_at_its_line(bare_copy):
    text = replace_once(PLANTED, "        Câu trả lời thử.\n", "\n        Câu trả lời thử.\n        Uống <b>nhiều</b> nước.\n")
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, "        Uống <b>"), "html")


@pytest.mark.parametrize("body", ["", "# a new chapter, not written yet\n"], ids=["empty", "comment-only"])
def test_empty_chapter_file_is_an_error(bare_copy, body):
    result, path = _load_planted(bare_copy, body)
    assert errors_in(result, path), [str(p) for p in result.problems]


def test_impossible_date_is_an_error(bare_copy):
    text = replace_once(PLANTED, f"    reviewed: {RECENT}", "    reviewed: 2026-13-45")
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, "    reviewed: 2026-13-45"), "2026-13-45", "not a date")


def test_future_review_date_is_an_error(bare_copy):
    future = (TODAY + datetime.timedelta(days=30)).isoformat()
    text = replace_once(PLANTED, f"    reviewed: {RECENT}", f"    reviewed: {future}")
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, "    reviewed: "), "future")


def test_id_not_kebab_case_is_an_error(bare_copy):
    text = replace_once(PLANTED, "  - id: planted-entry", "  - id: Stomach_Pain")
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, "  - id: Stomach_Pain"), "Stomach_Pain", "kebab-case")


def test_id_of_41_characters_is_too_long(bare_copy):
    long_id = "planted-" + "x" * 33
    assert len(long_id) == 41
    text = replace_once(PLANTED, "  - id: planted-entry", f"  - id: {long_id}")
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, f"  - id: {long_id}"), long_id, "64-byte")


def test_id_of_40_characters_is_accepted(bare_copy):
    text = replace_once(PLANTED, "  - id: planted-entry", "  - id: planted-" + "x" * 32)
    result, path = _load_planted(bare_copy, text)
    assert errors_in(result, path) == []


# --- warnings (the content still loads) ----------------------------------------------------------
@pytest.mark.parametrize(
    ("old", "new", "lang"),
    [
        (
            '      vi: ["câu hỏi thử một", "câu hỏi thử hai", "câu hỏi thử ba", "câu hỏi thử bốn"]',
            '      vi: ["câu hỏi thử một", "câu hỏi thử hai", "câu hỏi thử ba"]',
            "vi",
        ),
        ('      en: ["planted question one", "planted question two"]', '      en: ["planted question one"]', "en"),
    ],
    ids=["three-vi", "one-en"],
)
def test_too_few_question_phrasings_is_a_warning(bare_copy, old, new, lang):
    text = replace_once(PLANTED, old, new)
    result, path = _load_planted(bare_copy, text)
    assert errors_in(result, path) == []
    assert_problem(result, path, line_of(text, "    questions:"), lang, "phrasings", severity="warning")


def test_review_date_over_a_year_old_is_a_warning(bare_copy):
    old = (TODAY - datetime.timedelta(days=400)).isoformat()
    text = replace_once(PLANTED, f"    reviewed: {RECENT}", f"    reviewed: {old}")
    result, path = _load_planted(bare_copy, text)
    assert errors_in(result, path) == []
    assert_problem(result, path, line_of(text, "    reviewed: "), "over a year", severity="warning")


def test_entry_without_sources_is_a_warning(bare_copy):
    text = replace_once(PLANTED, '    sources:\n      - {title: "Example", url: "https://example.org/"}\n', "")
    result, path = _load_planted(bare_copy, text)
    assert errors_in(result, path) == []
    lines = {line_of(text, "  - id: planted-entry")}
    assert_problem(result, path, lines, "no sources", severity="warning")


# --- one run reports everything -------------------------------------------------------------------
def test_two_mistakes_in_one_file_are_both_reported(bare_copy):
    text = replace_once(PLANTED, "    questions:", "    questons:")
    text = replace_once(text, f"    reviewed: {RECENT}", "    reviewed: 2026-13-45")
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, "    questons:"), "questons")
    assert_problem(result, path, line_of(text, "    reviewed: "), "not a date")


def test_mistakes_in_two_files_are_reported_in_one_run(content_copy):
    path = first_chapter(content_copy)
    real = replace_once(path.read_text(encoding="utf-8"), "\n    questions:\n", "\n    questons:\n")
    path.write_text(real, encoding="utf-8")
    text = replace_once(PLANTED, '      jp: {vi: "Phần Nhật.", en: "Japan part."}', '      cn: {vi: "Phần Trung.", en: "China part."}')
    result, planted = _load_planted(content_copy, text)
    assert_problem(result, rel(content_copy, path), line_of(real, "    questons:"), "questons")
    assert_problem(result, planted, line_of(text, "      cn:"), "'cn'")


def test_missing_directory_is_one_problem_and_no_handbook(tmp_path):
    result = load_content(tmp_path / "nowhere")
    assert not result.ok and result.handbook is None
    assert len(result.problems) == 1
    assert "does not exist" in result.problems[0].message


ALIAS_BOMB = "".join(  # a "billion laughs" file: 9^9 strings from under 450 bytes
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi"))


def test_an_alias_bomb_is_refused_at_its_line_not_expanded(repo_root, content_copy):
    assert len(ALIAS_BOMB.encode()) < 450
    path = content_copy / "handbook" / "12-bomb.yaml"
    path.write_text("chapter: x\n" + ALIAS_BOMB, encoding="utf-8")
    done = run_check(repo_root, content_copy)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    hits = [x for x in done.stdout.splitlines() if x.startswith(f"{rel(content_copy, path)}:2: error:")]
    assert hits and "anchor" in hits[0], done.stdout


def test_a_single_alias_is_refused_with_a_fix(content_copy):
    path = content_copy / "handbook" / "12-alias.yaml"
    path.write_text("chapter: x\nentries:\n  - *somewhere\n", encoding="utf-8")
    problems = [p for p in load_content(content_copy).problems if str(p.path).endswith("12-alias.yaml")]
    assert any(p.line == 3 and "alias" in p.message and "in full" in p.message for p in problems), problems


# --- source country tags -------------------------------------------------------------------------
def test_source_country_tag_other_than_jp_or_kr_is_an_error_at_its_line(bare_copy):
    bad = '      - {title: "Example", url: "https://example.org/",\n         country: vn}'
    text = replace_once(PLANTED, '      - {title: "Example", url: "https://example.org/"}', bad)
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, {line_of(text, "country: vn"), line_of(text, '- {title: "Example"')}, "country", "'vn'", "jp, kr")


def test_source_country_tags_jp_and_kr_load_onto_the_source(bare_copy):
    tagged = ('      - {title: "Japan page", url: "https://example.jp/", country: jp}\n'
              '      - {title: "General page", url: "https://example.org/"}')
    text = replace_once(PLANTED, '      - {title: "Example", url: "https://example.org/"}', tagged)
    result, path = _load_planted(bare_copy, text)
    assert errors_in(result, path) == []
    assert "country" not in " ".join(str(p) for p in result.problems if p.path == path)


# --- phone numbers: {{keys}} from facts.yaml -----------------------------------------------------
def facts_line(content: Path, key: str) -> tuple[str, int]:
    """(the facts.yaml line of `key`, its 1-based number)."""
    lines = (content / "facts.yaml").read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if f"key: {key}," in line)
    return lines[number - 1], number


def test_a_number_typed_by_hand_makes_check_exit_1_naming_file_and_line(repo_root, content_copy):
    text = replace_once(PLANTED, "        Câu trả lời thử.\n", "        Câu trả lời thử.\n        Gọi đường dây Yorisoi 0120-279-338 nhé.\n")
    path = plant(content_copy, text)
    done = run_check(repo_root, content_copy)
    assert done.returncode == 1, done.stdout + done.stderr
    line = line_of(text, "        Gọi đường dây Yorisoi")
    hits = [x for x in done.stdout.splitlines() if x.startswith(f"{rel(content_copy, path)}:{line}: error:")]
    assert hits and "0120-279-338" in hits[0] and "{{jp-yorisoi}}" in hits[0], done.stdout


@pytest.mark.parametrize(
    ("old", "new", "needle", "words"),
    [
        ('      jp: {vi: "Phần Nhật.", en: "Japan part."}', '      jp: {vi: "Phần Nhật.", en: "Japan part: call 110."}', "      jp: {", ("110", "{{jp-police}}")),
        ("        Câu trả lời thử.\n", "        Câu trả lời thử.\n\n        **119** là số cấp cứu.\n", "        **119**", ("119", "{{ambulance}}")),
        ("        Câu trả lời thử.\n", "        Câu trả lời thử.\n        Gọi 03-1234-5678.\n", "        Gọi 03-1234", ("03-1234-5678", "not in content/facts.yaml")),
    ],
    ids=["country-part-with-cue", "listed-number-without-cue", "number-not-in-facts"],
)
def test_numbers_written_out_in_answers_are_errors_at_their_line(bare_copy, old, new, needle, words):
    text = replace_once(PLANTED, old, new)
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, needle), *words)


def test_a_placeholder_is_filled_with_the_number_from_facts(content_copy):
    text = replace_once(PLANTED, '"Phần Nhật."', '"Gọi {{jp-amda-tokyo}} hoặc {{ambulance}}."')
    result, path = _load_planted(content_copy, text)
    assert errors_in(result, path) == []
    assert result.handbook.entries["planted-entry"].countries["jp"].vi == "Gọi 03-5285-8088 hoặc 119."


def test_an_unknown_key_is_an_error_with_close_matches(bare_copy):
    text = replace_once(PLANTED, "        Câu trả lời thử.\n", "        Câu trả lời thử.\n        Gọi AMDA {{jp-amda-tokio}}.\n")
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, "        Gọi AMDA"), "unknown phone key", "{{jp-amda-tokio}}", "{{jp-amda-tokyo}}")


def test_a_key_marked_use_false_is_an_error(bare_copy):
    text = replace_once(PLANTED, '"Japan part."', '"Japan part: TELL {{jp-tell-unverified}}."')
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, "      jp: {"), "{{jp-tell-unverified}}", "use: false")


def test_search_phrasings_keep_listed_numbers_but_not_others(bare_copy):
    listed = replace_once(PLANTED, '"câu hỏi thử bốn"', '"gọi 119 có mất tiền không"')
    result, path = _load_planted(bare_copy, listed)
    assert errors_in(result, path) == []
    for number in ("1393", "03-1234-5678"):  # use: false; not in facts.yaml at all
        text = replace_once(PLANTED, '"câu hỏi thử bốn"', f'"gọi {number} được không"')
        result, path = _load_planted(bare_copy, text)
        assert_problem(result, path, line_of(text, "      vi: ["), number, "not a published number")


def test_a_number_typed_into_an_interface_text_is_an_error_at_its_line(content_copy):
    path = content_copy / "interface.yaml"
    text = replace_once(path.read_text(encoding="utf-8"), '    en: "Please type a health question', '    en: "Call 1577-1366 or type a health question')
    path.write_text(text, encoding="utf-8")
    result = load_content(content_copy)
    assert_problem(result, rel(content_copy, path), line_of(text, '    en: "Call 1577-1366'), "answer.empty", "1577-1366", "{{kr-danuri}}")


def test_a_fact_checked_over_two_years_ago_is_a_warning_and_a_recent_one_is_not(content_copy):
    path = content_copy / "facts.yaml"
    line, number = facts_line(content_copy, "jp-amda-tokyo")
    stale = (TODAY - datetime.timedelta(days=800)).isoformat()
    text = path.read_text(encoding="utf-8").replace(line, re.sub(r"checked: [^,]+,", f"checked: {stale},", line))
    path.write_text(text, encoding="utf-8")
    result = load_content(content_copy)
    assert result.ok
    assert_problem(result, rel(content_copy, path), number, "jp-amda-tokyo", "over two years", severity="warning")
    path.write_text(text.replace(f"checked: {stale},", f"checked: {RECENT},"), encoding="utf-8")
    result = load_content(content_copy)
    assert not [p for p in result.problems if p.line == number and p.path == rel(content_copy, path)]


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda line: line.replace("key: jp-amda-tokyo, ", ""), ("03-5285-8088", "has no key")),
        (lambda line: line.replace("key: jp-amda-tokyo,", "key: jp-police,"), ("jp-police", "used twice")),
        (lambda line: line.replace("key: jp-amda-tokyo,", "key: AMDA,"), ("AMDA", "kebab-case")),
        (lambda line: re.sub(r"checked: [^,]+,", "checked: someday,", line), ("someday", "not a date")),
    ],
    ids=["no-key", "duplicate-key", "bad-key", "bad-date"],
)
def test_mistakes_in_facts_yaml_are_errors_at_their_line(content_copy, edit, words):
    path = content_copy / "facts.yaml"
    line, number = facts_line(content_copy, "jp-amda-tokyo")
    path.write_text(path.read_text(encoding="utf-8").replace(line, edit(line)), encoding="utf-8")
    result = load_content(content_copy)
    assert not result.ok
    assert_problem(result, rel(content_copy, path), number, *words)


@pytest.mark.parametrize(("placeholder", "own"), [("{{kr-police}}", "{{jp-police}}"), ("{{ambulance}}", "{{jp-ambulance}}")])
def test_another_countrys_number_in_a_country_part_is_a_warning(bare_copy, placeholder, own):
    text = replace_once(PLANTED, '"Phần Nhật."', f'"Gọi {placeholder}."')
    result, path = _load_planted(bare_copy, text)
    assert errors_in(result, path) == []
    assert_problem(result, path, line_of(text, "      jp: {"), placeholder, "jp part", own, severity="warning")


def test_a_key_in_single_braces_is_an_error(bare_copy):
    text = replace_once(PLANTED, '"Phần Nhật."', '"Gọi {jp-police}."')
    result, path = _load_planted(bare_copy, text)
    assert_problem(result, path, line_of(text, "      jp: {"), "{jp-police}", "one brace", "{{jp-police}}")


def test_a_missing_facts_yaml_is_an_error_and_every_key_is_then_unknown(content_copy):
    (content_copy / "facts.yaml").unlink()
    result = load_content(content_copy)
    assert not result.ok
    assert_problem(result, "content/facts.yaml", 1, "missing facts.yaml")
    assert any("unknown phone key" in p.message for p in result.errors)
