"""What may be kept of an unanswered question (opt-in, HEALTHBOT_RECORD_MISSES): only the words the
handbook or the lexicon knows, every other word masked as "…".

Names, addresses, places and numbers are not handbook words, so they never reach the disk: "tôi
tên là Nguyễn Văn Hùng nhà ở 12 ngõ 5" is kept as "tôi tên là … nhà ở …". Also masked: any word
with a digit, a capitalised word inside the text (a name, typed as names are), and two or more
number words in a row (a phone number spelled out: "không chín không một…", "zero nine…").
A text with no known word is not kept at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from handbook.search.textnorm import clean, fold, has_marks, toned, words

MASK = "…"
MAX_LENGTH = 200
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LINK = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.)\S*|\b(?:[\w-]+\.)+[a-z]{2,}\b(?:/\S*)?", re.IGNORECASE)
_HANDLE = re.compile(r"@\w+")
NUMBER_WORDS = frozenset(toned(w) for w in (
    "không một mốt hai ba bốn tư năm lăm nhăm sáu bảy bẩy tám chín mười mươi linh lẻ trăm nghìn ngàn "
    "triệu tỷ tỉ chục "
    "zero oh nought one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred thousand million double triple").split())
NUMBER_WORDS_FOLDED = frozenset(fold(w) for w in NUMBER_WORDS)
# words that introduce a name or an address: the few words after them are masked, known or not
INTRODUCERS = tuple(tuple(words(p)) for p in (
    "tên", "ngõ", "ngách", "hẻm", "phố", "quận", "phường", "huyện", "địa chỉ", "nhà ở", "sống ở",
    "ở tại", "số nhà", "name is", "named", "called", "live at", "live in", "living in", "address",
    "my number"))
AFTER_INTRODUCER = 4  # words masked after one


class MissFilter:
    """`filter(text)` -> the text with only known words kept (lower case), or "" to keep nothing."""

    def __init__(self, toned_known: frozenset[str], folded_known: frozenset[str],
                 lexicon_words: frozenset[str] = frozenset()):
        self.toned_known, self.lexicon_words = toned_known, lexicon_words
        self.folded_known = folded_known | lexicon_words

    @classmethod
    def of(cls, handbook, lexicon) -> MissFilter:
        """The words of every entry (titles, questions, keywords, answers, country parts) and of
        the lexicon."""
        texts: list[str] = []
        for entry in handbook.entries.values():
            texts += [entry.title.vi, entry.title.en, entry.answer.vi, entry.answer.en]
            for phrasings in (*entry.questions.values(), *entry.keywords.values()):
                texts += list(phrasings)
            for part in entry.countries.values():
                texts += [part.vi, part.en]
        found = [w for text in texts for w in words(text) if not any(ch.isdigit() for ch in w)]
        return cls(frozenset(toned(w) for w in found), frozenset(fold(w) for w in found),
                   frozenset(getattr(lexicon, "words", ())))

    def known(self, word: str) -> bool:
        if has_marks(word):
            return toned(word) in self.toned_known or fold(word) in self.lexicon_words
        return fold(word) in self.folded_known

    def __call__(self, text: str) -> str:
        text = clean(text)
        for pattern in (_EMAIL, _LINK, _HANDLE):
            text = pattern.sub(" ", text)
        ws = words(text)
        keep = [self.known(w) and not any(ch.isdigit() for ch in w) for w in ws]
        for i, w in enumerate(ws):
            if i > 0 and len(w) > 1 and w[0].isupper() and not w.isupper():
                keep[i] = False  # a capitalised word inside the text: a name or a place
        for i in range(len(ws)):
            for phrase in INTRODUCERS:
                if _same(ws[i:i + len(phrase)], phrase):
                    for j in range(i + len(phrase), min(len(ws), i + len(phrase) + AFTER_INTRODUCER)):
                        keep[j] = False
        numbers = [toned(w) in NUMBER_WORDS or (not has_marks(w) and fold(w) in NUMBER_WORDS_FOLDED) for w in ws]
        for i in range(len(ws)):
            if numbers[i] and ((i > 0 and numbers[i - 1]) or (i + 1 < len(ws) and numbers[i + 1])):
                keep[i] = False  # a number spelled out
        out: list[str] = []
        for w, kept in zip(ws, keep, strict=True):
            if kept:
                out.append(_letters(w.casefold()))
            elif not out or out[-1] != MASK:
                out.append(MASK)
        if not any(w != MASK for w in out):
            return ""
        return " ".join(w for w in out if w)[:MAX_LENGTH].strip()


def _same(typed: list[str], phrase: tuple[str, ...]) -> bool:
    """Typed words equal to the phrase: as toned when typed with marks, else folded."""
    if len(typed) != len(phrase):
        return False
    return all(toned(t) == toned(p) if has_marks(t) else fold(t) == fold(p) for t, p in zip(typed, phrase, strict=True))


def _letters(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFC", word) if unicodedata.category(ch)[0] in "LM")


def keep_nothing(text: str) -> str:
    """The filter when no content is known: nothing is kept."""
    return ""


def for_library(current: Callable[[], object]) -> Callable[[str], str]:
    """A filter that follows the live content (`current()` returns the loaded handbook): rebuilt
    when a reload swaps it."""
    cache: list = [None, None]

    def keep(text: str) -> str:
        loaded = current()
        if cache[0] is not loaded:
            cache[:] = [loaded, MissFilter.of(loaded.handbook, loaded.lexicon)]
        return cache[1](text)

    return keep
