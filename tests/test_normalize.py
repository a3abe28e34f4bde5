"""Normalised and folded forms: what compares equal for matching."""
from hypothesis import given
from hypothesis import strategies as st

from khsearch.normalize import expand_abbreviations, fold, folded_terms, has_diacritics, normalize, unify_tones


def test_old_and_new_tone_placement_compare_equal():
    assert unify_tones("hòa") == unify_tones("hoà")
    assert unify_tones("Khánh Hòa") == unify_tones("Khánh Hoà")
    assert unify_tones("ủy ban") == unify_tones("uỷ ban")
    assert unify_tones("thúy") == unify_tones("thuý")
    assert unify_tones("hoàn thành") == "hoàn thành"  # closed syllables keep their mark
    assert unify_tones("quý") == "quý"


def test_fold_nfd_dashes_quotes():
    assert fold("Cơ quan nào chủ trì") == "co quan nao chu tri"
    assert fold("ĐỒNG") == "dong"
    nfd = "Cơ quan nào".encode().decode()
    import unicodedata
    assert fold(unicodedata.normalize("NFD", nfd)) == "co quan nao"
    assert normalize("Lao động – Thương binh “và” Xã hội") == 'Lao động - Thương binh "và" Xã hội'
    assert has_diacritics("cai nghiện") and not has_diacritics("cai nghien")


def test_abbreviations_expand_from_the_table():
    assert "phòng, chống ma túy" in expand_abbreviations("Tháng hành động PCMT")
    assert expand_abbreviations("Sở LĐTB&XH và UBND tỉnh") == "Lao động - Thương binh và Xã hội Ủy ban nhân dân"
    assert expand_abbreviations("ca mau") == ""  # case matters: 'ca' is not an abbreviation


def test_folded_terms_hold_syllable_pairs():
    assert "cai_nghien" in folded_terms("Cai nghiện ma túy")


@given(st.text(max_size=200))
def test_fold_is_idempotent_and_never_fails(text):
    assert fold(fold(text)) == fold(text)
    assert normalize(normalize(text)) == normalize(text)
