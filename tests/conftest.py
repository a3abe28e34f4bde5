"""Shared fixtures: the five plans of corpus/, and an index of them built with the model-free embedder."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
PLANS = {
    "Cà Mau": CORPUS / "ca-mau-100-kh-ubnd-2017.txt",
    "Quảng Ninh": CORPUS / "quang-ninh-50-kh-ubnd-2024.txt",
    "Thái Bình": CORPUS / "thai-binh-74-kh-ubnd-2024.txt",
    "Nghệ An": CORPUS / "nghe-an-321-kh-ubnd-2022.txt",
    "Khánh Hòa": CORPUS / "khanh-hoa-2017.txt",
}
# A small plan of a province the corpus lacks, for tests that add a plan.
LAO_CAI_PLAN = """ỦY BAN NHÂN DÂN
TỈNH LÀO CAI

Số: 12/KH-UBND

Lào Cai, ngày 05 tháng 3 năm 2024

KẾ HOẠCH
Phòng, chống ma túy tại các xã biên giới năm 2024

I. MỤC TIÊU
1. Phấn đấu đến năm 2025 có 60% số xã biên giới đạt tiêu chí sạch ma túy.
II. NHIỆM VỤ
1. Sở Y tế chủ trì triển khai điều trị nghiện bằng thuốc Buprenorphine tại trạm y tế các xã biên giới.
2. Bộ Chỉ huy Bộ đội Biên phòng tỉnh chủ trì tuần tra, kiểm soát đường mòn, lối mở trên tuyến biên giới.
"""


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("KHSEARCH_STORE", raising=False)  # the tests name their stores


@pytest.fixture(scope="session")
def plans():
    from khsearch.metadata import extract
    from khsearch.parse import parse_paragraphs
    out = {}
    for province, path in PLANS.items():
        text = path.read_text(encoding="utf-8")
        paras = parse_paragraphs(text, path.stem)
        out[province] = (text, paras, extract(paras, text))
    return out


@pytest.fixture(scope="session")
def hash_index(tmp_path_factory):
    from khsearch.index import build, open_index
    root = tmp_path_factory.mktemp("index")
    build([CORPUS], root, embedder="hash")
    return open_index(root)


STORES = ("folder", "qdrant+local")


@pytest.fixture(scope="session", params=STORES)
def store_index(request, tmp_path_factory):
    """The index of corpus/ (model-free embedder) in each store: the tests that take it run on both."""
    from khsearch.stores import build, open_index
    root = tmp_path_factory.mktemp(request.param.replace("+", "-"))
    store = None if request.param == "folder" else f"{request.param}:{root}"
    if store:
        pytest.importorskip("qdrant_client")
    build([CORPUS], root, embedder="hash", store=store)
    return open_index(root, store=store)
