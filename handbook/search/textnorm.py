"""Vietnamese-aware text normalisation: NFC, tone placement, folding, syllable tokens, Telex repair.

Two forms of every token are used:
- the *folded* form: lower case, every diacritic removed, đ → d ("Đau bụng" → "dau bung"); this is
  how a query typed without diacritics meets the handbook;
- the *toned* form: lower case with the tone moved off the vowel to a digit at the end of the
  syllable ("hoà" and "hòa" → "hoa2", "quý"/"qúy" → "quy1"); vowel shapes (â, ê, ơ, ư, đ) stay. Two
  spellings of the same syllable with the tone mark on different vowels get the same toned form, so a
  query typed with diacritics can prefer the exact word.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Combining tone marks of Vietnamese, and the digit each becomes in the toned form.
_TONES = {"\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}
# Vowel-shape marks (circumflex, breve, horn) keep their place in the toned form.
_SHAPES = {"\u0302", "\u0306", "\u031b"}
_D_LETTERS = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)  # can't, don’t stay one word
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
MAX_INPUT = 2000  # characters of a message that are looked at; the rest cannot change the answer


def clean(text: str) -> str:
    """NFC, without control and bidi characters or unpaired surrogates, cut to MAX_INPUT characters."""
    if not isinstance(text, str):
        text = str(text)
    text = text[: MAX_INPUT * 2]
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFC", text)
    return _CONTROL.sub(" ", text)[:MAX_INPUT]


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Lower case without any diacritic, đ → d. Kana and hangul are recomposed, not broken."""
    decomposed = unicodedata.normalize("NFKD", word.translate(_D_LETTERS))
    stripped = "".join(ch for ch in decomposed if not 0x300 <= ord(ch) <= 0x36F)
    return unicodedata.normalize("NFC", stripped).casefold()


@lru_cache(maxsize=65536)
def toned(word: str) -> str:
    """Lower case with the tone as a trailing digit, so that hoà and hòa are the same word."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    tone = ""
    kept = []
    for ch in decomposed:
        if ch in _TONES:
            tone = _TONES[ch]
        elif ch in _SHAPES or not 0x300 <= ord(ch) <= 0x36F:
            kept.append(ch)
    return unicodedata.normalize("NFC", "".join(kept)) + tone


def has_marks(word: str) -> bool:
    """True when the word carries a Vietnamese diacritic (tone, vowel shape or đ)."""
    return fold(word) != word.casefold()


def words(text: str) -> list[str]:
    """Syllables and words of a text, case and diacritics kept (NFC)."""
    return _TOKEN.findall(clean(text))


def fold_text(text: str) -> str:
    return " ".join(fold(w) for w in words(text))


# --- Telex typed with the input method off: "benhj vieenj" -> "bệnh viện" (folded: "benh vien") ---
def singular(word: str) -> str:
    """An English plural's singular (typhoons -> typhoon, allergies -> allergy, rashes -> rash), so the
    query and the handbook meet whichever they use. Vietnamese syllables never end in s."""
    if len(word) < 4 or not word.isascii() or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    return word[:-1]


_TELEX_TONE = set("sfrxj")
_TELEX_PAIRS = (("aa", "a"), ("aw", "a"), ("ee", "e"), ("oo", "o"), ("ow", "o"), ("uw", "u"), ("dd", "d"))


def telex_fold(token: str) -> str | None:
    """The folded syllable a Telex-typed token stands for, or None when it does not look like Telex."""
    if not token.isascii() or len(token) < 3:
        return None
    out = token
    if out[-1] in _TELEX_TONE and len(out) > 2:
        out = out[:-1]
    for pair, single in _TELEX_PAIRS:
        out = out.replace(pair, single)
    if "w" in out and not any(v in out.replace("w", "") for v in "aeiouy"):
        out = out.replace("w", "u")  # a lone w is ư: "lwng" is lưng, "nhwng" những
    elif out.endswith("w"):
        out = out[:-1]
    return out if out != token else None
