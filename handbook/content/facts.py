"""content/facts.yaml: the verified phone numbers, each under a key that entries use as `{{key}}`.

A number lives once, in facts.yaml; an answer writes `{{jp-amda-tokyo}}` and the loader puts the
number in its place, so a changed number changes every entry that uses it. `{{ambulance}}` (a key
without its country) means that service in every country: `119` while Japan and Korea share the
number, `110 (Nhật Bản) / 112 (Hàn Quốc)` when they differ. Problems are returned as
(line, severity, message) for the loader to report as `path:line: message`.
"""

from __future__ import annotations

import datetime
import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from handbook.content import phones, yamlines

COUNTRIES = ("jp", "kr", "vn")
COUNTRY_NAMES = {"jp": {"vi": "Nhật Bản", "en": "Japan"}, "kr": {"vi": "Hàn Quốc", "en": "Korea"},
                 "vn": {"vi": "Việt Nam", "en": "Viet Nam"}}
FACT_KEYS = {"key", "number", "country", "what", "confidence", "use", "source", "checked"}
KEY_RE = re.compile(r"^(jp|kr|vn)-[a-z0-9]+(?:-[a-z0-9]+)*$")
STALE_DAYS = 730  # a number whose last check is older than two years gets a warning
_HALF_BRACED = re.compile(r"(?<!\{)\{\s*([a-z0-9-]+)\s*\}(?!\})")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")

Problem = tuple[int, str, str]  # (line, "error" | "warning", message)


@dataclass(frozen=True, slots=True)
class Fact:
    key: str
    number: str
    country: str
    what: str
    use: bool
    checked: datetime.date | None = None
    line: int = 0

    @property
    def service(self) -> str:
        """The key without its country: `ambulance` for `jp-ambulance`."""
        return self.key.split("-", 1)[1] if "-" in self.key else self.key


@dataclass
class Facts:
    facts: tuple[Fact, ...] = ()
    by_key: dict[str, Fact] = field(default_factory=dict)

    @classmethod
    def of(cls, facts: Iterable[Fact]) -> Facts:
        facts = tuple(facts)
        return cls(facts, {f.key: f for f in facts})

    @property
    def known(self) -> set[str]:
        """Canonical forms of every listed number (published or not): these are phone numbers anywhere."""
        return {phones.canonical(f.number) for f in self.facts}

    def published(self, raw: str) -> bool:
        return any(f.use and phones.canonical(f.number) == phones.canonical(raw) for f in self.facts)

    def matching(self, raw: str) -> list[Fact]:
        return [f for f in self.facts if phones.canonical(f.number) == phones.canonical(raw)]

    def group(self, name: str) -> list[Fact]:
        """The facts a `{{name}}` stands for: one key, or a service in every country that has it."""
        if name in self.by_key:
            return [self.by_key[name]]
        return [f for f in self.facts if f.service == name]

    def resolve(self, name: str, lang: str) -> tuple[str | None, str | None]:
        """(the number to print, None) or (None, what is wrong with `{{name}}`)."""
        name = name.strip()
        group = self.group(name)
        if not group:
            names = sorted(set(self.by_key) | {f.service for f in self.facts})
            close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
            hint = f" (did you mean {', '.join('{{' + c + '}}' for c in close)}?)" if close else ""
            return None, f"unknown phone key {{{{{name}}}}}: keys are listed in content/facts.yaml{hint}"
        dead = [f for f in group if not f.use]
        if dead:
            f = dead[0]
            return None, f"{{{{{name}}}}} is {f.number} ({f.key}), marked use: false in content/facts.yaml ({f.what}): it must not be published"
        numbers = {f.number for f in group}
        if len(numbers) == 1:
            return group[0].number, None
        return " / ".join(f"{f.number} ({COUNTRY_NAMES[f.country][lang]})" for f in group), None

    def expand(self, text: str, lang: str) -> tuple[str, list[tuple[int, str]]]:
        """`text` with every `{{key}}` replaced by its number; problems as (line offset, message)."""
        problems: list[tuple[int, str]] = []

        def number(m: re.Match) -> str:
            value, problem = self.resolve(m.group(1), lang)
            if problem:
                problems.append((phones.line_offset(text, m.start()), problem))
                return m.group(0)
            return value

        return phones.PLACEHOLDER.sub(number, text), problems

    def half_braced(self, text: str) -> list[tuple[int, str]]:
        """A key in one pair of braces (`{jp-police}`), which would be shown as written."""
        return [(phones.line_offset(text, m.start()), f"{m.group(0)} has one brace on each side: write {{{{{m.group(1)}}}}}")
                for m in _HALF_BRACED.finditer(text) if self.group(m.group(1))]

    def other_country(self, text: str, country: str) -> list[tuple[int, str]]:
        """`{{key}}`s in a country's part that give another country's number: (line offset, message)."""
        out = []
        for m in phones.PLACEHOLDER.finditer(text):
            group = self.group(m.group(1).strip())
            others = sorted({f.country for f in group} - {country, "vn"})
            if not group or not others:
                continue
            own = [f.key for f in self.facts if f.country == country and f.service == group[0].service]
            hint = f"; this country's own is {{{{{own[0]}}}}}" if own else ""
            out.append((phones.line_offset(text, m.start()), f"{m.group(0)} in the {country} part gives the number of {', '.join(others)}{hint}"))
        return out

    def hand_typed(self, text: str) -> list[tuple[int, str]]:
        """Numbers written out in an answer, which must be `{{key}}`: (line offset, message)."""
        out = []
        for found in phones.find(text, self.known):
            offset = phones.line_offset(text, found.start)
            usable = [f for f in self.matching(found.raw) if f.use]
            keys = [f.key for f in usable] + ([usable[0].service] if len(usable) > 1 and len({f.service for f in usable}) == 1 else [])
            if keys:
                out.append((offset, f"phone number {found.raw} typed by hand; write {' or '.join('{{' + k + '}}' for k in keys)} so that it comes from content/facts.yaml"))
            elif self.matching(found.raw):
                out.append((offset, f"phone number {found.raw} is marked use: false in content/facts.yaml: it must not be published"))
            else:
                out.append((offset, f"phone number {found.raw} is not in content/facts.yaml: add it there with its source (verified numbers only), then write {{{{its-key}}}}"))
        return out

    def unlisted(self, text: str) -> list[str]:
        """Numbers in a search phrasing (questions, keywords) that are not published facts."""
        return [f.raw for f in phones.find(text, self.known) if not self.published(f.raw)]

    def to_placeholders(self, text: str, country: str | None) -> tuple[str, list[str]]:
        """`text` with each written-out number replaced by `{{key}}`, choosing the fact of `country`
        (then Viet Nam's, then the only one). In a common text (country None) a number that several
        countries share becomes the shared `{{service}}`. Returns (text, numbers left as they were)."""
        left: list[str] = []
        out, pos = [], 0
        for found in phones.find(text, self.known):
            key = self._key_for(found.raw, country)
            if key is None:
                left.append(found.raw)
                continue
            out += [text[pos : found.start], "{{" + key + "}}"]
            pos = found.end
        out.append(text[pos:])
        return "".join(out), left

    def _key_for(self, raw: str, country: str | None) -> str | None:
        matches = self.matching(raw)
        for wanted in (country, "vn"):
            here = [f for f in matches if f.country == wanted]
            if len(here) == 1:
                return here[0].key
        if len(matches) == 1:
            return matches[0].key
        services = {f.service for f in matches}
        if country is None and len(services) == 1 and len({f.country for f in matches}) == len(matches):
            return services.pop()
        return None


def checked_date(value: object) -> datetime.date | None:
    """A `checked:` value as the last day it can mean: 2023-09-15, "2023-09" (30 Sep), 2020 (31 Dec)."""
    if yamlines.is_date(value):
        return value
    m = _PARTIAL_DATE.match(str(value))
    if not m or isinstance(value, bool):
        return None
    year, month = int(m.group(1)), int(m.group(2) or 12)
    if not 1 <= month <= 12:
        return None
    first_of_next = datetime.date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - datetime.timedelta(days=1)


def parse(data: object, today: datetime.date) -> tuple[Facts, list[Problem]]:
    """Facts from the parsed facts.yaml, with every problem found."""
    problems: list[Problem] = []
    items = data.get("phones") if isinstance(data, dict) else None
    if not isinstance(items, list):
        line = getattr(data, "line", 1) or 1
        return Facts(), [(line, "error", "facts.yaml must hold `phones:`, a list of {key, number, country, what, use, source, checked}")]
    facts: list[Fact] = []
    seen_keys: dict[str, int] = {}
    seen_numbers: dict[tuple[str, str], Fact] = {}
    for i, item in enumerate(items):
        line = items.line_of(i) if hasattr(items, "line_of") else 1
        fact = _fact(item, line, today, problems)
        if fact is None:
            continue
        if fact.key in seen_keys:
            problems.append((line, "error", f"key {fact.key!r} is used twice (also at line {seen_keys[fact.key]}); each fact needs its own key"))
            continue
        seen_keys[fact.key] = line
        twin = seen_numbers.get((fact.country, phones.canonical(fact.number)))
        if twin:
            problems.append((line, "error", f"{fact.key}: number {fact.number} is already listed for {fact.country} as {twin.key} (line {twin.line}); keep one"))
        seen_numbers[(fact.country, phones.canonical(fact.number))] = fact
        facts.append(fact)
    return Facts.of(facts), problems


def _fact(item: object, line: int, today: datetime.date, problems: list[Problem]) -> Fact | None:
    if not isinstance(item, dict):
        problems.append((line, "error", "each phone must be a mapping {key: ..., number: \"...\", country: jp, what: ..., use: true, source: ..., checked: YYYY-MM-DD}"))
        return None
    number, key = item.get("number"), item.get("key")
    label = key if isinstance(key, str) else f"phone {number}"
    for name in item:
        if name not in FACT_KEYS:
            problems.append((line, "error", f"unknown key {name!r} in {label} (allowed: {', '.join(sorted(FACT_KEYS))})"))
    if not isinstance(number, str) or not phones.digits(number):
        problems.append((line, "error", f"{label}: number must be the phone number in quotes, for example number: \"0120-279-338\""))
        return None
    if key is None:
        problems.append((line, "error", f"phone {number} has no key: add key: <country>-<name>, for example key: jp-amda-tokyo, and write {{{{jp-amda-tokyo}}}} in answers"))
        return None
    if not isinstance(key, str) or not KEY_RE.match(key):
        problems.append((line, "error", f"key {key!r} must be kebab-case and start with its country: jp-, kr- or vn- (for example jp-amda-tokyo)"))
        return None
    country = item.get("country")
    if country not in COUNTRIES:
        problems.append((line, "error", f"{key}: country {country!r} is not one of {', '.join(COUNTRIES)}"))
        return None
    if not key.startswith(country + "-"):
        problems.append((line, "error", f"{key}: a {country} number's key starts with {country}-"))
    use = item.get("use")
    if not isinstance(use, bool):
        problems.append((line, "error", f"{key}: use must be true (may be published) or false (must not be)"))
        use = False
    checked = None
    if "checked" not in item:
        problems.append((line, "warning", f"{key} has no checked date: add checked: YYYY-MM-DD, the date of its source or the day you confirmed the number"))
    else:
        checked = checked_date(item["checked"])
        if checked is None:
            problems.append((line, "error", f"{key}: checked {item['checked']!r} is not a date; write YYYY-MM-DD (or YYYY-MM, or YYYY when the source gives no day)"))
        elif checked > today and yamlines.is_date(item["checked"]):
            problems.append((line, "error", f"{key}: checked {checked} is in the future"))
        elif use and (today - checked).days > STALE_DAYS:
            problems.append((line, "warning", f"{key} ({number}) was last checked {item['checked']}, over two years ago: confirm it on the operator's own page, then update checked"))
    return Fact(key, number, country, str(item.get("what") or ""), use, checked, line)
