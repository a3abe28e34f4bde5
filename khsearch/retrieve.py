"""Find the paragraphs that answer a question: BM25 over words and folded syllables, dense vectors, fused."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .embed import get_embedder
from .index import Index
from .metadata import find_provinces, provinces
from .normalize import expand_abbreviations, fold, folded_terms, has_diacritics, normalize, words
from .records import Hit

DEPTH = 100  # how deep each ranker's list goes into the fusion
# Scores are fused after scaling each ranker's list to [0, 1]: BM25 by its best score, so a clear lexical
# winner keeps its margin; cosine by its range. The small 4-bit dense model counts for half.
WEIGHTS = {"dense": 0.5, "words": 1.0, "folded": 1.0}
KIND_WEIGHT = {"heading": 0.85, "title": 0.85, "table_header": 0.7}


@dataclass(frozen=True)
class Scope:
    """Which plans a question is about: named provinces, the ones the index lacks, the rows to search."""

    provinces: tuple[str, ...]
    missing: tuple[str, ...]
    rows: np.ndarray | None  # None: every paragraph


def scope(index: Index, query: str, province: str | None = None, doc_id: str | None = None,
          year: int | None = None) -> Scope:
    """Narrow the search to the plans a filter or the question names ('ở Cà Mau', 'khanh hoa')."""
    named = [provinces()[fold(province)][0] if fold(province) in provinces() else province] if province \
        else list(dict.fromkeys(find_provinces(query)))
    held = {d.metadata.province for d in index.documents.values()}
    missing = tuple(p for p in named if p not in held)
    wanted = [p for p in named if p in held]
    if not (wanted or doc_id or year):
        return Scope(tuple(named), missing, None if not missing else np.zeros(0, int))
    docs = [d.doc_id for d in index.documents.values()
            if (not wanted or d.metadata.province in wanted) and (not doc_id or d.doc_id == doc_id)
            and (not year or d.year == year)]
    rows = np.concatenate([index.rows_of(d) for d in docs]) if docs else np.zeros(0, int)
    return Scope(tuple(named), missing, np.sort(rows))


def strip_places(query: str) -> str:
    """The question without the province it names: the filter already applies it."""
    folded = fold(query)
    out = query
    for name in sorted({n for n in provinces() if n in folded}, key=len, reverse=True):
        start = folded.find(name)
        while start >= 0:
            out = out[:start] + " " * len(name) + out[start + len(name):]
            folded = folded[:start] + " " * len(name) + folded[start + len(name):]
            start = folded.find(name)
    return " ".join(out.split())


@lru_cache(maxsize=4)
def _embedder(name: str):
    return get_embedder(name)


def rankings(index: Index, query: str, rows: np.ndarray | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per ranker: (rows, scores), best first, at most DEPTH long."""
    text = strip_places(normalize(query)) or normalize(query)
    extra = expand_abbreviations(text)
    n = len(index.paragraphs)
    cand = np.arange(n) if rows is None else rows
    out = {}
    fields = {"folded": folded_terms(text + " " + extra)}
    if has_diacritics(text):
        fields["words"] = words(text + " " + extra)
    for name, q in fields.items():
        if not q or not len(cand):
            continue
        s = index.lexical[name].get_scores(q)[cand]
        out[name] = _top(cand, s)
    if len(cand):
        qv = _embedder(index.embedder_name).query(text)[None, :]
        if rows is None:
            scores, ids = index.vectors.search(qv, min(n, DEPTH))
        else:  # FAISS with a selector, not numpy: BLAS threads left spinning slow the next query's embedding
            import faiss
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(cand.astype(np.int64)))
            scores, ids = index.vectors.search(qv, min(len(cand), DEPTH), params=params)
        keep = ids[0] >= 0
        out["dense"] = (ids[0][keep], scores[0][keep])
    return out


def _top(cand: np.ndarray, scores: np.ndarray):
    """The DEPTH best candidates that match at all, best first."""
    if len(scores) > DEPTH:
        part = np.argpartition(-scores, DEPTH)[:DEPTH]
        order = part[np.argsort(-scores[part], kind="stable")]
    else:
        order = np.argsort(-scores, kind="stable")
    order = order[scores[order] > 0]
    return cand[order], scores[order]


def search(index: Index, query: str, k: int = 10, province: str | None = None, doc_id: str | None = None,
           year: int | None = None) -> list[Hit]:
    """The k paragraphs that best answer `query`, fused from lexical and dense rankings."""
    sc = scope(index, query, province, doc_id, year)
    if not query.strip() or (sc.rows is not None and not len(sc.rows)):
        return []
    fused: dict[int, float] = {}
    parts: dict[int, dict] = {}
    ranked = rankings(index, query, sc.rows)
    for name, (ids, scores) in ranked.items():
        for i, s, x in zip(ids.tolist(), scores.tolist(), _scaled(name, scores).tolist()):
            fused[i] = fused.get(i, 0.0) + WEIGHTS[name] * x
            parts.setdefault(i, {})[name] = round(float(s), 4)
    for i in fused:
        fused[i] *= KIND_WEIGHT.get(index.paragraphs[i].kind, 1.0)
    best = sorted(fused, key=lambda i: -fused[i])[:k]
    ceiling = sum(WEIGHTS[name] for name in ranked) or 1.0  # first in every ranking
    return [Hit(index.paragraphs[i], index.documents[index.paragraphs[i].doc_id], fused[i] / ceiling, parts[i])
            for i in best]


def _scaled(name: str, scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if not len(scores):
        return scores
    if name == "dense":
        lo, hi = scores.min(), scores.max()
        return (scores - lo) / (hi - lo) if hi > lo else np.ones_like(scores)
    return scores / scores.max() if scores.max() > 0 else scores
