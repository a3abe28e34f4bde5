"""Normalised and folded forms: the exact spelling each gives, and what compares equal for matching."""
import unicodedata
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khsearch.answer import content_words, intent
from khsearch.normalize import (Matcher, expand_abbreviations, fold, fold_aligned, folded_terms, has_diacritics,
                                is_vietnamese, nfc, normalize, unify_tones)


@pytest.mark.parametrize("old,new", [
    ("hoà", "hòa"), ("thuỷ", "thủy"), ("Khánh Hoà", "Khánh Hòa"), ("KHÁNH HOÀ", "KHÁNH HÒA"), ("uỷ ban", "ủy ban"),
    ("Thanh Hoá", "Thanh Hóa"), ("khoẻ", "khỏe"), ("tuỳ", "tùy"), ("loà xoà", "lòa xòa"), ("hoạ", "họa"),
    ("Thuỵ", "Thụy"), ("hoè", "hòe"), ("thuý", "thúy"),
])
def test_old_tone_placement_is_written_as_underthesea_writes_it(old, new):
    """In an open 'oa', 'oe', 'uy' syllable the mark goes on the first vowel; that spelling stays as it is."""
    assert unify_tones(old) == new and normalize(old) == new
    assert unify_tones(new) == new and normalize(new) == new
    assert fold(old) == fold(new)


@pytest.mark.parametrize("word", ["của", "mùa", "quả", "qua", "khuya", "thuở", "quý", "quỳnh", "huế", "giữa", "hoàn",
                                  "Thuận", "chuyển", "khuyến", "CỦA", "Mùa", "Quỹ", "khoáng", "ngoằn", "khuỷu",
                                  "người", "hoàn thành", "quốc", "thuế", "xoáy"])
def test_normalising_never_misspells(word):
    assert normalize(word) == word  # the old rule wrote 'cuả', 'muà'
    assert unify_tones(word) == word


@pytest.mark.parametrize("text", ["Quảng Ninh", "Khánh Hòa", "ĐẮK LẮK", "Sở Lao động - Thương binh và Xã hội",
                                  "phòng, chống ma túy", "Thừa Thiên Huế", "nghiện ma túy của người dân"])
def test_decomposed_text_comes_out_composed(text):
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    assert nfc(nfd) == text and unify_tones(nfd) == text and normalize(nfd) == text


def test_decomposed_old_tone_placement_is_composed_and_moved():
    assert normalize(unicodedata.normalize("NFD", "Khánh Hoà, thuỷ sản")) == "Khánh Hòa, thủy sản"
    assert unify_tones(unicodedata.normalize("NFD", "sức khoẻ")) == "sức khỏe"


@pytest.mark.parametrize("text,folded", [
    ("Quảng Ninh", "quang ninh"), ("Đắk Lắk", "dak lak"), ("ĐIỆN BIÊN", "dien bien"), ("diễn biến", "dien bien"),
    ("Thừa Thiên Huế", "thua thien hue"), ("Bà Rịa - Vũng Tàu", "ba ria - vung tau"), ("Khánh Hoà", "khanh hoa"),
    ("Cơ quan nào chủ trì", "co quan nao chu tri"), ("đường", "duong"), ("Ưu tiên", "uu tien"),
    ("Ðà Nẵng", "da nang"),  # U+00D0, the Icelandic eth, typed for Đ
    ("\u0189ắk Nông", "dak nong"),  # U+0189, the African D
])
def test_fold_gives_exactly_the_letters_without_marks(text, folded):
    assert fold(text) == folded
    assert fold_aligned(text) == folded  # the same letters, one for one


def test_d_with_stroke_and_its_lookalikes():
    assert normalize("Ðồng Tháp") == "Đồng Tháp" and normalize("\u0189ồng Tháp") == "Đồng Tháp"
    assert normalize("đường") == "đường"  # normalising keeps đ; only folding makes it d
    assert fold("Đ") == fold("đ") == fold("Ð") == "d"
    assert has_diacritics("đong") and not has_diacritics("dong")  # a question typed with đ is matched with it


# Phrases as the plans in /work/shared/plans write them (file named): normalised, folded.
REAL = [
    ("bacninh-141-2025-xaydungphapluat.md", "UỶ BAN NHÂN DÂN", "ỦY BAN NHÂN DÂN", "uy ban nhan dan"),
    ("sonla-2954-2025-xuatkhau.md", "hàng hoá của tỉnh Sơn La", "hàng hóa của tỉnh Sơn La", "hang hoa cua tinh son la"),
    ("dongthap-552-2025-doimoicongnghe.md", "hoa kiểng, thuỷ sản", "hoa kiểng, thủy sản", "hoa kieng, thuy san"),
    ("dongnai-179-2025-kinhteso.md", "Tỷ lệ người dân có hồ sơ sức khoẻ", "Tỷ lệ người dân có hồ sơ sức khỏe",
     "ty le nguoi dan co ho so suc khoe"),
    ("laichau-7360-2025-tieuchuanquychuan.md", "có sức lan toả", "có sức lan tỏa", "co suc lan toa"),
    ("daklak-0125-2025-thiduabaucu.md", "Quốc hội khoá XVI", "Quốc hội khóa XVI", "quoc hoi khoa xvi"),
    ("bacninh-144-2025-kinhteso.md", "chặt chẽ giữa nhà trường và doanh", "chặt chẽ giữa nhà trường và doanh",
     "chat che giua nha truong va doanh"),
    ("bacninh-144-2025-kinhteso.md", "Thông qua Quỹ đầu tư mạo hiểm", "Thông qua Quỹ đầu tư mạo hiểm",
     "thong qua quy dau tu mao hiem"),
    ("bacninh-141-2025-xaydungphapluat.md", "kịp thời, hiệu quả các nhiệm", "kịp thời, hiệu quả các nhiệm",
     "kip thoi, hieu qua cac nhiem"),
    ("daklak-0134-2025-quantracthuysan.md", "Căn cứ Luật Thủy sản năm 2017;", "Căn cứ Luật Thủy sản năm 2017;",
     "can cu luat thuy san nam 2017;"),
    ("daklak-0134-2025-quantracthuysan.md", "Đắk Lắk, ngày 25 tháng 11 năm 2025", "Đắk Lắk, ngày 25 tháng 11 năm 2025",
     "dak lak, ngay 25 thang 11 nam 2025"),
    ("bacninh-144-2025-kinhteso.md", "mô hình “Học từ làm việc thực tế”", 'mô hình "Học từ làm việc thực tế"',
     'mo hinh "hoc tu lam viec thuc te"'),
    ("bacninh-144-2025-kinhteso.md", "phát triển kinh tế – xã hội dựa trên dữ liệu",
     "phát triển kinh tế - xã hội dựa trên dữ liệu", "phat trien kinh te - xa hoi dua tren du lieu"),
]


@pytest.mark.parametrize("plan,written,normalised,folded", REAL, ids=[f"{r[0][:12]}-{i}" for i, r in enumerate(REAL)])
def test_phrases_of_real_plans(plan, written, normalised, folded):
    assert normalize(written) == normalised
    assert fold(written) == folded


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
    assert fold(unicodedata.normalize("NFD", "Cơ quan nào")) == "co quan nao"
    assert normalize("Lao động – Thương binh “và” Xã hội") == 'Lao động - Thương binh "và" Xã hội'
    assert normalize("Sở\u00a0Y\u2009tế\u200b") == "Sở Y tế"  # no-break and thin spaces, a zero-width space
    assert has_diacritics("cai nghiện") and not has_diacritics("cai nghien")


def test_abbreviations_expand_from_the_table():
    assert "phòng, chống ma túy" in expand_abbreviations("Tháng hành động PCMT")
    assert expand_abbreviations("Sở LĐTB&XH và UBND tỉnh") == "Lao động - Thương binh và Xã hội Ủy ban nhân dân"
    assert expand_abbreviations("ca mau") == ""  # case matters: 'ca' is not an abbreviation


def test_folded_terms_hold_syllable_pairs():
    assert "cai_nghien" in folded_terms("Cai nghiện ma túy")


# Vietnamese as files hold it: syllables with either tone placement, composed or decomposed, Đ and its lookalikes,
# bare letters and marks, and the dashes, quotes, spaces and invisible characters normalising unifies.
TONES = "\u0300\u0301\u0303\u0309\u0323"
SYLLABLES = ["hoà", "hòa", "thuỷ", "thủy", "khoẻ", "khỏe", "uỷ", "ủy", "của", "quả", "qua", "giữa", "quý", "khuya",
             "thuở", "hoàn", "người", "Quảng", "ĐẮK", "Lắk", "Điện", "diễn", "khuỷu", "quỳnh", "HOÀ", "Ưu", "tỉnh"]
PIECES = (SYLLABLES + [unicodedata.normalize("NFD", w) for w in SYLLABLES]
          + list("aăâeêioôơuưyqgđĐÐƉAOUY") + list(TONES) + ["\u0302", "\u031b", "\u0306"]
          + [" ", " ", "-", "–", "“", "”", "’", "\u00a0", "\u200b", "\ufeff", ".", ",", "(1)", "2025", "\f", "\n"])
vietnamese = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


def _tones(text: str) -> Counter:
    return Counter(c for c in unicodedata.normalize("NFD", text) if c in TONES)


@settings(max_examples=500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(vietnamese)
def test_normalising_moves_tone_marks_and_folding_removes_them(text):
    n = normalize(text)
    assert unicodedata.is_normalized("NFC", n) and unicodedata.is_normalized("NFC", unify_tones(text))
    assert normalize(n) == n and normalize(unicodedata.normalize("NFD", text)) == n
    assert not _tones(n) - _tones(text)  # a mark may move within its syllable, never appear (underthesea drops a
    # second mark in one syllable: 'ngườì' -> 'người')
    f = fold(text)
    assert f == fold(n) == fold(f) and f == f.lower()
    assert not any(unicodedata.combining(c) for c in f) and not set(f) & set("đĐÐƉð")
    assert len(fold_aligned(nfc(text))) == len(nfc(text))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_fold_is_idempotent_and_never_fails(text):
    assert fold(fold(text)) == fold(text)
    assert normalize(normalize(text)) == normalize(text)
    assert len(fold_aligned(nfc(text))) == len(nfc(text))
