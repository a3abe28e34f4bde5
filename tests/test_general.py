"""Questions about what a plan or decision says: the document a question cites by number, lists asked for whole."""
import pytest

from khsearch.answer import ask
from khsearch.index import build, open_index

DECISION = """ỦY BAN NHÂN DÂN
TỈNH LÀO CAI

Số: 12/QĐ-UBND

Lào Cai, ngày 20 tháng 11 năm 2025

QUYẾT ĐỊNH
Ban hành Kế hoạch phòng, chống thiên tai năm 2026

Điều 1. Ban hành kèm theo Quyết định này Kế hoạch phòng, chống thiên tai năm 2026.

Điều 2. Quyết định này có hiệu lực kể từ ngày ký. Thay thế Quyết định số 5/QĐ-UBND ngày 02 tháng 3 năm 2021 \
của Ủy ban nhân dân tỉnh Lào Cai về phòng, chống thiên tai trên địa bàn tỉnh Lào Cai; Quyết định số 7/QĐ-UBND \
ngày 09 tháng 5 năm 2022 của Ủy ban nhân dân tỉnh Yên Bái về phòng, chống thiên tai trên địa bàn tỉnh Yên Bái; \
Quyết định số 9/QĐ-UBND ngày 13 tháng 4 năm 2023 của Ủy ban nhân dân tỉnh Lào Cai về ứng phó sự cố.

Điều 3. Chánh Văn phòng Ủy ban nhân dân tỉnh, Giám đốc các Sở chịu trách nhiệm thi hành Quyết định này.

KẾ HOẠCH
Phòng, chống thiên tai năm 2026
(Ban hành kèm theo Quyết định số 12/QĐ-UBND ngày 20 tháng 11 năm 2025 của Ủy ban nhân dân tỉnh)

I. NHIỆM VỤ
1. Lắp đặt trạm đo mưa tự động tại các xã vùng cao (Sở Nông nghiệp và Môi trường chủ trì).
"""


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plans")
    (folder / "lao-cai-12-2025.txt").write_text(DECISION, encoding="utf-8")
    root = tmp_path_factory.mktemp("index")
    build([folder], root, embedder="hash")
    return open_index(root)


def test_the_number_that_picked_the_document_does_not_rank_its_captions_first(index):
    a = ask(index, "Quyết định 12/QĐ-UBND ngày 20 tháng 11 năm 2025 của Lào Cai về phòng, chống thiên tai thay thế những quyết định nào?")
    assert a.citations[0].section == "Đ2"


def test_a_list_asked_for_is_answered_whole(index):
    a = ask(index, "Quyết định 12/QĐ-UBND ngày 20 tháng 11 năm 2025 của Lào Cai về phòng, chống thiên tai thay thế những quyết định nào?")
    assert all(n in a.answer for n in ("5/QĐ-UBND", "7/QĐ-UBND", "9/QĐ-UBND"))
    assert "có hiệu lực" not in a.answer  # the list, not the sentence before it
