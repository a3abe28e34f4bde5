"""Document metadata of the five plans, found wherever the text gives it; None where it does not."""
import json

import pytest

from khsearch.metadata import apply_sidecar, extract
from khsearch.parse import parse_paragraphs
from khsearch.places import find_provinces
from khsearch.records import Metadata

EXPECTED = {
    "Cà Mau": ("100/KH-UBND", "2017-10-25", "Trần Hồng Quân", "Ủy ban nhân dân tỉnh Cà Mau"),
    "Quảng Ninh": ("50/KH-UBND", "2024-02-20", "Nguyễn Thị Hạnh", "Ủy ban nhân dân tỉnh Quảng Ninh"),
    "Thái Bình": ("74/KH-UBND", "2024-04-11", "Lại Văn Hoàn", "Ủy ban nhân dân tỉnh Thái Bình"),
    "Nghệ An": ("321/KH-UBND", "2022-05-21", "Lê Hồng Vinh", "Ủy ban nhân dân tỉnh Nghệ An"),
    "Khánh Hòa": (None, "2017-03", None, "Ủy ban nhân dân tỉnh Khánh Hòa"),
}


@pytest.mark.parametrize("province", EXPECTED)
def test_metadata_of_each_plan(plans, province):
    _, _, meta = plans[province]
    number, date, signer, issuer = EXPECTED[province]
    assert meta.province == province
    assert (meta.number, meta.date, meta.signer, meta.issuer) == (number, date, signer, issuer)
    assert meta.type == "Kế hoạch"
    assert meta.title


def test_titles(plans):
    assert plans["Khánh Hòa"][2].title == "Công tác phòng, chống ma túy năm 2017"
    assert plans["Quảng Ninh"][2].title.startswith("XÂY DỰNG “XÃ, PHƯỜNG, THỊ TRẤN SẠCH MA TÚY”")


def test_provinces_found_with_or_without_accents():
    assert find_provinces("ke hoach cua khanh hoa va Cà Mau") == ["Khánh Hòa", "Cà Mau"]
    assert find_provinces("tỉnh Khánh Hoà") == ["Khánh Hòa"]
    assert find_provinces("an ninh trật tự") == []


def test_sidecar_overrides_a_field(tmp_path):
    src = tmp_path / "plan.txt"
    src.write_text("x", encoding="utf-8")
    (tmp_path / "plan.txt.meta.json").write_text(json.dumps({"number": "12/KH-UBND"}), encoding="utf-8")
    assert apply_sidecar(Metadata(province="Cà Mau"), src) == Metadata(province="Cà Mau", number="12/KH-UBND")
    (tmp_path / "plan.txt.meta.json").write_text(json.dumps({"nonsense": 1}), encoding="utf-8")
    with pytest.raises(ValueError, match="plan.txt.meta.json"):
        apply_sidecar(Metadata(), src)


# Header and closing side by side, as a two-column layout copied from Word or a PDF: cells parted by a wide gap.
SIDE_BY_SIDE = [
    ("ỦY BAN NHÂN DÂN                    CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
     "  TỈNH QUẢNG TRỊ                      Độc lập - Tự do - Hạnh phúc\n"
     "Số: 45/KH-UBND                   Quảng Trị, ngày 3 tháng 4 năm 2025",
     "KẾ HOẠCH",
     "Nơi nhận:                            TM. ỦY BAN NHÂN DÂN\n"
     "- Các sở, ban, ngành;                KT. CHỦ TỊCH\n"
     "- Lưu: VT, KGVX.                     PHÓ CHỦ TỊCH\n\n\n"
     "                                     HOÀNG NAM",
     ("Quảng Trị", "45/KH-UBND", "2025-04-03", "Kế hoạch", "Hoàng Nam")),
    ("UBND TỈNH ĐỒNG NAI\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
     "\tĐộc lập - Tự do - Hạnh phúc\n"
     "Số: 1207/KH-UBND\tĐồng Nai, ngày 05/3/2024",
     "KẾ HOẠCH",
     "Nơi nhận:\tTM. ỦY BAN NHÂN DÂN\n- Bộ Công an;\tCHỦ TỊCH\n- Sở Y tế;\n- Các xã, phường;\n"
     "- Lưu: VT.\tVõ Tấn Đức",
     ("Đồng Nai", "1207/KH-UBND", "2024-03-05", "Kế hoạch", "Võ Tấn Đức")),
    ("ỦY BAN NHÂN DÂN      CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
     "THÀNH PHỐ HÀ NỘI     Độc lập - Tự do - Hạnh phúc\n"
     "Số: 308/QĐ-UBND      Hà Nội, ngày 17 tháng 11 năm 2025",
     "QUYẾT ĐỊNH",
     "Nơi nhận:                   TM. ỦY BAN NHÂN DÂN\n"
     "- Như Điều 3;               CHỦ TỊCH\n"
     "- Lưu: VT.\n\n"
     "                            TRẦN SỸ THANH",
     ("Hà Nội", "308/QĐ-UBND", "2025-11-17", "Quyết định", "Trần Sỹ Thanh")),
]


@pytest.mark.parametrize("header, doc_type, closing, expected", SIDE_BY_SIDE)
def test_header_and_closing_side_by_side(header, doc_type, closing, expected):
    text = (f"{header}\n\n{doc_type}\nVề công tác phòng, chống thiên tai năm 2025\n\n"
            "I. MỤC ĐÍCH, YÊU CẦU\n\nBảo đảm an toàn cho người dân trên địa bàn.\n\n"
            f"II. TỔ CHỨC THỰC HIỆN\n\nCác sở, ngành triển khai Kế hoạch này.\n\n{closing}\n")
    meta = extract(parse_paragraphs(text, "t"), text)
    assert (meta.province, meta.number, meta.date, meta.type, meta.signer) == expected
    assert meta.title == "Về công tác phòng, chống thiên tai năm 2025"
    assert expected[0] in meta.issuer  # the issuer's lines, not the national motto printed beside them
