"""Vietnamese text normalisation: NFC, tone placement, folding, syllables, Telex repair, cleaning."""

from __future__ import annotations

import unicodedata

import pytest

from handbook.search.textnorm import MAX_INPUT, clean, fold, fold_text, has_marks, singular, telex_fold, toned, words

OLD_AND_NEW_TONES = [("hoà", "hòa"), ("thuỷ", "thủy"), ("quý", "qúy"), ("khoẻ", "khỏe"), ("Hoà", "HÒA")]


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_clean_composes_nfd_input_to_nfc():
    decomposed = nfd("bệnh viện đau bụng")
    assert decomposed != "bệnh viện đau bụng"
    assert clean(decomposed) == "bệnh viện đau bụng"
    assert unicodedata.is_normalized("NFC", clean(decomposed))


def test_words_of_nfd_input_equal_words_of_nfc_input():
    assert words(nfd("Tôi bị sốt cao")) == words("Tôi bị sốt cao")


@pytest.mark.parametrize(("old", "new"), OLD_AND_NEW_TONES)
def test_both_tone_placements_give_the_same_toned_form(old, new):
    assert toned(old) == toned(new)
    assert toned(nfd(old)) == toned(new)


@pytest.mark.parametrize(("old", "new"), OLD_AND_NEW_TONES)
def test_both_tone_placements_give_the_same_folded_form(old, new):
    assert fold(old) == fold(new) == fold(nfd(new))


def test_toned_form_keeps_the_tone_so_different_tones_differ():
    assert toned("tự") != toned("từ")
    assert toned("tử") != toned("tư")
    assert fold("tự") == fold("từ") == "tu"


def test_toned_form_keeps_vowel_shapes():
    assert toned("sức") != toned("súc")
    assert toned("bơ") != toned("bo")


def test_folding_removes_every_diacritic_and_lowers_case():
    assert fold("Đau") == "dau"
    assert fold_text("ĐAU BỤNG quá") == "dau bung qua"
    assert fold_text("Bảo hiểm y tế") == "bao hiem y te"


@pytest.mark.parametrize(("word", "folded"), [("đ", "d"), ("Đ", "d"), ("đường", "duong"), ("ĐƯỜNG", "duong"), ("đc", "dc")])
def test_folding_turns_d_with_stroke_into_d(word, folded):
    assert fold(word) == folded


@pytest.mark.parametrize("word", ["が", "ガ", "病院", "にほん", "한국", "병원", "대한민국"])
def test_kana_han_and_hangul_stay_intact_after_folding(word):
    assert fold(word) == word


def test_folding_halfwidth_katakana_gives_the_fullwidth_word():
    assert fold("ｶﾞ") == "ガ"


def test_has_marks_sees_tones_shapes_and_d_with_stroke():
    assert has_marks("bụng") and has_marks("ơ") and has_marks("đi")
    assert not has_marks("bung") and not has_marks("Dau")


def test_tokenisation_splits_into_syllables_and_drops_punctuation():
    assert words("Tôi bị đau bụng, quá!!!") == ["Tôi", "bị", "đau", "bụng", "quá"]
    assert words("bảo hiểm y tế") == ["bảo", "hiểm", "y", "tế"]
    assert words("sốt 39 độ") == ["sốt", "39", "độ"]


def test_tokenisation_of_empty_and_punctuation_is_empty():
    assert words("") == []
    assert words(" ... ?!  ") == []
    assert fold_text("") == ""


def test_tokenisation_keeps_kana_and_hangul_runs():
    assert words("日本 병원 がんばって") == ["日本", "병원", "がんばって"]


@pytest.mark.parametrize(("typed", "meant"), [("benhj", "benh"), ("vieenj", "vien"), ("ddau", "dau"), ("suwcs", "suc"),
                                            ("lwng", "lung"), ("nhwngx", "nhung"), ("thw", "thu")])
def test_telex_typed_with_the_input_method_off_is_repaired(typed, meant):
    assert telex_fold(typed) == meant


@pytest.mark.parametrize("token", ["dau", "ok", "bệnh", "병원"])
def test_telex_fold_leaves_plain_words_alone(token):
    assert telex_fold(token) is None


def test_clean_drops_control_and_bidi_characters():
    dirty = "đau\x00 bụng\u202e quá\u200b\ufeff\x1b!"
    out = clean(dirty)
    assert not any(ch in out for ch in "\x00\u202e\u200b\ufeff\x1b")
    assert words(out) == ["đau", "bụng", "quá"]


def test_clean_survives_lone_surrogates():
    out = clean("sốt\ud800 cao\udfff")
    out.encode("utf-8")  # would raise if a surrogate were left
    assert words(out)[:1] == ["sốt"]


def test_clean_accepts_non_strings_and_caps_length():
    assert clean(123) == "123"
    assert len(clean("a" * (MAX_INPUT * 3))) == MAX_INPUT


def test_folding_is_stable_on_its_own_output():
    for text in ["Đau bụng quá", "thuỷ đậu", "khoẻ không", "bảo hiểm y tế"]:
        assert fold_text(fold_text(text)) == fold_text(text)


@pytest.mark.parametrize(
    ("plural", "one"),
    [("typhoons", "typhoon"), ("allergies", "allergy"), ("rashes", "rash"), ("glasses", "glass"), ("arms", "arm")],
)
def test_english_plural_gives_its_singular(plural, one):
    assert singular(plural) == one


@pytest.mark.parametrize("word", ["stress", "virus", "this", "gas", "thuoc", "bệnhs", "bus", "đau"])
def test_singular_leaves_non_plurals_and_vietnamese_alone(word):
    assert singular(word) == word
