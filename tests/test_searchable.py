"""An update is searchable by its words before its vectors are computed; the vectors follow."""
import subprocess
import sys

import numpy as np
import pytest

from khsearch.index import add_vectors, build, open_index
from khsearch.retrieve import rankings, search

PLAN = ("ỦY BAN NHÂN DÂN\nTỈNH LÀO CAI\n\nSố: {n}/KH-UBND\n\nLào Cai, ngày 20 tháng 11 năm 2025\n\n"
        "KẾ HOẠCH\n{topic}\n\nI. NHIỆM VỤ\n1. {task} (Sở Khoa học và Công nghệ chủ trì).\n"
        "2. Sở Tài chính bố trí kinh phí thực hiện.\n")


def _plans(folder, *plans):
    folder.mkdir(exist_ok=True)
    for n, topic, task in plans:
        (folder / f"lao-cai-{n}.txt").write_text(PLAN.format(n=n, topic=topic, task=task), encoding="utf-8")
    return folder


def test_new_paragraphs_are_searched_by_their_words_until_their_vectors_come(tmp_path):
    src = _plans(tmp_path / "plans", (9, "Phát triển dữ liệu số", "Xây dựng kho dữ liệu dùng chung của tỉnh"))
    build([src], tmp_path / "index", embedder="hash")
    _plans(src, (12, "Phòng chống thiên tai", "Lắp đặt trạm quan trắc mưa lũ tại các xã vùng cao"))

    report = build([src], tmp_path / "index", vectors=False)
    index = open_index(tmp_path / "index")
    assert report.embedded == len(index.pending) > 0 and report.searchable_after is not None
    assert index.waiting == ["lao-cai-12"]
    assert search(index, "trạm quan trắc mưa lũ", 1)[0].document.doc_id == "lao-cai-12"
    dense = rankings(index, "trạm quan trắc mưa lũ", None)["dense"][0]
    waiting = {index.paragraphs[i].id for i in index.pending}
    assert len(dense) and not {p.id for p in dense} & waiting  # a zero vector is no evidence

    assert add_vectors(tmp_path / "index") == report.embedded
    index = open_index(tmp_path / "index")
    assert not index.pending and index.waiting == []
    vectors = index.vectors.reconstruct_n(0, index.vectors.ntotal)
    assert np.all(np.linalg.norm(vectors, axis=1) > 0.5)
    assert add_vectors(tmp_path / "index") == 0


def test_a_run_stopped_before_its_vectors_is_completed_by_the_next_run(tmp_path):
    src = _plans(tmp_path / "plans", (9, "Phát triển dữ liệu số", "Xây dựng kho dữ liệu dùng chung của tỉnh"))
    build([src], tmp_path / "index", embedder="hash", vectors=False)
    assert open_index(tmp_path / "index").pending
    report = build([src], tmp_path / "index")  # nothing changed in the files
    assert report.unchanged and report.embedded > 0 and not open_index(tmp_path / "index").pending


def test_reading_vietnamese_does_not_load_the_translation_models():
    """underthesea imports its translator (transformers, seconds) when it can; khsearch never needs it."""
    code = ("import sys; from khsearch.normalize import normalize, words; normalize('hoà'); words('cai nghiện');"
            "print('transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_assignments_and_targets_are_read_once_when_indexed_and_kept_for_unchanged_plans(tmp_path, monkeypatch):
    import khsearch.index as index_module
    src = _plans(tmp_path / "plans", (9, "Phát triển dữ liệu số", "Xây dựng kho dữ liệu dùng chung của tỉnh"),
                 (10, "Chuyển đổi số", "Số hóa hồ sơ đất đai tại các xã"))
    build([src], tmp_path / "index", embedder="hash")
    index = open_index(tmp_path / "index")
    assert index.complete and (index.gen / "facts.jsonl").exists()
    assert index.facts("lao-cai-9") == index_module.document_facts(index.documents["lao-cai-9"])
    assert ("Sở Khoa học và Công nghệ", "chủ trì") in {(a.agency, a.role) for a in index.facts("lao-cai-9")[0]}

    read = []
    real = index_module.document_facts
    monkeypatch.setattr(index_module, "document_facts", lambda doc: read.append(doc.doc_id) or real(doc))
    _plans(src, (10, "Chuyển đổi số", "Số hóa hồ sơ đất đai và nhà ở tại các xã"))  # one plan changes
    build([src], tmp_path / "index")
    assert read == ["lao-cai-10"]
    index = open_index(tmp_path / "index")
    assert "nhà ở" in index.facts("lao-cai-10")[0][0].task and not read[1:]


@pytest.mark.parametrize("local", [False, True], ids=["folder", "qdrant-local"])
def test_a_plan_added_on_the_page_is_searchable_before_its_vectors(tmp_path, monkeypatch, local):
    from khsearch import stores, ui
    if local:
        pytest.importorskip("qdrant_client")
    store = f"qdrant+local:{tmp_path / 'qdrant'}" if local else None
    src = _plans(tmp_path / "corpus", (9, "Phát triển dữ liệu số", "Xây dựng kho dữ liệu dùng chung của tỉnh"))
    stores.build([src], tmp_path / "index", embedder="hash", store=store)
    lib = ui.Library(tmp_path / "index", src, store)
    served = lib.index.version
    upload = _plans(tmp_path / "uploads", (12, "Phòng chống thiên tai", "Lắp đặt trạm quan trắc mưa lũ"))
    started = []
    monkeypatch.setattr(ui, "_complete_later", lambda lib: started.append(lib))  # run it below, by hand
    message = ui.add_plan(lib, str(upload / "lao-cai-12.txt"))
    assert "Đã thêm" in message and "Véc-tơ" in message and started == [lib]
    assert search(lib.index, "trạm quan trắc mưa lũ", 1)[0].document.doc_id == "lao-cai-12"
    assert lib.index.waiting == ["lao-cai-12"] and lib.index.version != served
    searchable = lib.index.version
    ui.add_vectors(tmp_path / "index", store=store)
    lib.refresh()
    assert lib.index.complete and lib.index.version != searchable
    assert lib.index.facts("lao-cai-12")[0]  # its assignments, read after it became searchable


def test_an_update_scores_words_as_a_build_from_scratch_does(tmp_path):
    """Terms kept as ids from the last generation give the same BM25 scores as terms read afresh."""
    from khsearch.index import FIELDS, terms
    src = _plans(tmp_path / "plans", (9, "Phát triển dữ liệu số", "Xây dựng kho dữ liệu dùng chung của tỉnh"),
                 (10, "Chuyển đổi số", "Số hóa hồ sơ thủ tục hành chính"))
    build([src], tmp_path / "updated", embedder="hash")
    (src / "lao-cai-10.txt").unlink()  # one plan goes, one comes, one stays
    _plans(src, (12, "Phòng chống thiên tai", "Lắp đặt trạm quan trắc mưa lũ và kho dữ liệu thiên tai"))
    build([src], tmp_path / "updated", embedder="hash")
    build([src], tmp_path / "fresh", embedder="hash")
    updated, fresh = open_index(tmp_path / "updated"), open_index(tmp_path / "fresh")

    assert [p.id for p in updated.paragraphs] == [p.id for p in fresh.paragraphs]
    for f in FIELDS:
        assert len(updated.lexical[f].vocab_dict) == len(fresh.lexical[f].vocab_dict)  # no word of the removed plan
        for query in (["kho", "dữ_liệu"], ["kho", "du_lieu", "thien", "tai"], ["trạm", "tram", "so", "hoa"]):
            assert np.allclose(updated.lexical[f].get_scores(query), fresh.lexical[f].get_scores(query))
    stored = updated.lexicon()
    for p in updated.paragraphs:  # the ids decode to the words the paragraph has
        for f in FIELDS:
            vocab = list(stored.vocab[f])
            assert [vocab[i] for i in stored.rows[p.id][f]] == (terms(p)[f] or ["∅"])


def test_the_command_names_the_plans_still_waiting_for_vectors(tmp_path, capsys):
    from khsearch.cli import main
    src = _plans(tmp_path / "plans", (9, "Phát triển dữ liệu số", "Xây dựng kho dữ liệu dùng chung của tỉnh"))
    assert main(["index", str(src), "--index", str(tmp_path / "index"), "--embedder", "hash"]) == 0
    _plans(src, (12, "Phòng chống thiên tai", "Lắp đặt trạm quan trắc mưa lũ tại các xã vùng cao"))
    capsys.readouterr()
    assert main(["index", str(src), "--index", str(tmp_path / "index")]) == 0
    said = capsys.readouterr().err
    assert "khsearch: searchable now by words; computing vectors for 1 of 2 plans: lao-cai-12\n" in said
