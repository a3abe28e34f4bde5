"""khsearch at scale: a synthetic corpus recombined from real paragraphs, written into a real index folder.

Each synthetic paragraph takes a real paragraph as template (kind, section, heading chain, number of clauses)
and fills it with clauses drawn from random real paragraphs. Its lexical terms are the clauses' and headings'
real underthesea tokens (computed once per clause), its vector the mean of the source paragraphs' real e5
vectors plus small noise, normalised. The folder is written by khsearch.index._write itself, so it is exactly
what open_index() reads; the manifest says "e5-small", so queries go through the real model.
"""
from __future__ import annotations

import cProfile
import hashlib
import pstats
import re
import shutil
import sys
import time
from itertools import chain
from pathlib import Path

import numpy as np

from common import CORPUS, K, dev_questions, folder_mb, latencies, rss_mb
from khsearch.embed import Embedder

PER_DOC = 100  # paragraphs per synthetic plan; the five real plans hold about 90 searchable ones on average
NOISE = 0.01  # per dimension, before normalising (a unit e5 vector's components are about 0.05)
HASH_SAMPLE_DOCS = 10  # plans fed to build() with the hash embedder, to estimate what build() would cost
_CLAUSE_END = re.compile(r"(?<=[.;:!?])\s+")


class StandIn(Embedder):
    """Says it is e5-small, so that queries use the real model; never embeds: every vector is supplied."""

    name = "e5-small"

    def __init__(self, dim: int):
        self.dim = dim

    def embed_batch(self, texts, is_query):
        raise RuntimeError("every synthetic paragraph's vector is supplied; nothing should be embedded")



def _matrix(ix):
    """All paragraph vectors of an index as one array (cached on the Index object)."""
    if getattr(ix, "_bench_matrix", None) is None:
        ix._bench_matrix = ix.vectors.reconstruct_n(0, ix.vectors.ntotal)
    return ix._bench_matrix

def clauses(text: str) -> list[str]:
    parts = [c for c in _CLAUSE_END.split(text) if len(c.split()) >= 3]
    return parts or [text]


def piece_terms(text: str) -> dict:
    """Lexical terms of a piece of text, the way khsearch.index.terms() makes them for a passage."""
    from khsearch.normalize import expand_abbreviations, folded_terms, words
    full = text + " " + expand_abbreviations(text)
    return {"words": words(full), "folded": folded_terms(full)}


def build_synthetic(p: dict) -> dict:
    """Write a synthetic index of p["paragraphs"] paragraphs; report how long each step took and its size."""
    from khsearch.index import Lexicon, Report, _write, build, content_key, open_index
    from khsearch.places import provinces
    from khsearch.records import Document, Metadata, Paragraph

    n, work = p["paragraphs"], Path(p["workdir"])
    real, root, src = work / "khsearch-index", work / "scale-index", work / "scale-src"
    if not (real / "CURRENT").exists():  # normally left by the khsearch job
        build([CORPUS], real, "e5-small")
    ix = open_index(real)
    rng = np.random.default_rng(0)

    t = time.perf_counter()
    pieces, source, counts = [], [], []
    for row, par in enumerate(ix.paragraphs):
        cs = clauses(par.text)
        pieces += cs
        source += [row] * len(cs)
        counts.append(len(cs))
    piece_t = [piece_terms(c) for c in pieces]
    chain_t = {h: piece_terms(" > ".join(h)) for h in {x.headings for x in ix.paragraphs}}
    tokenise_s = time.perf_counter() - t

    t = time.perf_counter()
    names = sorted({canonical for canonical, _ in provinces().values()})
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    docs, vectors, terms = [], {}, {}
    for d in range(-(-n // PER_DOC)):
        doc_id, paras, parts, pos = f"syn-{d:05d}", [], [], 0
        for j, tr in enumerate(rng.integers(len(ix.paragraphs), size=min(PER_DOC, n - d * PER_DOC))):
            tpl = ix.paragraphs[tr]
            picks = rng.integers(len(pieces), size=counts[tr])
            text = " ".join(pieces[c] for c in picks)
            para = Paragraph(f"{doc_id}:p{j:04d}", doc_id, tpl.section, tpl.headings, text, pos, pos + len(text),
                             tpl.kind, tpl.table_header)
            parts.append(text)
            pos += len(text) + 2
            v = _matrix(ix)[[source[c] for c in picks]].mean(axis=0) + rng.normal(0, NOISE, _matrix(ix).shape[1])
            vectors[content_key(para)] = (v / np.linalg.norm(v)).astype(np.float32)
            head = chain_t[tpl.headings]
            terms[para.id] = {f: head[f] + list(chain.from_iterable(piece_t[c][f] for c in picks))
                              for f in ("words", "folded")}
            paras.append(para)
        body = "\n\n".join(parts)
        path = src / f"{doc_id}.txt"
        path.write_text(body, encoding="utf-8")
        province = names[d % len(names)]
        meta = Metadata(province=province, number=f"{d + 1}/KH-UBND", date=f"{2015 + d % 10}-0{1 + d % 9}-15",
                        type="Kế hoạch", title=f"Kế hoạch tổng hợp số {d + 1}", issuer=f"Ủy ban nhân dân {province}")
        docs.append(Document(doc_id, str(path.resolve()), hashlib.sha256(body.encode()).hexdigest(), meta,
                             tuple(paras)))
    generate_s = time.perf_counter() - t

    shutil.rmtree(root, ignore_errors=True)
    report = Report()
    t = time.perf_counter()
    known = Lexicon()
    for pid, found in terms.items():
        known.add(pid, found)
    _write(root, docs, StandIn(_matrix(ix).shape[1]), vectors, known, report, None)
    write_s = time.perf_counter() - t
    gen = root / (root / "CURRENT").read_text().strip()
    files = {f.name: (folder_mb(f) if f.is_dir() else f.stat().st_size / 2**20) for f in sorted(gen.iterdir())}
    return {"paragraphs": sum(len(d.paragraphs) for d in docs), "documents": len(docs), "provinces": len(names),
            "source_pieces": len(pieces), "tokenise_pieces_s": tokenise_s, "generate_s": generate_s,
            "write_s": write_s, "embedded": report.embedded, "index_mb": folder_mb(gen), "files_mb": files,
            "source_mb": folder_mb(src), "hash_build": _hash_build_estimate(docs[:HASH_SAMPLE_DOCS], n, work)}


def _hash_build_estimate(sample, n: int, work: Path) -> dict:
    """What build() itself (parse + underthesea + hash vectors) costs per paragraph on synthetic plans."""
    from khsearch.index import build, open_index
    root = work / "scale-hash-sample"
    shutil.rmtree(root, ignore_errors=True)
    t = time.perf_counter()
    build([d.path for d in sample], root, "hash")
    seconds = time.perf_counter() - t
    got = len(open_index(root).paragraphs)
    return {"documents": len(sample), "paragraphs": got, "seconds": seconds,
            "estimate_s": seconds / got * n if got else None}


# What the profile is summed into: (label, end of the file's path, function name).
STAGES = [
    ("search() total", "khsearch/retrieve.py", "search"),
    ("scope(): province and rows to search", "khsearch/retrieve.py", "scope"),
    ("rankings(): the three rankers", "khsearch/retrieve.py", "rankings"),
    ("- strip_places(normalize(query))", "khsearch/retrieve.py", "strip_places"),
    ("- words(): underthesea on the query", "khsearch/normalize.py", "words"),
    ("- folded_terms() of the query", "khsearch/normalize.py", "folded_terms"),
    ("- bm25s get_scores, all rows (2 fields)", "bm25s/__init__.py", "get_scores"),
    ("- _top(): the best DEPTH of a ranker's scores", "khsearch/retrieve.py", "_top"),
    ("- e5 query embedding", "khsearch/embed.py", "query"),
    ("- faiss IndexFlatIP.search over all rows", "faiss/class_wrappers.py", "replacement_search"),
]
SELF = [
    ("- Index.rank() own time: scores[cand], the FAISS selector", "khsearch/index.py", "rank"),
    ("search() own time: fusion loop, sort, Hit objects", "khsearch/retrieve.py", "search"),
]


def profile(fn, queries: list) -> dict:
    """Per-query milliseconds by stage under cProfile, and the functions with the most own time."""
    prof = cProfile.Profile()
    prof.enable()
    for q in queries:
        fn(q)
    prof.disable()
    stats = pstats.Stats(prof).stats  # (file, line, name) -> (calls, ncalls, own s, cumulative s, callers)
    per = 1000 / len(queries)

    def total(suffix, name, col):
        return sum(v[col] for k, v in stats.items() if k[0].endswith(suffix) and k[2] == name) * per

    stages = [(label, total(s, f, 3)) for label, s, f in STAGES] + [(label, total(s, f, 2)) for label, s, f in SELF]
    top = sorted(stats.items(), key=lambda kv: -kv[1][2])[:12]
    own = [(f"{Path(k[0]).name}:{k[1]}({k[2]})" if k[0] != "~" else k[2], v[2] * per, v[1] / len(queries))
           for k, v in top]
    return {"stages": stages, "own": own}


def dev_queries(gold: list[dict]) -> tuple[list[str], list[tuple[str, str]]]:
    """The dev questions without their place names, so that unfiltered queries really search every row; and
    those with their gold province, for the filtered ones."""
    from khsearch.normalize import normalize
    from khsearch.retrieve import strip_places
    stripped = [(strip_places(normalize(q["question"])), q.get("province")) for q in gold]
    return [s for s, _ in stripped if s], [(s, prov) for s, prov in stripped if s and prov]


def search_synthetic(p: dict) -> dict:
    """Load the synthetic index and time warm search with and without a province filter; profile both."""
    from khsearch.index import open_index
    from khsearch.normalize import words
    from khsearch.retrieve import _embedder, scope, search

    gold, reps = dev_questions(p["dev"]), p["reps"]
    rss_start = rss_mb()
    t = time.perf_counter()
    ix = open_index(Path(p["workdir"]) / "scale-index")
    open_s, rss_open = time.perf_counter() - t, rss_mb()
    t = time.perf_counter()
    words("khởi động")  # imports underthesea, and whatever its package imports
    underthesea_s, torch_loaded = time.perf_counter() - t, "torch" in sys.modules
    t = time.perf_counter()
    search(ix, "kế hoạch phòng, chống ma túy", K)  # loads the lexical arrays, faiss and the model
    cold_s = time.perf_counter() - t
    t = time.perf_counter()
    search(ix, "kế hoạch phòng, chống ma túy", K, province="Cà Mau")  # loads the vectors
    cold_filtered_s, rss_loaded = time.perf_counter() - t, rss_mb()

    plain, scoped = dev_queries(gold)
    unscoped = sum(1 for s in plain if scope(ix, s).docs is None)
    kept = [sum(len(ix.rows_of(d)) for d in scope(ix, s, prov).docs) for s, prov in scoped]
    no_filter = lambda s: search(ix, s, K)
    with_filter = lambda sp: search(ix, sp[0], K, province=sp[1])
    out = {"paragraphs": len(ix.paragraphs), "open_s": open_s, "underthesea_s": underthesea_s,
           "torch_loaded": torch_loaded, "cold_search_s": cold_s,
           "cold_filtered_search_s": cold_filtered_s, "rss_start_mb": rss_start, "rss_open_mb": rss_open,
           "rss_loaded_mb": rss_loaded, "queries_unscoped": unscoped, "queries": len(plain),
           "filter_rows_mean": float(np.mean(kept)) if kept else 0.0,
           "latency_no_filter": latencies(no_filter, plain, reps),
           "latency_province": latencies(with_filter, scoped, reps),
           "latency_embed_only": latencies(_embedder(ix.embedder_name).query, plain, reps)}
    out.update(own_work(ix, no_filter, with_filter, plain, scoped, reps))
    if p.get("profile", True):
        out.update(profile_no_filter=profile(no_filter, plain), profile_province=profile(with_filter, scoped))
    out["rss_after_mb"] = rss_mb()
    out["thread_pools"] = thread_pools()
    return out


def stage_costs(p: dict) -> dict:
    """Median ms of the heavy steps of a 100k search alone, next to the usual cheaper ways to do the same."""
    import faiss
    from khsearch.index import open_index
    from khsearch.retrieve import DEPTH

    ix = open_index(Path(p["workdir"]) / "scale-index")
    scores = np.random.default_rng(0).random(len(ix.paragraphs))
    q = _matrix(ix)[:1].copy()
    docs = {d.doc_id for d in ix.documents.values() if d.metadata.province == "Cà Mau"}
    by_doc: dict[str, list[int]] = {}
    for i, par in enumerate(ix.paragraphs):
        by_doc.setdefault(par.doc_id, []).append(i)
    by_doc_rows = {d: np.array(r) for d, r in by_doc.items()}

    def top_by_partition():
        best = np.argpartition(-scores, DEPTH)[:DEPTH]
        return best[np.argsort(-scores[best], kind="stable")]

    def faiss_threads(n):
        faiss.omp_set_num_threads(n)
        return lambda: ix.vectors.search(q, DEPTH)

    steps = [
        ("np.argsort of all the scores, keep the first 100", lambda: np.argsort(-scores, kind="stable")[:DEPTH]),
        ("np.argpartition, then sort the top 100", top_by_partition),
        ("faiss IndexFlatIP.search k=100, 2 threads (default)", faiss_threads(2)),
        ("faiss IndexFlatIP.search k=100, 1 thread", faiss_threads(1)),
        ("numpy Index.matrix @ q over all rows (no top-k)", lambda: _matrix(ix) @ q[0]),
        ("a province's rows by a list comprehension over all paragraphs", lambda: np.array(
            [i for i, par in enumerate(ix.paragraphs) if par.doc_id in docs], dtype=int)),
        ("a province's rows from per-plan arrays made once", lambda: np.concatenate(
            [by_doc_rows[d] for d in docs])),
    ]
    out = []
    for label, fn in steps:
        fn()
        times = []
        for _ in range(p["reps"] * 10):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        out.append((label, float(np.median(times)) * 1000))
    faiss.omp_set_num_threads(2)
    return {"rows": len(ix.paragraphs), "calls": p["reps"] * 10, "steps": out}


def memory_parts(p: dict) -> dict:
    """RSS taken by the parts of a loaded Index, each loaded alone in this fresh process."""
    from khsearch.index import open_index
    before = rss_mb()
    ix = open_index(Path(p["workdir"]) / "scale-index")
    after_open = rss_mb()
    lexicon = ix.lexicon()
    after_terms = rss_mb()
    return {"terms_mb": after_terms - after_open, "open_mb": after_open - before,
            "rows": len(lexicon.rows), "paragraph_records": len(ix.paragraphs)}


class CachedQueries:
    """Stands in for the e5 model in retrieve: each query's vector is computed once, on the warm-up pass."""

    def __init__(self, model):
        self.model, self.vectors = model, {}

    def query(self, text):
        if text not in self.vectors:
            self.vectors[text] = self.model.query(text)
        return self.vectors[text]


def own_work(ix, no_filter, with_filter, plain, scoped, reps) -> dict:
    """The same searches with the query vectors computed beforehand: khsearch's own work, without the model."""
    import khsearch.retrieve as retrieve
    real = retrieve._embedder
    cached = CachedQueries(real(ix.embedder_name))
    retrieve._embedder = lambda name: cached
    try:
        return {"latency_no_filter_cached": latencies(no_filter, plain, reps),
                "latency_province_cached": latencies(with_filter, scoped, reps)}
    finally:
        retrieve._embedder = real


def thread_pools() -> list[dict]:
    """The native thread pools loaded in this process (threadpoolctl), or [] without it."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{"library": i["filepath"].split("site-packages/")[-1], "api": i["internal_api"],
             "threads": i["num_threads"]} for i in threadpool_info()]
