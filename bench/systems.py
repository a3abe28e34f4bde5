"""The three systems on the real corpus: khsearch, plain BM25 over 1000-char chunks, the LangChain recipe."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from common import K, ROOT, dev_questions, latencies, quality, question_set, rss_mb, timed_e5

CHUNK = 1000


def khsearch(p: dict) -> dict:
    """Paragraph-level hybrid search, built by khsearch.index.build with e5-small into a fresh folder. On dev2 the
    build leaves one plan out, then adds it as a user would: seconds until it is searchable by its words, then
    until its vectors are in."""
    from khsearch.index import build, open_index
    from khsearch.read import discover
    from khsearch.retrieve import search

    name, gold, sources = question_set(p)
    root = Path(p["workdir"]) / f"khsearch-index-{name}"
    files = discover(sources)
    others = sorted(discover(sources[1:]), key=lambda f: f.stat().st_size)
    added = others[len(others) // 2] if others else None  # the plan of median size beyond corpus/
    emb = timed_e5()  # model load is not part of the build time (the same for baseline B)
    t = time.perf_counter()
    first = build([f for f in files if f != added], root, emb)
    build_s = time.perf_counter() - t
    counters = emb.counters()
    out = {"system": "khsearch", "set": name, "unit": "paragraph", "build_s": build_s, **counters,
           "embedded": first.embedded}
    if added:
        report = build(files, root, emb)
        out["added"] = {"plan": added.name, "paragraphs": report.embedded, "searchable_s": report.searchable_after,
                        "seconds": report.seconds, "tokens": report.tokens, "embed_s": report.embed_seconds,
                        "documents": len(open_index(root).documents)}
    t = time.perf_counter()
    again = build(files, root, emb)
    out.update(reindex_s=time.perf_counter() - t, reindex_embedded=again.embedded,
               reindex_unchanged=len(again.unchanged), reindex_cli_s=_reindex_cli(root, files))
    ix = open_index(root)

    def hits(question):
        return [(c.province, c.text) for c in (h.citation() for h in search(ix, question, K))]

    out.update(units=len(ix.paragraphs), unit_chars=float(np.mean([len(x.text) for x in ix.paragraphs])),
               quality=quality(gold, hits), latency=latencies(lambda q: search(ix, q, K), [q["question"] for q in gold],
                                                              p["reps"]))
    out["rss_after_search_mb"] = rss_mb()
    return out


def _reindex_cli(root: Path, files: list[Path]) -> float | None:
    """`khsearch index` on the unchanged plans as a user runs it: interpreter start and imports included."""
    cli = Path(sys.executable).with_name("khsearch")
    t = time.perf_counter()
    done = subprocess.run([str(cli), "index", *map(str, files), "--index", str(root), "-q"], cwd=ROOT,
                          capture_output=True, text=True)
    return time.perf_counter() - t if done.returncode == 0 else None


def _plans(sources: list[Path]) -> list[tuple[str, str]]:
    """(province, decoded text) of each plan file; the province as khsearch's metadata reads it."""
    from khsearch.metadata import apply_sidecar, extract
    from khsearch.parse import parse_paragraphs
    from khsearch.read import discover, read

    out = []
    for f in discover(sources):
        src = read(f)
        meta = apply_sidecar(extract(parse_paragraphs(src.text, f.stem), src.text), f)
        out.append((meta.province or "", src.text))
    return out


def bm25_chunks(p: dict) -> dict:
    """Baseline A: blind 1000-character chunks, bm25s over underthesea words (khsearch.normalize.words)."""
    import bm25s
    from khsearch.normalize import words

    name, gold, sources = question_set(p)
    plans = _plans(sources)  # metadata extraction is not part of this baseline's build time
    words("khởi động")  # load underthesea's model outside the timed part
    t = time.perf_counter()
    chunks = [(prov, text[i:i + CHUNK]) for prov, text in plans for i in range(0, len(text), CHUNK)]
    bm = bm25s.BM25()
    bm.index([words(c) or ["∅"] for _, c in chunks], show_progress=False)
    build_s = time.perf_counter() - t

    def top(question):
        s = bm.get_scores(words(question))
        order = np.argsort(-s, kind="stable")[:K]
        return order[s[order] > 0]

    out = {"system": "BM25 over 1000-char chunks", "set": name, "unit": "1000-char chunk", "units": len(chunks),
           "unit_chars": float(np.mean([len(c) for _, c in chunks])), "build_s": build_s,
           "quality": quality(gold, lambda q: [chunks[i] for i in top(q)]),
           "latency": latencies(top, [q["question"] for q in gold], p["reps"])}
    out["rss_after_search_mb"] = rss_mb()
    return out


def langchain_e5(p: dict) -> dict:
    """Baseline B: RecursiveCharacterTextSplitter(1000, 200) + e5-small + FAISS IndexFlatIP."""
    import faiss
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    name, gold, sources = question_set(p)
    plans = _plans(sources)
    emb = timed_e5()
    t = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK, chunk_overlap=200)
    chunks = [(prov, c) for prov, text in plans for c in splitter.split_text(text)]
    vectors = emb.passages([c for _, c in chunks])
    flat = faiss.IndexFlatIP(emb.dim)
    flat.add(vectors)
    build_s = time.perf_counter() - t
    counters = emb.counters()

    def top(question):
        _, ids = flat.search(emb.query(question)[None, :], K)
        return ids[0][ids[0] >= 0]

    out = {"system": "LangChain splitter + e5-small + FAISS", "set": name, "unit": "recursive chunk (1000/200)",
           "units": len(chunks), "unit_chars": float(np.mean([len(c) for _, c in chunks])),
           "build_s": build_s, **counters,
           "quality": quality(gold, lambda q: [chunks[i] for i in top(q)]),
           "latency": latencies(top, [q["question"] for q in gold], p["reps"])}
    out["rss_after_search_mb"] = rss_mb()
    return out


def e5_query(p: dict) -> dict:
    """The e5 query embedding alone, optionally with one busy process competing for the cores.

    The OpenMP settings come from the environment run.py gives this process (libgomp reads it at load).
    """
    from khsearch.embed import get_embedder

    emb = get_embedder("e5-small")
    questions = [q["question"] for q in dev_questions(p["dev"])]
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if p["busy"] else None
    try:
        if busy:
            time.sleep(0.5)
        return {"busy": p["busy"], "latency": latencies(emb.query, questions, p["reps"])}
    finally:
        if busy:
            busy.kill()
            busy.wait()
