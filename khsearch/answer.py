"""Answer a question from the plans: who is responsible, what the target is, what the document says; cited."""
from __future__ import annotations

import re
from functools import lru_cache

from .facts import ROLES, agencies_in, assignments, clauses, targets
from .index import Index
from .normalize import cues, fold, folded_terms, has_diacritics, normalize, syllables
from .records import Answer, Citation, Hit, Paragraph
from .retrieve import scope, search, strip_places

MIN_COVERAGE = 0.5  # share of the question's content words the answering paragraph must hold
CLOSE = 0.8  # a lower hit may answer instead of the first only when its score is this close


@lru_cache(maxsize=None)
def _folded_cues(category: str) -> tuple[tuple[str, str], ...]:
    return tuple((fold(phrase), value) for phrase, value in cues(category))


def _has(folded_q: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", folded_q) is not None


def intent(question: str) -> str:
    """What a question asks for: 'signer', 'date', 'number', 'issuer', 'target', 'agency' or 'general'."""
    q = fold(question)
    for kind in ("signer", "date", "number", "issuer", "target", "agency"):
        if any(_has(q, phrase) for phrase, _ in _folded_cues(kind)):
            return kind
    return "general"


def asked_unit(question: str) -> str | None:
    """The unit a target question asks for ('%' for 'bao nhiêu phần trăm'), or None."""
    q = " ".join(syllables(question))
    if has_diacritics(question):  # folded 'dong' is both 'đồng' and 'động': compare with the accents
        units = [(" ".join(syllables(phrase)), unit) for phrase, unit in cues("asked_unit")]
    else:
        q, units = fold(q), _folded_cues("asked_unit")
    after = " ".join(q.split("bao nhiêu" if has_diacritics(question) else "bao nhieu", 1)[1].split()[:3]) \
        if re.search(r"bao nhi[eê]u", q) else ""
    if "%" in question:
        return "%"
    for phrase, unit in units:
        if phrase and (after.startswith(phrase) or (unit == "%" and _has(q, phrase))):
            return unit
    return None


def content_words(question: str) -> set[str]:
    """The folded syllables that say what a question is about (cue words and place names left out)."""
    stop = {w for phrase, _ in _folded_cues("question") for w in phrase.split()}
    return {w for w in fold(" ".join(syllables(strip_places(question)))).split() if w not in stop and len(w) > 1}


def coverage(question: str, p: Paragraph) -> float:
    words = content_words(question)
    if not words:
        return 0.0
    have = set(fold(" ".join(syllables(" ".join(p.headings + (p.text,))))).split())
    return len(words & have) / len(words)


def ask(index: Index, question: str, province: str | None = None, k: int = 5, doc_id: str | None = None) -> Answer:
    """A short answer with citations, or found=False with the reason when the plans do not say."""
    question = " ".join(normalize(question or "").split())[:2000]
    if not re.search(r"[^\W\d_]", question):
        return Answer(question, False, "Câu hỏi trống hoặc không có chữ: hãy hỏi bằng một câu tiếng Việt.")
    kind = intent(question)
    sc = scope(index, question, province, doc_id)
    if sc.missing:
        return Answer(question, False, f"Chỉ mục chưa có kế hoạch nào của {', '.join(sc.missing)}.",
                      intent=kind, province=sc.missing[0])
    where = sc.provinces[0] if sc.provinces else None
    if kind in ("signer", "date", "number", "issuer"):
        return _document_fact(index, question, kind, sc, where, doc_id)
    hits = search(index, question, max(k, 10), province, doc_id)
    if not hits or coverage(question, hits[0].paragraph) < MIN_COVERAGE:
        return Answer(question, False, "Không tìm thấy đoạn nào trong các kế hoạch trả lời câu hỏi này.",
                      tuple(h.citation() for h in hits[:k]), kind, where)
    candidates = [h for h in hits[:3] if h.score >= CLOSE * hits[0].score]
    if kind == "target":
        return _target(question, hits, k, where)
    if kind == "agency":
        got = _agency(question, hits, candidates, k, where)
        if got:
            return got
    named = {a for a, _, _ in agencies_in(question)}
    if named:  # 'Đoàn Thanh niên được giao nhiệm vụ gì': the best paragraph that assigns it a task
        own = [h for h in hits if named & {a.agency for a in assignments(h.paragraph)}]
        if own:
            hits = [own[0]] + [h for h in hits if h is not own[0]]
    return _general(question, hits, k, kind, where)


def _cite(hits: list[Hit], first: Hit, k: int, span=None) -> tuple[Citation, ...]:
    rest = [h for h in hits if h is not first][:k - 1]
    return (first.citation(span),) + tuple(h.citation() for h in rest)


def _agency(question, hits, candidates, k, where) -> Answer | None:
    named = {a for a, _, _ in agencies_in(question)}
    for h in candidates:
        found = assignments(h.paragraph)
        if not found:
            continue
        keep = [a for a in found if a.agency not in named] or found
        by_role: dict[str, list[str]] = {}
        for a in keep:
            if a.agency not in by_role.setdefault(a.role, []):
                by_role[a.role].append(a.agency)
        parts = [f"{', '.join(by_role[r])} ({r})" for r in ROLES if r in by_role]
        text = "; ".join(parts) + "."
        answered = {a.agency for a in keep}
        spans = [(s, e) for name, s, e in agencies_in(h.paragraph.text) if name in answered]
        span = (spans[0][0], spans[-1][1]) if spans else None
        return Answer(question, True, text, _cite(hits, h, k, span), "agency", where, tuple(keep))
    return None


def _clause_score(words: set[str], pairs: set[str], clause: str) -> int:
    terms = set(folded_terms(clause))
    return len(words & terms) + 2 * len(pairs & terms)


def _question_terms(question: str) -> tuple[set[str], set[str]]:
    """Content words of a question and its word pairs (the pairs tell 'dạy nghề' from 'điều trị')."""
    return content_words(question), {t for t in folded_terms(strip_places(question)) if "_" in t}


def _target(question, hits, k, where) -> Answer:
    unit = asked_unit(question)
    words, pairs = _question_terms(question)
    best = None
    for rank, h in enumerate(hits[:5]):
        ts = [t for t in targets(h.paragraph) if _unit_fits(unit, t)]
        for s, e in clauses(h.paragraph.text) or [(0, len(h.paragraph.text))]:
            clause = h.paragraph.text[s:e]
            mine = [t for t in ts if t.phrase == " ".join(clause.split()) or h.paragraph.kind == "table_row"]
            if not mine:
                continue
            score = _clause_score(words, pairs, clause) * h.score - rank
            if best is None or score > best[0]:
                best = (score, h, (s, e), mine)
    if best is None:
        what = {"%": "tỷ lệ", "đồng": "kinh phí"}.get(unit or "", "con số")
        return Answer(question, False, f"Các đoạn liên quan nhất không nêu {what} mà câu hỏi hỏi.",
                      tuple(h.citation() for h in hits[:k]), "target", where)
    _, h, (s, e), mine = best
    return Answer(question, True, " ".join(h.paragraph.text[s:e].split()), _cite(hits, h, k, (s, e)),
                  "target", where, targets=tuple(mine))


def _unit_fits(asked: str | None, t) -> bool:
    """Whether a target answers in the unit asked; 'bao nhiêu xã' accepts '50% địa bàn cấp xã'."""
    if asked is None:
        return True
    if asked == "đồng":
        return "đồng" in t.unit
    if fold(asked) in fold(t.unit):
        return True
    return asked != "%" and t.unit == "%" and _has(fold(t.counted), fold(asked))


def _general(question, hits, k, kind, where) -> Answer:
    h = hits[0]
    text = h.paragraph.text
    spans = clauses(text) or [(0, len(text))]
    words, pairs = _question_terms(question)
    if len(text) > 400 and len(spans) > 1:
        s, e = max(spans, key=lambda se: _clause_score(words, pairs, text[se[0]:se[1]]))
    else:
        s, e = 0, len(text)
    return Answer(question, True, " ".join(text[s:e].split()), _cite(hits, h, k, (s, e)), kind, where,
                  tuple(assignments(h.paragraph)))


_NUMBER_IN_Q = re.compile(r"(\d{1,5})\s*/\s*([A-ZĐ][A-ZĐ\-]*)", re.IGNORECASE)


def _document_fact(index: Index, question, kind, sc, where, doc_id=None) -> Answer:
    docs = [d for d in index.documents.values() if (not sc.provinces or d.metadata.province in sc.provinces)
            and (not doc_id or d.doc_id == doc_id)]
    if m := _NUMBER_IN_Q.search(question):
        same = [d for d in docs if d.metadata.number and d.metadata.number.split("/")[0] == m[1]]
        docs = same or docs
    if len(docs) != 1:
        names = ", ".join(sorted(f"{d.metadata.province or '?'}: {d.label}" for d in docs)[:8])
        return Answer(question, False, "Câu hỏi cần nêu rõ kế hoạch nào (tỉnh hoặc số hiệu). Hiện có: " + names,
                      intent=kind, province=where)
    d = docs[0]
    value = {"signer": d.metadata.signer, "date": d.metadata.date, "number": d.metadata.number,
             "issuer": d.metadata.issuer}[kind]
    label = {"signer": "Người ký", "date": "Ngày ban hành", "number": "Số hiệu", "issuer": "Cơ quan ban hành"}[kind]
    if not value:
        return Answer(question, False, f"{d.label} ({d.metadata.province}) không ghi {label.lower()}.",
                      intent=kind, province=d.metadata.province)
    shown = value
    if kind == "date":
        bits = value.split("-")
        shown = "/".join(str(int(b)) for b in reversed(bits[1:])) + "/" + bits[0] if len(bits) == 3 else \
            f"tháng {int(bits[1])}/{bits[0]} (ngày không đọc được)"
        shown = f"{shown} ({value})"
    source = _fact_paragraph(d, kind, value)
    cites = (Hit(source, d, 1.0).citation(),) if source else ()
    return Answer(question, True, f"{label}: {shown} — {d.label}, {d.metadata.province}.", cites, kind,
                  d.metadata.province)


def _fact_paragraph(d, kind, value) -> Paragraph | None:
    """The paragraph a document fact is read from: signature, place-date line, header or caption."""
    want = {"signer": ("signature", "header"), "date": ("place_date", "header", "body"),
            "number": ("header", "body"), "issuer": ("header", "signature", "body")}[kind]
    needle = fold(value if kind != "date" else value[:4])
    if kind == "number":
        needle = fold(value.split("/")[0])
    for k in want:
        for p in d.paragraphs:
            if p.kind == k and needle in fold(p.text):
                return p
    return None
