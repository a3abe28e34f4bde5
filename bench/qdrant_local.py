"""khsearch's Qdrant store in qdrant-client's local mode, filled with the synthetic corpus of bench/scale.py.

`write` copies the scale-build job's folder index into a fresh local-mode store with khsearch.qdrant's own
create() and publish(): the same documents, the folder's vectors, and the folder's stored terms (the synthetic
terms are recombined real underthesea tokens, so terms() of the synthetic text would differ a little and blur
the comparison; what terms() costs is timed on a sample). `search` opens the store with
khsearch.stores.open_index, times search and compares its top 10 with the folder's on the same questions.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from common import K, dev_questions, folder_mb, latencies, rss_mb
from scale import StandIn, dev_queries

STORE = "scale-qdrant"
TERMS_SAMPLE = 300  # paragraphs run through khsearch.index.terms() to estimate its cost
COLD = "kế hoạch phòng, chống ma túy"


def _address(p: dict) -> str:
    return f"qdrant+local:{Path(p['workdir']) / STORE}"


def _stored_terms(ix) -> dict[str, dict[str, list[str]]]:
    """Each searchable paragraph's terms by field, as the folder index stored them (Index.lexicon())."""
    lex = ix.lexicon()
    out: dict[str, dict[str, list[str]]] = {}
    for f, vocab in lex.vocab.items():
        by_id = np.empty(max(vocab.values()) + 1, object)
        by_id[list(vocab.values())] = list(vocab)
        for pid, row in lex.rows.items():
            out.setdefault(pid, {})[f] = by_id[row[f]].tolist()
    return out


def _terms_cost(paragraphs) -> dict:
    """Seconds khsearch.index.terms() (underthesea) takes on a sample, and its estimate for every paragraph."""
    from khsearch.index import terms
    sample = paragraphs[:TERMS_SAMPLE]
    terms(sample[0])  # imports underthesea
    t = time.perf_counter()
    for par in sample:
        terms(par)
    seconds = time.perf_counter() - t
    return {"paragraphs": len(sample), "seconds": seconds, "estimate_s": seconds / len(sample) * len(paragraphs)}


def _complete_one(conn, manifest: dict, dim: int) -> float:
    """Seconds khsearch.qdrant._complete takes for one waiting plan (its vectors are in: the scan and its facts);
    that plan is then off `waiting`, the others stay on it."""
    import khsearch.qdrant as kq
    first, rest = manifest["waiting"][0], manifest["waiting"][1:]
    manifest["waiting"] = [first]
    t = time.perf_counter()
    kq._complete(conn, manifest, StandIn(dim), None)
    seconds = time.perf_counter() - t
    manifest["waiting"] = rest
    conn.write_manifest(manifest)
    return seconds


def write(p: dict) -> dict:
    """Write the synthetic folder index into a fresh local-mode store; time the terms and average lengths, the
    publish (points per second), one plan's facts; the store's size on disk and this process's RSS."""
    import khsearch.qdrant as kq
    from khsearch import stores
    from khsearch.index import Report, content_key, open_index

    work = Path(p["workdir"])
    ix = open_index(work / "scale-index")
    docs = list(ix.documents.values())
    matrix = ix.vectors.reconstruct_n(0, ix.vectors.ntotal)
    rows = {content_key(par): i for i, par in enumerate(ix.paragraphs)}
    vectors = lambda d, key: {k: matrix[rows[k]].tolist() for k in map(content_key, d.paragraphs) if k in rows}

    t = time.perf_counter()
    stored = _stored_terms(ix)
    kq.terms = lambda par: stored[par.id]  # the store gets the same terms as the folder
    avgdl = kq._average_lengths([], docs, {})
    terms_s = time.perf_counter() - t

    path = work / STORE
    shutil.rmtree(path, ignore_errors=True)
    rss_before = rss_mb()
    conn = kq.Connection(stores.address(_address(p)))
    manifest = kq.create(conn, StandIn(matrix.shape[1]))
    t = time.perf_counter()
    manifest = kq.publish(conn, manifest, docs, set(), vectors, Report(), avgdl)
    publish_s, rss_written = time.perf_counter() - t, rss_mb()
    points = sum(len(d.paragraphs) for d in docs)
    complete_one_s = _complete_one(conn, manifest, matrix.shape[1])
    conn.close()
    return {"paragraphs": len(ix.paragraphs), "documents": len(docs), "points": points, "terms_s": terms_s,
            "avgdl_sample": kq.ANCHOR_SAMPLE,
            "publish_s": publish_s, "points_per_s": points / publish_s, "store_mb": folder_mb(path),
            "rss_before_write_mb": rss_before, "rss_written_mb": rss_written, "complete_one_s": complete_one_s,
            "terms_sample": _terms_cost(ix.paragraphs)}


def _overlap(folder_hits, store_hits) -> dict:
    """Share of the folder's top-10 paragraphs the store also returns, and how many top 10s are the same list."""
    shares, same = [], 0
    for a, b in zip(folder_hits, store_hits):
        ids_a, ids_b = [h.paragraph.id for h in a], [h.paragraph.id for h in b]
        same += ids_a == ids_b
        if ids_a:
            shares.append(len(set(ids_a) & set(ids_b)) / len(ids_a))
    return {"mean": float(np.mean(shares)) if shares else None, "min": min(shares, default=None),
            "identical": same, "queries": len(folder_hits)}


def search(p: dict) -> dict:
    """Open the local-mode store; time the open, the first searches and warm search with and without a province
    filter (the queries of scale.search_synthetic); then the folder index on the same queries, and the overlap of
    the two stores' top 10s."""
    from khsearch import stores
    from khsearch.index import open_index
    from khsearch.normalize import words
    from khsearch.retrieve import search

    plain, scoped = dev_queries(dev_questions(p["dev"]))
    questions = len(plain)
    if p.get("queries"):  # the first few only: local mode scores every point in Python
        plain, scoped = plain[:p["queries"]], scoped[:p["queries"]]
    no_filter = lambda ix: lambda s: search(ix, s, K)
    with_filter = lambda ix: lambda sp: search(ix, sp[0], K, province=sp[1])
    rss_start = rss_mb()
    t = time.perf_counter()
    qx = stores.open_index(store=_address(p))
    open_s, rss_open = time.perf_counter() - t, rss_mb()
    words("khởi động")  # imports underthesea, outside the first search
    t = time.perf_counter()
    search(qx, COLD, K)  # loads the e5 model
    cold_s = time.perf_counter() - t
    t = time.perf_counter()
    search(qx, COLD, K, province="Cà Mau")
    cold_filtered_s = time.perf_counter() - t
    out = {"paragraphs": sum(v["paragraphs"] for v in qx.manifest["documents"].values()),
           "documents": len(qx.documents),
           "waiting": len(qx.waiting), "questions": questions, "open_s": open_s, "rss_start_mb": rss_start,
           "rss_open_mb": rss_open,
           "cold_search_s": cold_s, "cold_filtered_search_s": cold_filtered_s,
           "latency_no_filter": latencies(no_filter(qx), plain, p["reps"]),
           "latency_province": latencies(with_filter(qx), scoped, p["reps"])}
    out["rss_searched_mb"] = rss_mb()
    fx = open_index(Path(p["workdir"]) / "scale-index")
    out["folder_no_filter"] = latencies(no_filter(fx), plain, p["reps"])
    out["folder_province"] = latencies(with_filter(fx), scoped, p["reps"])
    out["overlap_no_filter"] = _overlap(list(map(no_filter(fx), plain)), list(map(no_filter(qx), plain)))
    out["overlap_province"] = _overlap(list(map(with_filter(fx), scoped)), list(map(with_filter(qx), scoped)))
    return out
