"""The reply language of a message: `vi` or `en`, Vietnamese when unsure.

langdetect alone is wrong on most Vietnamese typed without diacritics and on short English, and it
is not deterministic without a seed. So it is asked last, only about plain ASCII text, and only as a
tie-breaker after what it cannot see: Vietnamese letters, kana/hangul, and a vote of words that are
known Vietnamese syllables (or shaped like one, or like one typed in Telex with the input method
off: "ddau bungj", "bij soots") against known English words.
"""

from __future__ import annotations

import re
import threading
import unicodedata

from handbook.search.textnorm import clean, fold, has_marks, telex_fold, words

VI, EN = "vi", "en"
_ONSETS = "ngh|nh|ng|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|g|h|k|l|m|n|p|r|s|t|v|x"
_NUCLEI = "uye|uya|ieu|uoi|uou|oai|oay|oeo|uay|uai|uy|ia|ie|ya|ye|ua|uo|ai|ao|au|ay|eo|eu|iu|oa|oe|oi|ui|ue|ưu|a|e|i|o|u|y"
_CODAS = "ng|nh|ch|c|m|n|p|t"
_SYLLABLE = re.compile(rf"^(?:{_ONSETS})?(?:{_NUCLEI})(?:{_CODAS})?$")

_detector_lock = threading.Lock()
_factory = None


def _langdetect_en_probability(text: str) -> float:
    """P(en) from langdetect with only the en and vi profiles, seeded; 0.0 when it cannot say."""
    global _factory
    try:
        import os

        from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
        from langdetect.lang_detect_exception import LangDetectException

        with _detector_lock:
            if _factory is None:
                factory = DetectorFactory()
                profiles = []
                for code in (EN, VI):
                    with open(os.path.join(PROFILES_DIRECTORY, code), encoding="utf-8") as fh:
                        profiles.append(fh.read())  # load_json_profile takes the JSON text
                factory.load_json_profile(profiles)
                factory.set_seed(0)
                _factory = factory
            detector = _factory.create()
            detector.append(text)
            try:
                ranked = detector.get_probabilities()
            except LangDetectException:
                return 0.0
        return next((p.prob for p in ranked if p.lang == EN), 0.0)
    except Exception:  # a broken langdetect install must never stop a reply
        return 0.0


def script_of(text: str) -> str | None:
    """'vi' for Vietnamese letters, 'ja'/'ko'/'zh' for kana, hangul, han; None otherwise."""
    for ch in text:
        if ch.isalpha() and not ch.isascii():
            name = unicodedata.name(ch, "")
            if "HANGUL" in name:
                return "ko"
            if "HIRAGANA" in name or "KATAKANA" in name:
                return "ja"
            if "CJK" in name:
                return "zh"
            if "LATIN" in name and has_marks(ch):
                return "vi"
    return None


def looks_vietnamese(word: str) -> bool:
    """A syllable shaped like Vietnamese (onset + nucleus + coda), typed without diacritics."""
    return bool(_SYLLABLE.match(fold(word)))


_TELEX_STRONG = re.compile(r"^dd|aa|uw|[ao]w(?!n$)[a-z]|j$|[^aeiouw]w$|(?:ee|oo)(?:(?:i|u|y|ng|nh|ch|c)[sfrxj]?|[fxj])$")
_TELEX_TONE = re.compile(r"[aeiouy](?:ng|nh|ch|[cmnpt])?[fx]$")


def telex_vote(word: str) -> float:
    """How strongly a word looks like a Vietnamese syllable typed in Telex with the input method off:
    1 with a Telex-only mark (a leading dd, aa, uw, ow inside, a final j, a doubled vowel with a tone
    letter), 0.75 with a final f or x, 0 when it does not decode to a Vietnamese syllable or when the
    only mark is a doubled vowel or a final s or r (cams is cám, khoong is không, but see, room, lips
    and her are English: such a word is left to the other votes)."""
    word = fold(word)
    decoded = telex_fold(word)
    if not decoded or not looks_vietnamese(decoded) or looks_vietnamese(word):
        return 0.0
    if _TELEX_STRONG.search(word):
        return 1.0
    if _TELEX_TONE.search(word):
        return 0.75
    return 0.0


class LanguageGuesser:
    """Decides the reply language with a Vietnamese and an English vocabulary (folded words)."""

    def __init__(self, vi_words: frozenset[str] = frozenset(), en_words: frozenset[str] = frozenset()):
        self.vi_words = vi_words
        self.en_words = en_words

    def detect(self, text: str, *, default: str = VI) -> str:
        text = clean(text)
        script = script_of(text)
        if script == "vi":
            return VI
        if script is not None:  # Japanese, Korean or Chinese: the worker reads Vietnamese best
            return default
        toks = [fold(w) for w in words(text) if not w.isdigit()]
        if not toks:
            return default
        vi_votes = en_votes = 0.0
        for tok in toks:
            in_vi, in_en = tok in self.vi_words, tok in self.en_words
            if in_vi and in_en:
                continue
            if in_vi:
                vi_votes += 1
            elif in_en:
                en_votes += 1
            elif looks_vietnamese(tok):
                vi_votes += 0.5
            elif telex := telex_vote(tok):
                vi_votes += telex
            elif len(tok) > 2:
                en_votes += 0.5
        if vi_votes > en_votes:
            return VI
        if en_votes > vi_votes and en_votes >= 1:
            return EN
        return EN if _langdetect_en_probability(text) >= 0.9 else default


def detect_language(text: str, *, default: str = VI) -> str:
    """The reply language with no handbook vocabulary (syllable shapes and langdetect only)."""
    return LanguageGuesser().detect(text, default=default)
