"""Document metadata of the five plans, found wherever the text gives it; None where it does not."""
import json

import pytest

from khsearch.metadata import apply_sidecar
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
