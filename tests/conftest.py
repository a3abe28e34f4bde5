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


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


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
