"""The index on disk: incremental updates, atomic generations, clear errors, nothing indexed lost."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from khsearch.index import IndexError_, build, open_index
from khsearch.retrieve import search

from conftest import PLANS


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for p in list(PLANS.values())[:3]:
        shutil.copy(p, folder / p.name)
    return folder


def test_manifest_and_plain_files(hash_index):
    gen = hash_index.gen
    names = {p.name for p in gen.iterdir()}
    assert {"manifest.json", "documents.jsonl", "paragraphs.jsonl", "vectors.faiss", "terms-words.npz",
            "terms-folded.npz"} <= names
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embedder"] == "hash" and manifest["dim"] == 256
    assert len(manifest["documents"]) == 5
    assert all(len(d["sha256"]) == 64 for d in manifest["documents"].values())
    assert "Sở Y tế" in (gen / "paragraphs.jsonl").read_text(encoding="utf-8")  # readable, not \\u escapes


def test_incremental_update_processes_only_changes(corpus, tmp_path):
    root = tmp_path / "index"
    first = build([corpus], root, embedder="hash")
    assert len(first.added) == 3 and first.embedded > 0
    gen_before = (root / "CURRENT").read_text()
    again = build([corpus], root, embedder="hash")
    assert (again.added, again.updated, again.removed, again.embedded) == ([], [], [], 0)
    assert len(again.unchanged) == 3
    assert (root / "CURRENT").read_text() == gen_before  # nothing changed: no new generation written

    changed = corpus / PLANS["Cà Mau"].name
    changed.write_text(changed.read_text(encoding="utf-8").replace(
        "I. MỤC TIÊU, YÊU CẦU\n", "I. MỤC TIÊU, YÊU CẦU\n\nĐoạn mới: Sở Y tế bổ sung 7 điểm cấp phát thuốc.\n", 1),
        encoding="utf-8")
    shutil.copy(PLANS["Khánh Hòa"], corpus / "khanh-hoa.txt")
    (corpus / PLANS["Quảng Ninh"].name).unlink()
    third = build([corpus], root, embedder="hash")
    assert len(third.updated) == 1 and len(third.added) == 1 and len(third.removed) == 1
    assert 0 < third.embedded < third.reused  # only new passages are embedded
    idx = open_index(root)
    assert len(idx.documents) == 3
    assert any("7 điểm cấp phát" in h.paragraph.text for h in search(idx, "điểm cấp phát thuốc", 5))


def test_bad_file_is_reported_and_the_rest_indexed(corpus, tmp_path):
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 4)
    report = build([corpus], tmp_path / "index", embedder="hash")
    failed = {Path(p).name: reason for p, reason in report.failed}
    assert set(failed) == {"empty.txt", "binary.txt"}
    assert "empty" in failed["empty.txt"]
    assert len(report.added) == 3 and not report.ok


def test_a_changed_file_that_became_unreadable_keeps_its_indexed_version(corpus, tmp_path):
    root = tmp_path / "index"
    build([corpus], root, embedder="hash")
    victim = sorted(corpus.iterdir())[0]
    victim.write_bytes(b"")
    report = build([corpus], root, embedder="hash")
    assert [Path(p).name for p, _ in report.failed] == [victim.name]
    assert len(open_index(root).documents) == 3


def test_same_plan_twice_is_indexed_once(corpus, tmp_path):
    """Of identical files, the first in path order is indexed and each later one reported as repeating it; an indexed
    copy stays when a new copy sorts before it; when it is removed, the first remaining copy takes its place."""
    original = corpus / PLANS["Cà Mau"].name
    for name in ("a-copy.txt", "z-copy.txt"):  # one sorts before the original, one after
        shutil.copy(original, corpus / name)
    root = tmp_path / "index"

    def duplicates(report):
        return [(Path(p).name, same) for p, same in report.duplicates]
    report = build([corpus], root, embedder="hash")
    assert duplicates(report) == [(original.name, "a-copy"), ("z-copy.txt", "a-copy")]
    assert [Path(p).name for p in report.added] == ["a-copy.txt", "quang-ninh-50-kh-ubnd-2024.txt",
                                                    "thai-binh-74-kh-ubnd-2024.txt"]

    shutil.copy(original, corpus / "0-copy.txt")
    report = build([corpus], root, embedder="hash")
    assert (report.added, report.removed) == ([], [])
    assert duplicates(report) == [("0-copy.txt", "a-copy"), (original.name, "a-copy"), ("z-copy.txt", "a-copy")]

    (corpus / "a-copy.txt").unlink()
    report = build([corpus], root, embedder="hash")
    assert [Path(p).name for p in report.removed] == ["a-copy.txt"]
    assert [Path(p).name for p in report.added] == ["0-copy.txt"]
    assert duplicates(report) == [(original.name, "0-copy"), ("z-copy.txt", "0-copy")]
    assert sorted(open_index(root).documents) == ["0-copy", "quang-ninh-50-kh-ubnd-2024", "thai-binh-74-kh-ubnd-2024"]


def _quotes_its_file(index) -> bool:
    return all(Path(d.path).read_text(encoding="utf-8")[p.start:p.end] == p.text
               for d in index.documents.values() for p in d.paragraphs)


def test_a_file_that_became_a_copy_of_another_plan_leaves_the_index(tmp_path):
    """b.txt, indexed as Quảng Ninh's plan, is overwritten with Cà Mau's (a.txt): b is reported as a duplicate of a
    and removed, not kept with Quảng Ninh's text that its file no longer holds. Two files that swap their texts are
    both re-read."""
    src, root = tmp_path / "src", tmp_path / "index"
    src.mkdir()
    shutil.copy(PLANS["Cà Mau"], src / "a.txt")
    shutil.copy(PLANS["Quảng Ninh"], src / "b.txt")
    build([src], root, embedder="hash")
    shutil.copy(src / "a.txt", src / "b.txt")
    report = build([src], root, embedder="hash")
    assert report.duplicates == [(str(src / "b.txt"), "a")] and report.removed == [str(src / "b.txt")]
    index = open_index(root)
    assert sorted(index.documents) == ["a"] and _quotes_its_file(index)

    shutil.copy(PLANS["Quảng Ninh"], src / "b.txt")
    build([src], root, embedder="hash")
    shutil.copy(PLANS["Quảng Ninh"], src / "a.txt")
    shutil.copy(PLANS["Cà Mau"], src / "b.txt")
    report = build([src], root, embedder="hash")
    index = open_index(root)
    assert report.duplicates == [] and sorted(report.updated) == [str(src / "a.txt"), str(src / "b.txt")]
    assert {d: index.documents[d].metadata.province for d in index.documents} == {"a": "Quảng Ninh", "b": "Cà Mau"}
    assert _quotes_its_file(index)


def test_clear_errors_for_missing_damaged_and_mismatched_index(corpus, tmp_path):
    with pytest.raises(IndexError_, match="khsearch index"):
        open_index(tmp_path / "nowhere")
    root = tmp_path / "index"
    build([corpus], root, embedder="hash")
    gen = root / (root / "CURRENT").read_text().strip()
    manifest = json.loads((gen / "manifest.json").read_text())
    (gen / "manifest.json").write_text(json.dumps({**manifest, "format": 99}))
    with pytest.raises(IndexError_, match="rebuild"):
        open_index(root)
    (gen / "manifest.json").write_text(json.dumps(manifest))
    (gen / "paragraphs.jsonl").write_text("{not json")
    with pytest.raises(IndexError_, match="damaged"):
        open_index(root)


def test_cli_refuses_an_index_built_with_another_embedder(corpus, tmp_path):
    from khsearch.cli import main
    root = tmp_path / "index"
    build([corpus], root, embedder="hash")
    assert main(["search", "--index", str(root), "--embedder", "e5-small", "ma túy"]) == 1


# `khsearch index ARGS` that stops once the new generation is half written (documents and paragraphs, no vectors,
# no lexical arrays, no manifest), writes that folder's path to MARKER and waits there to be killed.
HALF_WRITTEN = r'''
import sys, time
from pathlib import Path
import khsearch.index as ix
from khsearch.cli import main
marker, real = Path(sys.argv[1]), ix._dump_jsonl

def dump_then_wait(path, rows):
    real(path, rows)
    if Path(path).name == "paragraphs.jsonl":
        marker.with_suffix(".tmp").write_text(str(Path(path).parent), encoding="utf-8")
        marker.with_suffix(".tmp").replace(marker)  # the test never reads it half written
        time.sleep(600)
ix._dump_jsonl = dump_then_wait
sys.exit(main(sys.argv[2:]))
'''


def test_sigkill_during_indexing_leaves_the_previous_index_working(corpus, tmp_path):
    root, marker, log = tmp_path / "index", tmp_path / "half-written", tmp_path / "writer.stderr"
    build([corpus], root, embedder="hash")
    before = (root / "CURRENT").read_text(encoding="utf-8").strip()
    old_docs = set(open_index(root).documents)
    for p in list(PLANS.values())[3:]:
        shutil.copy(p, corpus / p.name)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    with open(log, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-c", HALF_WRITTEN, str(marker), "index", str(corpus), "--index",
                                 str(root), "--embedder", "hash", "-q"], env=env, stderr=err)
    try:
        for _ in range(1200):  # at most 1,200 waits of 0.1 s for it to reach the point
            if marker.exists() or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), f"the writer ended before writing paragraphs: {log.read_text(errors='replace')}"
        half = Path(marker.read_text(encoding="utf-8"))
        written = {p.name for p in half.iterdir()}
        assert half.parent == root and half.name != before  # mid-write: a new generation, partly written
        assert {"documents.jsonl", "paragraphs.jsonl"} <= written and not {"manifest.json", "vectors.faiss"} & written
        assert (root / "CURRENT").read_text(encoding="utf-8").strip() == before
        with pytest.raises(IndexError_, match="another 'khsearch index' is updating"):  # it holds the lock
            build([corpus], root, embedder="hash")
    finally:
        proc.kill()
    assert proc.wait(timeout=60) == -signal.SIGKILL

    idx = open_index(root)  # the old generation answers
    assert idx.gen.name == before and set(idx.documents) == old_docs
    hits = search(idx, "Sở Y tế chủ trì", 3)
    assert hits and {h.paragraph.doc_id for h in hits} <= old_docs
    report = build([corpus], root, embedder="hash")  # the next update completes and clears what the kill left
    assert report.ok and len(report.added) == 2 and len(report.unchanged) == 3
    idx = open_index(root)
    assert len(idx.documents) == 5 and idx.complete
    assert not half.exists() and sorted(p.name for p in root.iterdir() if p.name.startswith(".")) == [".lock"]


def test_an_index_without_vectors_is_searched_by_its_words(corpus, tmp_path):
    """'--embedder none': nothing is embedded or waited for, and the hits are those of the lexical rankers of an
    index that has vectors."""
    from khsearch.answer import ask
    report = build([corpus], tmp_path / "words", embedder="none")
    build([corpus], tmp_path / "hashed", embedder="hash")
    words, hashed = open_index(tmp_path / "words"), open_index(tmp_path / "hashed")
    assert report.ok and report.embedded == 0 and words.complete and words.vectors.d == 0
    assert words.embedder_name == "none" and build([corpus], tmp_path / "words").unchanged  # it stays 'none'
    for q in ("Sở Y tế chủ trì điều trị Methadone", "xa sach ma tuy", "kinh phí thực hiện kế hoạch"):
        assert [h.paragraph.id for h in search(words, q, 10)] == \
               [h.paragraph.id for h in search(hashed, q, 10, rankers=("words", "folded"))]
    assert ask(words, "Cơ quan nào chủ trì mở rộng điều trị Methadone ở Cà Mau?").found
