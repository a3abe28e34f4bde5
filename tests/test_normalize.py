"""Normalised and folded forms: what compares equal for matching."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from khsearch.answer import content_words, intent
from khsearch.normalize import (Matcher, expand_abbreviations, fold, fold_aligned, folded_terms, has_diacritics,
                                is_vietnamese, nfc, normalize, unify_tones)


def test_old_and_new_tone_placement_compare_equal():
    assert unify_tones("hòa") == unify_tones("hoà")
    assert unify_tones("Khánh Hòa") == unify_tones("Khánh Hoà")
    assert unify_tones("ủy ban") == unify_tones("uỷ ban")
    assert unify_tones("thúy") == unify_tones("thuý")
    assert unify_tones("hoàn thành") == "hoàn thành"  # closed syllables keep their mark
    assert unify_tones("quý") == "quý"


@pytest.mark.parametrize("word", ["của", "mùa", "quả", "khuya", "thuở", "quý", "quỳnh", "huế", "giữa", "hoàn",
                                  "Thuận", "chuyển", "khuyến", "CỦA", "Mùa"])
def test_normalising_never_misspells(word):
    assert normalize(word) == word  # the old rule wrote 'cuả', 'muà'


@pytest.mark.parametrize("a,b", [
    ("hoà", "hòa"), ("thuỷ", "thủy"), ("Khánh Hoà", "Khánh Hòa"), ("KHÁNH HOÀ", "KHÁNH HÒA"), ("uỷ ban", "ủy ban"),
    ("Thanh Hoá", "Thanh Hóa"), ("khoẻ", "khỏe"), ("tuỳ", "tùy"), ("loà xoà", "lòa xòa"), ("hoạ", "họa"),
])
def test_two_tone_placements_compare_equal(a, b):
    assert normalize(a) == normalize(b) and fold(a) == fold(b)


@pytest.mark.parametrize("text,phrase,held", [
    ("Quy chế tìm kiếm, cứu nạn máy bay", "mấy", False),  # with diacritics: compared with them
    ("kéo dài mấy ngày làm việc?", "mấy", True),
    ("keo dai may ngay lam viec", "mấy", True),  # without: folded
    ("Ai phụ trách giáo dục?", "giao", False),
    ("Tỉnh giao sở nào?", "giao", True),
    ("Tình hình ma túy ra sao?", "tỉnh", False),
    ("Điều trị nghiện bằng Methadone", "chủ trì", False),
    ("ngày nào hằng tháng", "ban hành ngày nào", False),
    ("Ban hành ngày nào?", "ban hành ngày nào", True),
    ("Tỷ lệ phủ sóng đạt bao nhiêu %?", "%", True),
])
def test_cue_phrases_match_with_the_diacritics_typed(text, phrase, held):
    assert Matcher(text).has(phrase) is held


@pytest.mark.parametrize("question,kind", [
    ("Quy chế phối hợp tìm kiếm, cứu nạn máy bay dân dụng do sở nào chủ trì ban hành?", "agency"),  # máy ≠ mấy
    ("Chỉ tiêu tỷ lệ hộ dân dùng nước sạch đạt 95% do đơn vị nào chủ trì?", "agency"),  # 'chỉ tiêu' is the topic
    ("chi tieu ty le ho dan dung nuoc sach dat 95% do don vi nao chu tri", "agency"),
    ("Mục tiêu về tỷ lệ hộ nghèo đa chiều năm 2026?", "target"),  # only topic words: they decide
    ("Tỷ lệ hộ nghèo giảm mấy phần trăm mỗi năm?", "target"),
    ("Sở Y tế chủ trì những nhiệm vụ gì?", "general"),  # asks for tasks, 'chủ trì' is the topic
    ("Ai ký quyết định ban hành kế hoạch?", "signer"),
    ("Kế hoạch được ban hành ngày nào?", "date"),
    ("Cơ quan ban hành kế hoạch là cơ quan nào?", "issuer"),
    ("Kế hoạch thay thế văn bản nào?", "general"),
])
def test_intent_reads_the_words_that_ask(question, kind):
    assert intent(question) == kind


def test_stop_words_leave_words_that_merely_fold_like_them():
    assert {"dieu", "tri"} <= content_words("Sở nào chủ trì điều trị Methadone?")  # 'chủ trì' ≠ 'trị'
    assert "giao" in content_words("Ai phụ trách giáo dục pháp luật?")  # 'giao' ≠ 'giáo'
    assert "tinh" in content_words("Tình hình ma túy diễn biến ra sao?")  # 'tỉnh' ≠ 'tình'
    assert "tri" not in content_words("Sở nào chủ trì tuyên truyền?")
    assert "dien" in content_words("Theo dõi diễn biến ở Điện Biên") and "bien" in content_words("diễn biến")


def test_english_and_vietnamese_without_diacritics_are_told_apart():
    assert not is_vietnamese("Which agency leads methadone treatment in Ca Mau?")
    assert is_vietnamese("co quan nao chu tri dieu tri methadone o ca mau")
    assert is_vietnamese("Cơ quan nào chủ trì?")


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
    assert len(fold_aligned(nfc(text))) == len(nfc(text))
