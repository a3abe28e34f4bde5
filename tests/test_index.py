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
    shutil.copy(sorted(corpus.iterdir())[0], corpus / "copy-of-plan.txt")
    report = build([corpus], tmp_path / "index", embedder="hash")
    assert [Path(p).name for p, _ in report.duplicates] == ["copy-of-plan.txt"] or len(report.duplicates) == 1
    assert len(open_index(tmp_path / "index").documents) == 3


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


@pytest.mark.slow
def test_sigkill_during_indexing_leaves_the_previous_index_working(corpus, tmp_path):
    root = tmp_path / "index"
    build([corpus], root, embedder="hash")
    before = (root / "CURRENT").read_text()
    for p in list(PLANS.values())[3:]:
        shutil.copy(p, corpus / p.name)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, "-m", "khsearch.cli", "index", str(corpus), "--index", str(root),
                             "--embedder", "hash", "-q"], env=env, stderr=subprocess.DEVNULL)
    time.sleep(2.0)  # parsing and tokenising two plans takes longer than this
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    idx = open_index(root)
    if (root / "CURRENT").read_text() == before:
        assert len(idx.documents) == 3
    assert search(idx, "Sở Y tế chủ trì", 3)
