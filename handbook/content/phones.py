"""Finding phone numbers in a text: the one detector that `healthbot check`, the tests and the
number-to-key conversion share.

A phone number is a run of digits that looks like one: 6 or more digits written with a leading `0`
or `+` or with separators (`0120-279-338`, `+82-2-720-5124`), a short code after a word such as
"gọi", "call", "số", "hotline" (`gọi 119`), a `#` code (`#7119`), or any number that is listed in
content/facts.yaml standing on its own (`**119** là số cấp cứu`). Amounts (`57,600 yên`), years,
times (`9:00`), web addresses and `{{placeholders}}` are not phone numbers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_CUE = re.compile(r"(gọi|call|số|hotline|đường dây|tổng đài|dial|phone|tel|line|bấm|nhấn|#)\W{0,3}$", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.,/])(#?\+?\d[\d\- .]{1,18}\d)(?![\w/]|[.,]\d)")
_URL = re.compile(r"https?://[^\s)\]>\"']+")
PLACEHOLDER = re.compile(r"\{\{([^{}\n]*)\}\}")
_COUNTRY_CODES = ("81", "82", "84")  # Japan, Korea, Viet Nam


@dataclass(frozen=True, slots=True)
class Found:
    start: int
    end: int
    raw: str  # as written, e.g. "0120-279-338"

    @property
    def key(self) -> str:
        return canonical(self.raw)


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def canonical(number: str) -> str:
    """The same number however it is written: "+81-3-5285-8088", "03-5285-8088" and "0352858088" agree."""
    d = digits(number)
    if number.lstrip().startswith("+") and d[:2] in _COUNTRY_CODES:
        d = d[2:]
    return d.lstrip("0") or d


def _masked(text: str) -> str:
    """The text with web addresses and {{placeholders}} blanked out (same length, so offsets hold)."""
    blank = lambda m: " " * (m.end() - m.start())  # noqa: E731
    return PLACEHOLDER.sub(blank, _URL.sub(blank, text))


def find(text: str, known: Iterable[str] = ()) -> list[Found]:
    """Every phone number written out in `text`; `known` are canonical numbers (see `canonical`)
    that count as phone numbers wherever they stand alone, even without a cue word."""
    known = set(known)
    masked = _masked(text)
    found = []
    for m in _NUMBER.finditer(masked):
        raw = m.group(1).rstrip(" .")
        d = digits(raw)
        long_number = len(d) >= 6 and (raw.startswith(("+", "0")) or "-" in raw or " " in raw.strip())
        short_code = 3 <= len(d) <= 4 and not d.startswith("0") and bool(_CUE.search(masked[max(0, m.start() - 16) : m.start()]))
        if long_number or short_code or raw.startswith("#") or (len(d) >= 3 and canonical(raw) in known):
            found.append(Found(m.start(1), m.start(1) + len(raw), raw))
    return found


def phone_numbers(text: str, known: Iterable[str] = ()) -> list[str]:
    """The phone numbers of `text` as written (see `find`)."""
    return [f.raw for f in find(text, known)]


def line_offset(text: str, index: int) -> int:
    """0-based line of character `index` within `text`."""
    return text.count("\n", 0, index)
