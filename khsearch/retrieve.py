"""Find the paragraphs that answer a question: BM25 over words and folded syllables, dense vectors, fused."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .embed import get_embedder
from .normalize import cues, expand_abbreviations, fold, folded_terms, has_diacritics, nfc, normalize, words
from .places import MERGED_ON, absorbed, canonical, find_provinces, mentions, merged_into
from .records import Document, Hit, Paragraph
from .stores import Store

DEPTH = 100  # how deep each ranker's list goes into the fusion
# Scores are fused after scaling each ranker's list to [0, 1]: BM25 by its best score, so a clear lexical
# winner keeps its margin; cosine by its range. The small 4-bit dense model counts for half.
WEIGHTS = {"dense": 0.5, "words": 1.0, "folded": 1.0}
PLAN_WEIGHT = 0.3  # a paragraph of the plan whose title the question names counts this much more
KIND_WEIGHT = {"heading": 0.85, "title": 0.85, "table_header": 0.7}


@dataclass(frozen=True)
class Scope:
    """Which plans a question is about: named provinces, the ones the index lacks, the plans to search."""

    provinces: tuple[str, ...]  # the question's provinces, else the filter's
    missing: tuple[str, ...]  # named provinces of which the index holds no plan (nor of their merger partners)
    docs: tuple[str, ...] | None  # doc_ids of the plans to search; None: every plan
    overridden: str | None = None  # a filter province the question contradicts: the question wins

    def note(self) -> str:
        """The sentence that tells the user a filter was set aside, or ''."""
        return (f"Bộ lọc tỉnh là {self.overridden} nhưng câu hỏi hỏi về {', '.join(self.provinces)}: "
                "dùng tỉnh câu hỏi nêu.") if self.overridden else ""


def scope(index: Store, query: str, province: str | None = None, doc_id: str | None = None,
          year: int | None = None) -> Scope:
    """Narrow the search to the plans a filter or the question names ('ở Cà Mau', 'khanh hoa').

    A province merged in 2025 also finds the plans its new province wrote after the merger, and a new
    province the plans of those it absorbed. When the filter and the question name unrelated provinces,
    the question wins and `overridden` says which filter was set aside.
    """
    asked = list(dict.fromkeys(find_provinces(query)))
    chosen = (canonical(province) or province) if province else None
    overridden = None
    if chosen and asked and not any(_covers(chosen, p, None) or _covers(p, chosen, None) for p in asked):
        named, overridden = asked, chosen
        if doc_id and (d := index.documents.get(doc_id)) and d.metadata.province not in asked:
            doc_id = None  # the document filter belongs to the province set aside
    else:
        named = [chosen] if chosen else asked
    docs = list(index.documents.values())
    missing = tuple(p for p in named if not any(_covers(p, d.metadata.province, d.metadata.date) for d in docs))
    wanted = [p for p in named if p not in missing]
    if not doc_id and (cited := _cited_documents(query, docs, wanted)) and len(cited) == 1:
        doc_id = cited[0]  # 'Kế hoạch 308 của Hà Nội', 'Quyết định 2853/QĐ-UBND': that document only
    if not doc_id and (plan := named_plan(query, [d for d in docs if not wanted or any(
            _covers(p, d.metadata.province, d.metadata.date) for p in wanted)])):
        doc_id = plan.doc_id  # 'kế hoạch bảo vệ bí mật nhà nước của Nghệ An': the plan its title names
    if not (wanted or doc_id or year):
        return Scope(tuple(named), missing, None if not missing else (), overridden)
    keep = tuple(d.doc_id for d in docs
                 if (not wanted or any(_covers(p, d.metadata.province, d.metadata.date) for p in wanted))
                 and (not doc_id or d.doc_id == doc_id) and (not year or d.year == year))
    return Scope(tuple(named), missing, keep, overridden)


def plans_of(index: Store, provinces: list[str]) -> tuple[list[Document], list[str]]:
    """The indexed plans that speak for any of `provinces` (names as users type them: 'thai binh', 'TP. HCM'),
    and the names that are no province or have no plan here."""
    docs, unknown = [], []
    for name in provinces:
        asked = canonical(name)
        found = [d for d in index.documents.values() if asked and _covers(asked, d.metadata.province, d.metadata.date)]
        docs += [d for d in found if d not in docs]
        if not found:
            unknown.append(name)
    return docs, unknown


def _covers(asked: str, plan_province: str | None, plan_date: str | None) -> bool:
    """Whether a plan of `plan_province` speaks for `asked`: the same province, a province it absorbed
    in 2025, or the province it joined, for plans written after the merger (or undated)."""
    if not plan_province:
        return False
    if plan_province == asked or plan_province in absorbed(asked):
        return True
    return merged_into(asked) == plan_province and (not plan_date or plan_date >= MERGED_ON)


_CITED_NUMBER = re.compile(r"(?<![\w/])(\d{1,5})\s*/\s*(?:\d{4}\s*/\s*)?([^\W\d_]+)")
_WHOLE_NUMBER = re.compile(r"(?<![\w/])(\d{1,5})\s*/\s*(?:\d{4}\s*/\s*)?[^\W\d_]+(?:\s*-\s*[^\W\d_]+)*")
_CITED_TYPE = re.compile(r"(?<!\w)(kế hoạch|quyết định|kh|qđ|ke hoach|quyet dinh|qd)\s+(?:số\s+|so\s+)?"
                         r"(\d{1,5})(?![\d/])", re.IGNORECASE)


def _cited_documents(query: str, docs, provinces: list[str]) -> list[str]:
    """The indexed plans whose number the question cites: '308/KH-UBND', 'Kế hoạch 308', 'QĐ 1627'."""
    q = normalize(query)
    cited = {(m[1].lstrip("0"), fold(m[2])) for m in _CITED_NUMBER.finditer(q)}
    cited |= {(m[2].lstrip("0"), {"ke hoach": "kh", "quyet dinh": "qd"}.get(fold(m[1]), fold(m[1])))
              for m in _CITED_TYPE.finditer(q)}
    if not cited:
        return []
    out = []
    for d in docs:
        number = d.metadata.number or ""
        n, _, suffix = number.partition("/")
        kind = fold(re.split(r"[-/]", suffix)[0]) if suffix else ""
        if (n.lstrip("0"), kind) in cited and (not provinces or any(
                _covers(p, d.metadata.province, d.metadata.date) for p in provinces)):
            out.append(d.doc_id)
    return out


def strip_places(query: str) -> str:
    """The question without the places it names: the filter already applies them."""
    text = nfc(query)
    for _, s, e in reversed(mentions(text)):
        text = text[:s] + " " * (e - s) + text[e:]
    return " ".join(text.split())


@lru_cache(maxsize=4)
def _embedder(name: str):
    return get_embedder(name)


@lru_cache(maxsize=256)
def _query_vector(name: str, text: str) -> np.ndarray:
    """A question's vector, once per question: compare searches every plan with the same words."""
    return _embedder(name).query(text)


RANKERS = tuple(WEIGHTS)


def rankings(index: Store, query: str, docs: tuple[str, ...] | None, rankers: tuple[str, ...] = RANKERS,
             depth: int | None = DEPTH) -> dict[str, tuple[list[Paragraph], np.ndarray]]:
    """Per ranker (of `rankers`): (paragraphs, scores), best first, at most `depth` long (None: every paragraph
    that scores), over the plans `docs` (None: all). The store ranks; both stores score the same way."""
    text = strip_places(normalize(query)) or normalize(query)
    extra = expand_abbreviations(text)
    if docs is not None and not docs:
        return {}
    out = {}
    fields = {"folded": folded_terms(text + " " + extra)} if "folded" in rankers else {}
    if has_diacritics(text) and "words" in rankers:
        fields["words"] = words(text + " " + extra)
    for name, q in fields.items():
        if q:
            found = index.rank(name, q, docs, depth)
            if found[0]:
                out[name] = found
    if "dense" in rankers and index.dim:  # an index built with '--embedder none' has no vectors
        out["dense"] = index.rank("dense", _query_vector(index.embedder_name, text), docs, depth)
    return out


def search(index: Store, query: str, k: int = 10, province: str | None = None, doc_id: str | None = None,
           year: int | None = None, rankers: tuple[str, ...] = RANKERS) -> list[Hit]:
    """The k paragraphs that best answer `query`, fused from lexical and dense rankings (`rankers`: which)."""
    sc = scope(index, query, province, doc_id, year)
    if not query.strip() or (sc.docs is not None and not sc.docs):
        return []
    docs = index.documents if sc.docs is None else sc.docs
    prior = _plan_prior(index, query, docs)
    ranked = rankings(index, _within_plan(index, _without_own_number(index, query, docs), prior), sc.docs, rankers)
    return _fused(index, ranked, prior, k)


def best_by_plan(index: Store, topic: str, docs: list[Document], k: int = 10) -> dict[str, list[Hit]]:
    """The k best paragraphs of each plan of `docs` for `topic`, as a search of that plan alone ranks them, from
    one ranking of all their paragraphs: a comparison costs one search, not one per plan."""
    if not topic.strip() or not docs:
        return {}
    by_plan: dict[str, dict[str, tuple[list, list]]] = {}
    for name, (found, scores) in rankings(index, topic, tuple(d.doc_id for d in docs), depth=None).items():
        for p, s in zip(found, scores.tolist()):  # each plan's own list keeps the order of the whole one
            mine = by_plan.setdefault(p.doc_id, {}).setdefault(name, ([], []))
            if len(mine[0]) < DEPTH:
                mine[0].append(p)
                mine[1].append(s)
    return {d: _fused(index, {name: (found, np.array(scores)) for name, (found, scores) in ranked.items()}, {}, k)
            for d, ranked in by_plan.items()}


def _fused(index: Store, ranked: dict[str, tuple[list[Paragraph], np.ndarray]], prior: dict[str, float],
           k: int | None = None) -> list[Hit]:
    """The rankers' lists as one, best first: each list scaled to [0, 1], weighted, summed; headings count less,
    and paragraphs of the plan the question names (`prior`) more."""
    fused: dict[str, float] = {}
    parts: dict[str, dict] = {}
    found: dict[str, Paragraph] = {}
    for name, (paras, scores) in ranked.items():
        for p, s, x in zip(paras, scores.tolist(), _scaled(name, scores).tolist()):
            fused[p.id] = fused.get(p.id, 0.0) + WEIGHTS[name] * x
            parts.setdefault(p.id, {})[name] = round(float(s), 4)
            found[p.id] = p
    for i, p in found.items():
        fused[i] *= KIND_WEIGHT.get(p.kind, 1.0) * (1 + PLAN_WEIGHT * prior.get(p.doc_id, 0))
    ceiling = (sum(WEIGHTS[name] for name in ranked) or 1.0) * (1 + PLAN_WEIGHT * bool(prior))  # first everywhere
    return [Hit(found[i], index.documents[found[i].doc_id], fused[i] / ceiling, parts[i])
            for i in sorted(fused, key=lambda i: (-fused[i], i))[:k]]


@lru_cache(maxsize=4096)
def _title_pairs(title: str) -> frozenset[str]:
    """The word pairs of a title (or question) that can name a plan: not its places ('Đồng Tháp'), nor pairs with
    a number ('năm 2025' dates many plans)."""
    return frozenset(t for t in folded_terms(strip_places(title)) if "_" in t and not any(c.isdigit() for c in t))


def _plan_prior(index: Store, query: str, doc_ids) -> dict[str, float]:
    """How well each plan's title matches the question, relative to the best ('trong kế hoạch kinh tế số của
    Bắc Ninh' names one of the province's plans); empty when no title shares two word pairs with it."""
    shared = {d: title_match(query, index.documents[d].metadata.title) for d in doc_ids}
    best = max(shared.values(), default=0)
    return {d: n / best for d, n in shared.items()} if best >= 2 else {}


def title_match(query: str, title: str | None) -> int:
    """How many word pairs a question shares with a plan's title."""
    return len(_title_pairs(query) & _title_pairs(title or ""))


def named_plan(query: str, docs: list[Document]) -> Document | None:
    """The one document among `docs` whose title the question names ('trong kế hoạch biển và hải đảo'), if any."""
    shared = [(title_match(query, d.metadata.title), d) for d in docs]
    best = max((n for n, _ in shared), default=0)
    top = [d for n, d in shared if n == best]
    return top[0] if best >= 2 and len(top) == 1 else None


def _within_plan(index: Store, query: str, prior: dict[str, float]) -> str:
    """The question without the words that only name its plan: once 'kế hoạch thi hành Nghị định về phòng thủ
    dân sự' has picked the plan (by its title), those words no longer tell its paragraphs apart. Kept whole when
    one plan does not stand out, or when fewer than three content words would be left."""
    best = [d for d, s in prior.items() if s == 1.0]
    if len(best) != 1:
        return query
    pairs = {t for t in folded_terms(query) if "_" in t} & _title_pairs(index.documents[best[0]].metadata.title or "")
    if len(pairs) < 3:
        return query
    named = {w for pair in pairs for w in pair.split("_")}
    kept = [w for w in query.split() if fold(w.strip(",.?:;!\"'()")) not in named]
    left = {fold(w.strip(",.?:;!\"'()")) for w in strip_places(" ".join(kept)).split()} - _function_words()
    return " ".join(kept) if sum(w.isalpha() for w in left) >= 3 else query


def _without_own_number(index: Store, query: str, docs) -> str:
    """The question without the number and date of the one document it is scoped to ('Quyết định 2853/QĐ-UBND
    ngày 21/11/2025 ... thay thế những quyết định nào'): they picked the document; in its text they only mark
    its captions."""
    if len(docs) != 1:
        return query
    meta = index.documents[next(iter(docs))].metadata
    number = (meta.number or "").split("/")[0].lstrip("0")
    q = normalize(query)
    if number:
        q = _CITED_TYPE.sub(lambda m: " " if m[2].lstrip("0") == number else m[0], q)  # 'Kế hoạch 308'
        q = _WHOLE_NUMBER.sub(lambda m: " " if m[1].lstrip("0") == number else m[0], q)  # '2853/QĐ-UBND'
    if meta.date and len(meta.date) == 10:
        y, m, d = (int(x) for x in meta.date.split("-"))
        q = re.sub(rf"(?:ngày\s+)?0?{d}\s*(?:tháng\s+0?{m}\s+năm\s+|[/.-]\s*0?{m}\s*[/.-]\s*){y}", " ", q,
                   flags=re.IGNORECASE)
    return " ".join(q.split()) if re.search(r"[^\W\d_]", q) else query  # 'Kế hoạch 308?' alone keeps its words


@lru_cache(maxsize=None)
def _function_words() -> frozenset[str]:
    """Question words and connectives (data/cues.tsv), folded: what a question says besides its content."""
    return frozenset(w for cat in ("question", "connective") for phrase, _ in cues(cat) for w in fold(phrase).split())


def _scaled(name: str, scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if not len(scores):
        return scores
    if name == "dense":
        lo, hi = scores.min(), scores.max()
        return (scores - lo) / (hi - lo) if hi > lo else np.ones_like(scores)
    return scores / scores.max() if scores.max() > 0 else scores
