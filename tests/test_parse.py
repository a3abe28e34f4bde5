"""The plan model on the five real plans, and properties that hold on any text."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from khsearch.parse import CONTENT_KINDS, parse_paragraphs


def find(paras, piece):
    """The paragraph holding `piece` (white space ignored)."""
    flat = " ".join(piece.split())
    hits = [p for p in paras if flat in " ".join(p.text.split())]
    assert hits, f"no paragraph holds {piece!r}"
    return hits[0]


def test_offsets_round_trip_on_every_plan(plans):
    for text, paras, _ in plans.values():
        assert paras
        for p in paras:
            assert text[p.start:p.end] == p.text
            assert p.text == p.text.strip()
        assert len({p.id for p in paras}) == len(paras)


def test_ca_mau_agency_headings_and_labels(plans):
    _, paras, _ = plans["Cà Mau"]
    p = find(paras, "tiếp tục mở rộng chương trình điều trị nghiện các chất dạng thuốc phiện bằng Methadone")
    assert p.section == "IV.4.a"
    assert p.headings == ("IV. PHÂN CÔNG TRÁCH NHIỆM", "4. Sở Y tế")
    assert find(paras, "Tổng hợp phương án phân bổ kinh phí").section == "IV.11.a"
    assert find(paras, "Tổng hợp phương án phân bổ kinh phí").heading == "11. S Tài chính"
    # a paragraph without its own mark belongs to the item before it
    assert find(paras, "tỷ lệ số người nghiện có hồ sơ quản lý được điều trị đạt 80%").section == "IV.3.đ"
    # the site header, the closing recipients and the signature are not content
    assert find(paras, "Số hiệu: 100/KH-UBND").kind == "chrome"  # the law site's block above the document
    assert find(paras, "Trần Hồng Quân").kind not in CONTENT_KINDS
    assert [p.kind for p in paras if "Ban Chỉ đạo 138/CP" in p.text] == ["recipients"]


def test_quang_ninh_reflows_hard_wrapped_lines(plans):
    text, paras, _ = plans["Quảng Ninh"]
    p = find(paras, "Phấn đấu đến năm 2025 có 50% địa bàn cấp xã đạt các tiêu chí")
    assert p.section == "I.2.2" and p.kind == "item"
    assert p.headings[-1] == "2. Mục tiêu cụ thể"
    assert "\n" in p.text  # one paragraph across the wrapped lines
    # '- Thương binh và Xã hội' after a wrapped 'Sở Lao động' is not a list item
    p = find(paras, "Công an tỉnh chủ trì, phối hợp với Sở Lao động - Thương binh và xã hội tổ chức thẩm định")
    assert p.section == "II.7.2"
    heading = find(paras, "II. PHẠM VI, THỜI GIAN, LỘ TRÌNH, TIÊU CHÍ THỰC HIỆN")
    assert heading.kind == "heading" and heading.section == "II"
    assert find(paras, "Xây dựng huyện Bình Liêu, Ba Chẽ, Cô Tô").section == "II.4.2.-1"


def test_thai_binh_superscript_enumerations_and_agency_task_lines(plans):
    _, paras, _ = plans["Thái Bình"]
    p = find(paras, "giúp đỡ, hỗ trợ, cảm hóa được ít nhất 01 thanh niên")
    assert p.section == "I.2.(4)"
    assert p.text.startswith("⁽⁴⁾")
    assert "⁽⁵⁾" not in p.text
    assert find(paras, "Sở Tài chính: Chủ trì, phối hợp với Công an tỉnh").section == "III.9"
    assert find(paras, "Phối hợp với Công an tỉnh xác thực các tài khoản").headings[-1] == "7. Sở Thông tin và Truyền thông"


def test_nghe_an_appendix_table_rows_keep_their_header(plans):
    _, paras, _ = plans["Nghệ An"]
    row = find(paras, "Thành phố Vinh\t27")
    assert row.kind == "table_row"
    assert row.table_header == ("STT", "Đơn vị", "Số vụ")
    assert row.section.startswith("PL.1.r")
    assert row.headings[-1] == "1. Chỉ tiêu bắt giữ tội phạm ma túy"
    # a page break inside a list item is joined back
    assert "\n\n" in find(paras, "không để thất thoát tiền chất").text


def test_khanh_hoa_ocr_text(plans):
    _, paras, _ = plans["Khánh Hòa"]
    p = find(paras, "tập trung vào các địa bàn trọng điểm: Nha Trang, Cam Ranh")
    assert p.section == "III.3.-1"
    assert find(paras, "Đề nghị Tỉnh đoàn tổ chức tuyên truyền mạnh mẽ").headings[-1].startswith("2. Công tác tuyên truyền")
    assert find(paras, "Khánh Hòa, ngày").kind == "place_date"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab Ơơđ.,:;()-+•\t|⁽¹²⁾\n\r IVX12aăđ)ẠỌ\ufeff\u0301")), max_size=400))
def test_parse_never_crashes_and_offsets_round_trip(text):
    for p in parse_paragraphs(text, "t"):
        assert text[p.start:p.end] == p.text
        assert p.kind in CONTENT_KINDS | {"header", "place_date", "recipients", "signature"}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_parse_arbitrary_unicode(text):
    for p in parse_paragraphs(text, "t"):
        assert text[p.start:p.end] == p.text
