"""Loading the content directory: every problem found in one pass, as `path:line: message`.

`load_content(dir)` returns the handbook only when there is no error; warnings never block it.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from handbook.content import facts as facts_mod
from handbook.content import markup, placeholders, yamlines
from handbook.content.facts import Facts
from handbook.content.fields import Problem, Report, markup_field, parse, string_lists, text_field, unknown_keys
from handbook.content.model import COUNTRIES, LANGS, Chapter, Entry, Handbook, Source, Text
from handbook.dialogue import render
from handbook.dialogue.texts import Texts, flatten
from handbook.search import decision as decision_mod
from handbook.search import lexicon as lexicon_mod
from handbook.search.lexicon import Lexicon

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FILE_RE = re.compile(r"^(\d{2})-([a-z0-9-]+)\.yaml$")
MAX_ID = 40
LONGEST_BUTTON_PREFIX = "fb:-:"  # callback data is "<prefix><entry id>"; see bot button codes
CHAPTER_KEYS = {"chapter", "entries"}
CHAPTER_INFO_KEYS = {"id", "title"}
ENTRY_KEYS = {"id", "title", "questions", "keywords", "answer", "countries", "urgent", "country_first",
              "related", "sources", "reviewed"}
REQUIRED_ENTRY_KEYS = ("id", "title", "questions", "answer", "reviewed")
PART_LIMIT = 1200  # characters per language for the common part and each country part (warning)
MIN_QUESTIONS = {"vi": 4, "en": 2}


@dataclass
class Content:
    handbook: Handbook | None
    lexicon: Lexicon | None
    texts: Texts | None
    problems: list[Problem] = field(default_factory=list)
    decision: decision_mod.Decision | None = None  # content/decision.yaml; None: the built-in cautious one

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors and self.handbook is not None


def _entry(node: object, line: int, chapter_id: str, report: Report, today: datetime.date, facts: Facts) -> Entry | None:
    if not isinstance(node, yamlines.LineMap):
        report.error(line, "each entry must be a mapping (id, title, questions, answer, ...)")
        return None
    unknown_keys(node, ENTRY_KEYS, f"entry {node.get('id', '?')!r}", report)
    for key in REQUIRED_ENTRY_KEYS:
        if key not in node:
            report.error(node.line, f"entry {node.get('id', '?')!r} has no {key!r}")
    entry_id = node.get("id")
    if not isinstance(entry_id, str) or not ID_RE.match(entry_id):
        report.error(node.line_of("id"), f"entry id {entry_id!r} must be kebab-case: lower-case letters, digits and single hyphens")
        entry_id = str(entry_id)
    elif len(entry_id) > MAX_ID or len((LONGEST_BUTTON_PREFIX + entry_id).encode()) > 64:
        report.error(node.line_of("id"), f"entry id {entry_id!r} is {len(entry_id)} characters; at most {MAX_ID} fit Telegram's 64-byte button data")
    name = f"entry {entry_id!r}"
    title = text_field(node.get("title"), node.line_of("title"), f"{name} title", report) or Text("", "")
    questions = string_lists(node.get("questions"), node.line_of("questions"), f"{name} questions", report)
    for lang, floor in MIN_QUESTIONS.items():
        if "questions" in node and len(questions.get(lang, ())) < floor:
            report.warn(node.line_of("questions"), f"{name} has {len(questions.get(lang, ()))} {lang} question phrasings; write at least {floor}")
    questions = placeholders.fill_phrasings(node.get("questions"), questions, f"{name} questions", report, facts)
    keywords = string_lists(node.get("keywords"), node.line_of("keywords"), f"{name} keywords", report)
    keywords = placeholders.fill_phrasings(node.get("keywords"), keywords, f"{name} keywords", report, facts)
    answer_node = node.get("answer")
    answer = text_field(answer_node, node.line_of("answer"), f"{name} answer", report) or Text("", "")
    answer = placeholders.fill_text(answer_node, answer, f"{name} answer", report, facts)
    _part_checks(answer_node, answer, f"{name} answer", report)
    countries: dict[str, Text] = {}
    cnode = node.get("countries")
    if cnode is not None and not isinstance(cnode, dict):
        report.error(node.line_of("countries"), f"{name} countries must map jp/kr to {{vi: ..., en: ...}}")
    elif isinstance(cnode, yamlines.LineMap):
        for code, part in cnode.items():
            if code not in COUNTRIES:
                report.error(cnode.line_of(code), f"{name}: country code {code!r} is not one of jp, kr")
                continue
            text = text_field(part, cnode.line_of(code), f"{name} countries.{code}", report)
            if text:
                countries[code] = placeholders.fill_text(part, text, f"{name} countries.{code}", report, facts, code)
                _part_checks(part, countries[code], f"{name} countries.{code}", report)
    flags = {}
    for key in ("urgent", "country_first"):
        value = node.get(key, False)
        if not isinstance(value, bool):
            report.error(node.line_of(key), f"{name} {key} must be true or false")
        flags[key] = value is True
    related = node.get("related") or []
    if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
        report.error(node.line_of("related"), f"{name} related must be a list of entry ids")
        related = []
    sources = _sources(node, name, report)
    reviewed = node.get("reviewed")
    if "reviewed" in node and not yamlines.is_date(reviewed):
        report.error(node.line_of("reviewed"), f"{name} reviewed {str(reviewed)!r} is not a date; write YYYY-MM-DD")
        reviewed = None
    elif yamlines.is_date(reviewed):
        if reviewed > today:
            report.error(node.line_of("reviewed"), f"{name} reviewed {reviewed} is in the future")
        elif (today - reviewed).days > 365:
            report.warn(node.line_of("reviewed"), f"{name} was reviewed on {reviewed}, over a year ago; check its facts again")
    return Entry(entry_id, chapter_id, title, questions, keywords, answer, countries, flags["urgent"],
                 flags["country_first"], tuple(related), sources, reviewed if yamlines.is_date(reviewed) else None,
                 report.path, node.line, dict(node.key_lines))


def _part_checks(node: object, text: Text, what: str, report: Report) -> None:
    if not isinstance(node, yamlines.LineMap):
        return
    for lang in LANGS:
        value = getattr(text, lang)
        raw = node.get(lang)
        markup_field(raw if isinstance(raw, str) else value, placeholders.text_line(node, lang), f"{what}.{lang}", report)
        if len(value) > PART_LIMIT:
            report.warn(node.line_of(lang), f"{what}.{lang} is {len(value)} characters; keep it under about {PART_LIMIT} for a phone")


def _sources(node: yamlines.LineMap, name: str, report: Report) -> tuple[Source, ...]:
    items = node.get("sources") or []
    if not items:
        report.warn(node.line, f"{name} has no sources; add where its facts come from")
        return ()
    out = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        line = items.line_of(i)
        if not isinstance(item, dict) or not isinstance(item.get("title"), str) or not isinstance(item.get("url"), str):
            report.error(line, f"{name} source {i + 1} must be {{title: ..., url: https://...}}")
            continue
        if isinstance(item, yamlines.LineMap):
            unknown_keys(item, {"title", "url", "country"}, f"{name} source", report)
        if not item["url"].startswith(("http://", "https://")):
            report.error(line, f"{name} source url {item['url']!r} must start with http:// or https://")
        country = item.get("country")
        if country is not None and country not in COUNTRIES:
            where = item.line_of("country") if isinstance(item, yamlines.LineMap) else line
            report.error(where, f"{name} source {i + 1} country {country!r} is not one of jp, kr (leave it out for a general source)")
            country = None
        out.append(Source(item["title"].strip(), item["url"].strip(), country))
    return tuple(out)


def _chapter_file(path: Path, root: Path, today: datetime.date, report: Report, facts: Facts) -> Chapter | None:
    data = parse(path, report)
    if data is None and report.problems:
        return None
    match = FILE_RE.match(path.name)
    if not match:
        report.error(1, "chapter files are named NN-<chapter-id>.yaml, for example 04-emergency.yaml")
    if data is None or not isinstance(data, yamlines.LineMap):
        what = "is empty" if data is None else "is not a mapping"
        report.error(1, f"the chapter file {what}: write `chapter: {{id, title}}` and `entries: [...]`, or delete the file")
        return None
    unknown_keys(data, CHAPTER_KEYS, "the chapter file", report)
    info = data.get("chapter")
    if not isinstance(info, yamlines.LineMap):
        report.error(data.line_of("chapter"), "missing `chapter: {id: ..., title: {vi: ..., en: ...}}`")
        return None
    unknown_keys(info, CHAPTER_INFO_KEYS, "chapter", report)
    chapter_id = info.get("id")
    if not isinstance(chapter_id, str) or not ID_RE.match(chapter_id):
        report.error(info.line_of("id"), f"chapter id {chapter_id!r} must be kebab-case")
        chapter_id = str(chapter_id)
    elif match and match.group(2) != chapter_id:
        report.error(info.line_of("id"), f"chapter id {chapter_id!r} does not match the file name {path.name!r}")
    title = text_field(info.get("title"), info.line_of("title"), f"chapter {chapter_id!r} title", report) or Text("", "")
    entries_node = data.get("entries")
    if not isinstance(entries_node, list) or not entries_node:
        report.error(data.line_of("entries"), f"chapter {chapter_id!r} has no entries")
        return Chapter(chapter_id, title, ())
    entries = [_entry(item, entries_node.line_of(i), chapter_id, report, today, facts) for i, item in enumerate(entries_node)]
    return Chapter(chapter_id, title, tuple(e for e in entries if e))


def _cross_checks(chapters: list[Chapter], texts: Texts | None, reports: dict[str, Report]) -> None:
    seen: dict[str, Entry] = {}
    chapter_ids: set[str] = set()
    for chapter in chapters:
        if chapter.id in chapter_ids and chapter.entries:
            reports[chapter.entries[0].file].error(1, f"chapter id {chapter.id!r} is used by two files")
        chapter_ids.add(chapter.id)
        for entry in chapter.entries:
            if entry.id in seen:
                first = seen[entry.id]
                reports[entry.file].error(entry.line, f"duplicate entry id {entry.id!r}: also at {first.file}:{first.line}")
            else:
                seen[entry.id] = entry
    for chapter in chapters:
        for entry in chapter.entries:
            report = reports[entry.file]
            line = entry.key_lines.get("related", entry.line)
            for rid in entry.related:
                if rid not in seen:
                    report.error(line, f"entry {entry.id!r} is related to {rid!r}, which does not exist")
                elif rid == entry.id:
                    report.error(line, f"entry {entry.id!r} lists itself as related")
            if texts is not None:
                _length_check(entry, texts, report)


def _length_check(entry: Entry, texts: Texts, report: Report) -> None:
    for lang in LANGS:
        for country in (*entry.countries, None):
            try:
                message = render.entry_message(entry, texts, lang, country, urgent=True)
            except (KeyError, ValueError) as exc:
                report.error(entry.line, f"entry {entry.id!r} cannot be rendered: {exc}")
                return
            if len(message) > markup.TELEGRAM_LIMIT:
                where = country or "no country"
                report.error(entry.line, f"entry {entry.id!r} renders to {len(message)} characters in {lang} ({where}); Telegram allows {markup.TELEGRAM_LIMIT}: shorten it")
                return


def _load_side_file(path: Path, root: Path, reports: dict[str, Report]) -> object:
    report = Report(path, root)
    reports[str(path)] = report
    if not path.exists():
        report.error(1, f"missing {path.name}: the content directory needs it")
        return None
    return parse(path, report)


def _load_facts(root: Path, reports: dict[str, Report], today: datetime.date) -> Facts:
    data = _load_side_file(root / "facts.yaml", root, reports)
    if data is None:
        return Facts()
    facts, problems = facts_mod.parse(data, today)
    report = reports[str(root / "facts.yaml")]
    for line, severity, message in problems:
        (report.error if severity == "error" else report.warn)(line, message)
    return facts


def load_content(root: str | Path, *, today: datetime.date | None = None) -> Content:
    """Load and validate content/: handbook/*.yaml, lexicon.yaml and interface.yaml."""
    root = Path(root)
    today = today or datetime.date.today()
    if not root.is_dir():
        problem = Problem(str(root), 0, f"content directory {str(root)!r} does not exist; set HEALTHBOT_CONTENT or pass the directory")
        if root.exists():
            problem = Problem(str(root), 0, f"{str(root)!r} is a file, not a directory: pass the content folder (the one holding "
                                            "handbook/, lexicon.yaml and interface.yaml), or nothing for the bundled handbook")
        return Content(None, None, None, [problem])
    reports: dict[str, Report] = {}
    facts = _load_facts(root, reports, today)
    texts_data = _load_side_file(root / "interface.yaml", root, reports)
    texts = None
    if texts_data is not None:
        table, problems = flatten(texts_data)
        for _name, message in problems:
            reports[str(root / "interface.yaml")].error(1, message)
        texts = Texts(placeholders.fill_interface(texts_data, table, facts, reports[str(root / "interface.yaml")]))
    lex_data = _load_side_file(root / "lexicon.yaml", root, reports)
    lex = None
    if lex_data is not None:
        lex_problems = lexicon_mod.problems_in(lex_data)
        for message in lex_problems:
            reports[str(root / "lexicon.yaml")].error(1, message)
        if not lex_problems:
            lex = lexicon_mod.build(lex_data)
    decision = None
    if (root / "decision.yaml").exists():
        decision_data = _load_side_file(root / "decision.yaml", root, reports)
        for message in decision_mod.problems_in(decision_data) if decision_data is not None else []:
            reports[str(root / "decision.yaml")].error(1, message)
        if decision_data is not None and not decision_mod.problems_in(decision_data):
            decision = decision_mod.build(decision_data)
    if lex is not None and texts is not None:
        for kind in (*lex.smalltalk_kinds, "emoji"):
            if not texts.has(f"smalltalk.{kind}"):
                reports[str(root / "interface.yaml")].error(1, f"smalltalk kind {kind!r} needs a reply text `smalltalk.{kind}` (vi and en)")
    files = sorted((root / "handbook").glob("*.yaml"))
    if not files:
        reports.setdefault("handbook", Report(root / "handbook", root)).error(0, f"no chapter files in {root / 'handbook'}")
    chapters = []
    for path in files:
        report = Report(path, root)
        reports[report.path] = report
        chapter = _chapter_file(path, root, today, report, facts)
        if chapter:
            chapters.append(chapter)
    _cross_checks(chapters, texts, reports)
    if lex is not None:
        known = {e.id for ch in chapters for e in ch.entries}
        for entry_id in sorted(lex.danger_entries() - known):
            reports[str(root / "lexicon.yaml")].error(1, f"danger_signs names entry {entry_id!r}, which does not exist")
    problems = sorted(p for r in reports.values() for p in r.problems)
    content = Content(None, lex, texts, problems, decision)
    if not content.errors and lex is not None and texts is not None:
        content.handbook = Handbook.of(tuple(chapters))
    return content
