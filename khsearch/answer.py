"""Answer a question from the plans: who is responsible, what the target is, what the document says; cited."""
from __future__ import annotations

import math
import re
from dataclasses import replace
from functools import lru_cache

from .agencies import agencies_in, display_name, key
from .facts import (LEAD_ROLES, ROLES, assignments, cells, clauses, deadlines, following_deadline, paragraph_assignments,
                    label_tasks, paragraph_by_id, preceding_task, read_unit, spans_of, targets, tasks_of)
from .stores import Store
from .normalize import Matcher, cues, fold, folded_terms, has_diacritics, is_vietnamese, normalize, syllables
from .places import describe, merged_into
from .records import Answer, Citation, Hit, Paragraph
from .reorganisation import as_of
from .retrieve import named_plan, scope, search, strip_places

MIN_COVERAGE = 0.5  # share of the question's content words the answering paragraph must hold
_SURROGATE = re.compile("[\ud800-\udfff]")  # a lone surrogate (bad bytes in argv) cannot be printed
CLOSE = 0.8  # a lower hit may answer instead of the first only when its score is this close
DEPTH = 8  # how many hits a target or deadline answer reads (a lower one pays for its rank)


@lru_cache(maxsize=None)
def _folded_cues(category: str) -> tuple[tuple[str, str], ...]:
    return tuple((fold(phrase), value) for phrase, value in cues(category))


def _has(folded_q: str, phrase: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(phrase)}(?![a-z0-9])", folded_q) is not None


INTENTS = ("signer", "deadline", "date", "number", "issuer", "target", "agency", "general")


def intent(question: str) -> str:
    """What a question asks for: 'signer', 'deadline', 'date', 'number', 'issuer', 'target', 'agency' or 'general'.

    The words that ask ('đơn vị nào', 'bao nhiêu') decide before those that only say what the question is
    about (cue value 'topic': 'chỉ tiêu', 'chủ trì'), so 'chỉ tiêu ... do đơn vị nào chủ trì' asks for an agency.
    """
    q = Matcher(question)
    for asking in (True, False):
        for kind in INTENTS:
            if any(q.has(phrase) for phrase, value in cues(kind) if not asking or value != "topic"):
                if kind == "date" and not any(q.has(phrase) for phrase, _ in cues("issued")):
                    return "deadline"  # 'nộp báo cáo ngày nào': a date that is not the plan's own
                return kind
    return "general"


def _cue_in(question: str, category: str) -> list[str]:
    """The values of the cue phrases of a category a question holds."""
    q = Matcher(question)
    return [value for phrase, value in cues(category) if q.has(phrase)]


def asked_unit(question: str) -> str | None:
    """The unit a target question asks for: '%' for 'bao nhiêu phần trăm', 'đồng' for 'bao nhiêu tỷ đồng', else
    the noun after 'bao nhiêu' / 'mấy' ('tấn', 'tập dữ liệu mở', 'ngày làm việc'); None when it names none."""
    return _asked(question)[0]


def _asked(question: str) -> tuple[str | None, list[str]]:
    """The unit a target question asks for and the folded words of what it counts when a measure comes first:
    'bao nhiêu tấn sầu riêng' -> ('tấn', ['sau', 'rieng'])."""
    if "%" in question:
        return "%", []
    accents = has_diacritics(question)  # folded 'dong' is both 'đồng' and 'động': compare with the accents
    q = " ".join(syllables(question)) if accents else fold(" ".join(syllables(question)))
    units = [(" ".join(syllables(p)), u) for p, u in cues("asked_unit")] if accents else _folded_cues("asked_unit")
    m = re.search(r"(?<!\w)bao nhi[eê]u\s+(.*)", q) or re.search(r"(?<!\w)m[aấ]y\s+(.*)", q)
    after = m.group(1) if m else ""
    unit, rest = None, ""
    for phrase, value in units:
        if phrase and re.match(rf"{re.escape(phrase)}(?!\w)", after):
            unit, rest = value, after[len(phrase):]
            break
        if phrase and value == "%" and _has(q, phrase):
            return "%", []
    if unit is None:
        unit, n = read_unit(after, folded=not accents)
        if unit not in _measures():
            return unit or None, []
        rest = after[n:]
    return unit, fold(read_unit(rest, folded=not accents)[0]).split()


@lru_cache(maxsize=None)
def _measures() -> frozenset[str]:
    """Units that say how a thing is measured, not what it is ('tấn', 'nghìn USD', '%')."""
    mults = [m for _, m in cues("multiplier")]
    units = {u for _, u in cues("unit")}
    return frozenset(units | {f"{m} {u}" for m in mults for u in units})


def content_words(question: str) -> set[str]:
    """The folded syllables that say what a question is about (cue words and place names left out).

    Cue phrases are taken out whole and with their diacritics when the question has them: 'chủ trì' does
    not take 'trị' out of 'điều trị', nor 'giao' 'giáo', nor 'tỉnh' 'tình'.
    """
    left = Matcher(strip_places(question)).without(phrase for phrase, _ in cues("question"))
    return {w for w in fold(" ".join(left)).split() if len(w) > 1}


def coverage(question: str, p: Paragraph, words: set[str] | None = None, title: str = "") -> float:
    """Share of the question's content words (or of `words`) the paragraph, its headings, its column names or
    its plan's title hold (a question names its plan by the plan's topic)."""
    words = content_words(question) if words is None else words
    if not words:
        return 0.0
    have = set(fold(" ".join(syllables(" ".join(p.headings + p.table_header + (p.plain, title))))).split())
    return len(words & have) / len(words)


def _evidence(index: Store, question: str) -> set[str] | None:
    """For a question not in Vietnamese ('Which agency leads methadone treatment?'): its words that are not
    Vietnamese syllables but that the plans use ('methadone'), the only ones a paragraph can show. None
    for a Vietnamese question."""
    if is_vietnamese(question):
        return None
    return index.known_terms("folded", [w for w in content_words(question) if not is_vietnamese(w)])


def ask(index: Store, question: str, province: str | None = None, k: int = 5, doc_id: str | None = None) -> Answer:
    """A short answer with citations, or found=False with the reason when the plans do not say.

    `Answer.question` is the question as typed (normalised only for matching). A province filter that the
    question contradicts is set aside and the answer says so; a province merged in 2025 is named with the
    province it joined.
    """
    typed = _SURROGATE.sub("\ufffd", question or "")
    question = " ".join(normalize(typed).split())[:2000]
    if not re.search(r"[^\W\d_]", question):
        return Answer(typed, False, "Câu hỏi trống hoặc không có chữ: hãy hỏi bằng một câu tiếng Việt.")
    kind = intent(question)
    sc = scope(index, question, province, doc_id)
    if sc.overridden:  # the question's provinces take over from the filter, and from a document of it
        province = None
        doc_id = doc_id if doc_id in index.documents and index.documents[doc_id].metadata.province in sc.provinces \
            else None
    if sc.missing:
        names = ", ".join(f"{p} ({describe(p).split(', ', 1)[1]})" if merged_into(p) else p for p in sc.missing)
        return _noted(Answer(typed, False, f"Chỉ mục chưa có kế hoạch nào của {names}.", intent=kind,
                             province=sc.missing[0]), sc, merged=False)
    return _noted(replace(_answer(index, question, kind, sc, province, k, doc_id), question=typed), sc)


def _noted(a: Answer, sc, merged: bool = True) -> Answer:
    """The answer with what the scope changed: a filter set aside, a province merged in 2025."""
    before = sc.note() + " " if sc.overridden else ""
    cited = a.citations[0].province if a.citations and a.found else None
    former = [p for p in sc.provinces if merged_into(p)]
    if cited and cited not in sc.provinces and merged_into(cited) in sc.provinces:
        former.append(cited)  # a plan written before the merger by a province the asked one absorbed
    after = "".join(f" ({describe(p)})" for p in former) if merged else ""
    return replace(a, answer=before + a.answer + after) if before or after else a


def _answer(index: Store, question: str, kind: str, sc, province, k: int, doc_id) -> Answer:
    """The answer to a normalised question of a known kind within its scope."""
    where = sc.provinces[0] if sc.provinces else None
    if kind in ("signer", "date", "number", "issuer"):
        return _document_fact(index, question, kind, sc, where, doc_id)
    hits = search(index, question, max(k, 10), province, doc_id)
    if kind == "deadline":
        return _deadline(question, hits, k, where, search(index, _topic(question), DEPTH, province, doc_id))
    if kind == "general" and (duties := _duties(question, hits, k, where)):
        return duties  # 'Nhiệm vụ của Sở Tài chính là gì?': the tasks the plan gives that agency
    if not hits or coverage(question, hits[0].paragraph, _evidence(index, question),
                            hits[0].document.metadata.title or "") < MIN_COVERAGE:
        return Answer(question, False, "Không tìm thấy đoạn nào trong các kế hoạch trả lời câu hỏi này.",
                      tuple(h.citation() for h in hits[:k]), kind, where)
    if kind == "target":
        return _target(question, hits, k, where)
    if kind == "agency":
        got = _agency(question, hits, k, where)
        if got:
            return got
    return _general(question, hits, k, kind, where)


def _topic(question: str) -> str:
    """A deadline question without its 'trước ngày nào' / 'khi nào': what finds the task it asks about rather
    than any deadline line ('Thời hạn hoàn thành: ...' is read with the task before it)."""
    left = Matcher(question).without(p for c in ("deadline", "when") for p, _ in cues(c))
    return " ".join(left) if len(left) >= 3 else question


def _cite(hits: list[Hit], first: Hit, k: int, span=None) -> tuple[Citation, ...]:
    rest = [h for h in hits if h is not first][:k - 1]
    return (first.citation(span),) + tuple(h.citation() for h in rest)


def _named(question: str) -> list[str]:
    """The agencies a question names ('Sở Tài chính', 'so y te'), canonical or as written."""
    return list(dict.fromkeys(a for a, _, _ in agencies_in(question, question=True)))


def _span(p: Paragraph, agency: str) -> tuple[int, int] | None:
    found = spans_of(p, agency)
    return found[0] if found else None


def _roles_text(found) -> str:
    """'Sở Y tế (chủ trì); Công an tỉnh, Sở Tài chính (phối hợp).': the lead first, partners as partners."""
    by_role: dict[str, list[str]] = {}
    for a in found:
        shown = display_name(a.agency, a.mention or a.agency)
        if shown not in by_role.setdefault(a.role, []):
            by_role[a.role].append(shown)
    return "; ".join(f"{', '.join(by_role[r])} ({r})" for r in ROLES if r in by_role) + "."


def _agency(question, hits, k, where) -> Answer | None:
    """Who is given the task a question describes: the lead named first and highlighted where the plan names
    it (the task paragraph, or the '- Cơ quan chủ trì: ...' line after it, cited second)."""
    words = content_words(question)
    asked = _asked_roles(question)  # 'chủ trì', 'cơ quan thường trực', 'tham mưu'

    def overlap(text: str) -> int:
        return len(words & set(fold(" ".join(syllables(text))).split()))
    options = []
    for rank, h in enumerate(hits[:6]):
        keep = paragraph_assignments(h.document, h.paragraph)
        folded = fold(" ".join((h.paragraph.plain, h.paragraph.heading)))
        roles = {a.role for a, _ in keep}  # the paragraph itself says the role the question names
        said = sum(_has(fold(h.paragraph.plain), r) and role in roles for r, role in asked.items())
        close = h.score >= CLOSE * hits[0].score
        # a paragraph that names only partners does not say who leads, unless partners are what is asked
        partners_only = roles == {"phối hợp"} and "phối hợp" not in asked.values()
        if keep and (close or said):  # the role the question names, then more of its words, then rank
            other_plan = h.document.doc_id != hits[0].document.doc_id  # the best hit's plan is the one asked about
            options.append((other_plan, not close, partners_only, -said, -overlap(folded), rank, h, keep))
    for *_, h, keep in sorted(options, key=lambda o: o[:6])[:1]:
        first = h.paragraph
        tasks = label_tasks(h.document, first)  # a '- Cơ quan chủ trì: ...' line: cite the task it is for first
        task = max(tasks, key=lambda t: overlap(t.plain)) if tasks else None
        if task and overlap(task.plain) > overlap(first.plain):
            first, keep = task, paragraph_assignments(h.document, task) or keep
        lead, where_named = min(keep, key=lambda x: ROLES.index(x[0].role))
        cites = [Hit(first, h.document, h.score).citation(_span(first, lead.agency))]
        if where_named.id != first.id:
            cites.append(Hit(where_named, h.document, h.score).citation(_span(where_named, lead.agency)))
        seen = {first.id, where_named.id}
        cites += [x.citation() for x in hits if x.paragraph.id not in seen][:k - len(cites)]
        text = _roles_text([a for a, _ in keep])
        if {a.role for a, _ in keep} == {"phối hợp"} and "phối hợp" not in asked.values():
            text = f"Đoạn trích dẫn không nêu cơ quan chủ trì, chỉ nêu cơ quan phối hợp: {text}"
        return Answer(question, True, text, tuple(cites), "agency", where,
                      tuple(a for a, _ in keep))
    return None


def _asked_roles(question: str) -> dict[str, str]:
    """The roles a question names, folded phrase -> role ('chủ trì', 'thường trực' -> 'chủ trì'); not 'thực hiện'
    nor 'đề nghị', which questions use as plain verbs ('kiểm tra việc thực hiện chương trình')."""
    folded = fold(question)
    named = {fold(r): r for r in (*LEAD_ROLES, "phối hợp") if _has(folded, fold(r))}
    return named | {r: role for r, role in _role_words() if _has(folded, r)}


@lru_cache(maxsize=None)
def _role_words() -> tuple[tuple[str, str], ...]:
    """(phrase, role) a question may ask for that tells one agency's part from another's ('thường trực')."""
    from .normalize import read_table
    return tuple((fold(r[1]), r[2]) for r in read_table("agency_words.tsv") if r[0] == "asked_role")


@lru_cache(maxsize=None)
def _duty_words() -> tuple[str, ...]:
    from .normalize import read_table
    return tuple(fold(r[1]) for r in read_table("agency_words.tsv") if r[0] == "duty")


MAX_DUTIES = 8  # tasks listed for 'Nhiệm vụ của Sở X là gì?'


def _duties(question, hits, k, where) -> Answer | None:
    """The tasks a plan gives the agency a question names, each cited: in the plan of the best hit that gives
    it any, those of the role the question names first ('chủ trì những nhiệm vụ gì'). A body the 2025
    reorganisation dissolved is answered with the one that holds its duties at the plan's date, saying so (and
    a new body with the former ones it absorbed, for an older plan). When none of the plans found gives the
    agency a task, the answer says so rather than quote a paragraph about others."""
    named = _named(question)
    folded = fold(question)
    if not named or not hits or not any(_has(folded, w) for w in _duty_words()):
        return None
    agency = named[0]
    name_words = set(key(agency).split()) | {w for phrase in _duty_words() for w in phrase.split()}
    docs = list({h.document.doc_id: h.document for h in hits}.values())[:5]
    if plan := named_plan(question, docs):  # 'trong kế hoạch biển và hải đảo': that plan's tasks, or none
        docs = [plan]
    s, e = next((s, e) for a, s, e in agencies_in(question, question=True) if a == agency)
    duty = question[:s] + question[e:]  # what the question says of the duty, without the agency's own name
    roles = set(_asked_roles(question).values())
    for doc in docs:
        names, moved = as_of(agency, doc.metadata.date, duty)
        # the words that name the plan ('trong kế hoạch phát triển kinh tế số') do not tell its tasks apart
        words = {w for w in content_words(question) if w not in name_words} - _title_words(doc)
        every = tasks_of(doc, names, None if words or roles else MAX_DUTIES)
        found = [(a, q) for a, q in every if a.role != "phối hợp"] or every
        if found:
            break
    else:
        return Answer(question, False, f"Các kế hoạch tìm được không giao nhiệm vụ nào cho {agency}.",
                      tuple(h.citation() for h in hits[:k]), "agency", where)
    def shared(a) -> bool:  # 'Công an tỉnh; Sở Tài chính; Sở Nội vụ mỗi đơn vị đề nghị ...': given to many at once
        p = paragraph_by_id(doc, a.paragraph_id)
        return sum(b.role == a.role for b, _ in paragraph_assignments(doc, p)) > 1 if p else False
    def in_section(a) -> bool:  # 'trách nhiệm gì trong tổ chức thực hiện': the section the question names
        p = paragraph_by_id(doc, a.paragraph_id)
        return bool(p) and any(_names(folded, heading) for heading in p.headings)
    # the role asked first, then the section it names, the tasks its words describe, those the agency has alone
    found.sort(key=lambda x: (bool(roles) and x[0].role not in roles, not in_section(x[0]),
                              -len(words & set(fold(x[0].task).split())), shared(x[0])))
    found = found[:MAX_DUTIES]
    used = {a.agency for a, _ in found}
    moved = [t for t in moved if t.former in used or (t.successor in used and agency not in used)]
    note = "; ".join(t.sentence() for t in moved) + ". " if moved else ""
    shown = display_name(found[0][0].agency, found[0][0].mention or found[0][0].agency)
    tasks = "; ".join(f"({n}) {_short(a.task)} [{a.role}]" for n, (a, _) in enumerate(found, 1))
    cites = []
    for a, q in found:
        p = paragraph_by_id(doc, a.paragraph_id) or q
        if p.id not in {c.paragraph_id for c in cites}:
            cites.append(Hit(p, doc, 1.0).citation(_span(p, a.agency)))
    return Answer(question, True, f"{note}{shown} — {doc.label} ({doc.metadata.province}): {tasks}",
                  tuple(cites), "agency", doc.metadata.province or where, tuple(a for a, _ in found))


def _names(folded_question: str, heading: str) -> bool:
    """Whether a question names a heading (three words or more, its list mark left out)."""
    words = re.sub(r"^\W*(?:[ivxlc]+|\d+(?:\.\d+)*|[a-zđ])?[.)/-]?\s+", "", fold(" ".join(heading.split())))
    words = " ".join(re.findall(r"\w+", words))
    return len(words.split()) >= 3 and _has(folded_question, words)


def _title_words(doc) -> set[str]:
    return set(fold(" ".join(syllables(doc.metadata.title or ""))).split())


def _short(task: str, limit: int = 220) -> str:
    return task if len(task) <= limit else task[:limit].rsplit(" ", 1)[0] + " …"


def _clause_score(words: set[str], pairs: set[str], clause: str) -> int:
    terms = set(folded_terms(clause))
    return len(words & terms) + 2 * len(pairs & terms)


def _question_terms(question: str, *asking: str) -> tuple[set[str], set[str]]:
    """Content words of a question and its word pairs (the pairs tell 'dạy nghề' from 'điều trị'); the cue
    phrases of the `asking` categories ('hạn chót', 'khi nào') are left out of both."""
    if not asking:
        return content_words(question), {t for t in folded_terms(strip_places(question)) if "_" in t}
    left = Matcher(strip_places(question)).without(p for c in ("question", *asking) for p, _ in cues(c))
    return {w for w in fold(" ".join(left)).split() if len(w) > 1}, \
        {t for t in folded_terms(" ".join(left)) if "_" in t}


def _target(question, hits, k, where) -> Answer:
    unit, thing = _asked(question)
    words, pairs = _question_terms(question)
    found = []  # (hit, rank, span, targets, the text around the targets, the words that say what they count)
    for rank, h in enumerate(hits[:DEPTH]):
        p = h.paragraph
        ts = [t for t in targets(p) if _unit_fits(unit, t)]
        if p.kind == "table_row":  # one candidate per cell: its row label, column and the table's headings
            context = " ".join(p.headings[-2:])
            found += [(h, rank, _cell_of(p, t), [t], f"{_title(h)} {context} {t.counted}", f"{context} {t.counted}")
                      for t in ts]
            continue
        for s, e in clauses(p.plain) or [(0, len(p.plain))]:
            clause = " ".join(p.plain[s:e].split())
            mine = [t for t in ts if t.phrase == clause]
            if mine:
                found.append((h, rank, (s, e), mine, f"{_title(h)} {clause}", " ".join(_near(clause, t) for t in mine)))
    if thing:  # 'bao nhiêu tấn sầu riêng': a figure of some other fruit does not answer
        found = [c for c in found
                 if set(thing) <= set(fold(" ".join(syllables(f"{c[4]} {c[5]} {c[0].paragraph.heading}"))).split())]
    weight = _term_weights(words | pairs, [c[4] for c in found])
    best = None
    for h, rank, span, mine, text, near in found:
        score = (_overlap(weight, text) + 2 * _overlap(weight, near)) * _standing(h, hits) - rank / 2
        if best is None or score > best[0]:
            best = (score, h, span, mine)
    if best is None:
        what = {"%": "tỷ lệ", "đồng": "kinh phí"}.get(unit or "", f"số {unit}" if unit else "con số")
        return Answer(question, False, f"Các đoạn liên quan nhất không nêu {what} mà câu hỏi hỏi.",
                      tuple(h.citation() for h in hits[:k]), "target", where)
    _, h, (s, e), mine = best
    p = h.paragraph
    if p.kind == "table_row":
        t = mine[0]
        figure = " ".join(filter(None, (t.comparator, t.value, t.unit)))
        text = f"{' — '.join(x for x in (p.heading, t.counted) if x)}: {figure}"
    else:
        text = " ".join(p.plain[s:e].split())
    return Answer(question, True, text, _cite(hits, h, k, (s, e)), "target", where, targets=tuple(mine))


def _title(h: Hit) -> str:
    """The plan's title: questions name a plan by its topic ('kế hoạch biển và hải đảo')."""
    return h.document.metadata.title or ""


def _standing(h: Hit, hits: list[Hit]) -> float:
    """How far search ranks a hit, between 0.5 and 1: the words a candidate shares with the question decide
    more than the fused score, which already counted most of them."""
    return 0.5 + 0.5 * h.score / hits[0].score if hits[0].score > 0 else 1.0


def _term_weights(terms: set[str], texts: list[str]) -> dict[str, float]:
    """Question terms weighted by how few of the candidate texts hold them (a pair counts double): the words
    that tell candidates apart ('xoài' among export targets) count more than those all of them share."""
    sets = [set(folded_terms(t)) for t in texts]
    weight = {}
    for term in terms:
        df = sum(term in s for s in sets)
        if df:
            weight[term] = (2 if "_" in term else 1) * math.log(1 + len(sets) / df)
    return weight


def _overlap(weight: dict[str, float], text: str) -> float:
    return sum(weight.get(t, 0.0) for t in set(folded_terms(text)))


def _near(clause: str, t) -> str:
    """The words that say what a number counts: those just before it (to the last comma) and after it."""
    at = re.search(rf"(?<![\d.,]){re.escape(t.value)}(?![\d.,])", clause)
    before = re.split(r"[,;:(]", clause[:at.start()])[-1].split()[-15:] if at else []
    return " ".join(before) + " " + t.counted


def _cell_of(p: Paragraph, t) -> tuple[int, int]:
    """The span of the table cell that holds a target's value (the whole row when it cannot tell)."""
    return next(((s, e) for s, e in cells(p.plain) if re.match(rf"\D*?{re.escape(t.value)}(?![\d.,])", p.plain[s:e])),
                (0, len(p.plain)))


def _unit_words(unit: str) -> list[str]:
    """A unit without its multipliers and rate, folded: 'triệu USD' -> ['usd'], 'lần/ngày' -> ['lan']."""
    words = fold(unit.split("/")[0]).split()
    return [w for w in words if w not in ("nghin", "ngan", "trieu", "ty", "ti")] or words


def _unit_fits(asked: str | None, t) -> bool:
    """Whether a target answers in the unit asked: the same measure or currency, or the same head noun with
    the asked words in the target's ('thanh, thiếu niên' / 'thanh niên'; 'người nghiện ngoài cộng đồng' /
    'người nghiện ma túy ngoài cộng đồng'); 'bao nhiêu xã' accepts '50% địa bàn cấp xã'."""
    if asked is None:
        return True
    if asked == "%" or t.unit.startswith("%"):
        return t.unit.startswith("%") if asked == "%" else set(_unit_words(asked)) <= set(fold(t.counted).split())
    if asked in ("đồng", "USD") or t.unit.split("/")[0].split()[-1:] in (["đồng"], ["USD"]):
        return t.unit.split("/")[0].split()[-1:] == [asked]  # 'đồng' is not 'động': compare with accents
    a, u = _unit_words(asked), _unit_words(t.unit)
    if not (a and u and a[0] == u[0]):  # the head noun: 'người' is not 'hộ'
        return False
    short, long = sorted((a, u), key=len)
    return set(short) <= set(long) or set(a) <= set(fold(t.counted).split()) | set(u)


# What a deadline question asks for ('mấy giờ' -> 'hour') -> the shapes of a deadline that answer it.
_ANSWERS = {"hour": {"hour"}, "frequency": {"frequency"}, "period": {"period", "recurring"},
            "month": {"month", "date"}, "quarter": {"quarter", "month", "date"}}


def _shape_fit(asked: set[str], question: str, d) -> int | None:
    """How well a deadline answers the question's shape: None when it cannot ('mấy giờ' and 'Quý IV/2025')."""
    need = set().union(*(_ANSWERS[a] for a in asked if a in _ANSWERS))
    if need and not need & set(d.shapes):
        return None
    if "year" in asked and not re.search(r"\d{4}", d.when):
        return None
    fit = 2 * len(asked & set(d.shapes))
    if "due" in asked and {"date", "month", "quarter", "hour"} & set(d.shapes):
        fit += 2
    every = re.findall(r"(?:hang|moi)\s+(nam|quy|thang|tuan|ngay)", fold(question))  # 'hằng tháng' asked
    if every and re.search(rf"(?:hang|moi)\s+(?:{'|'.join(every)})", fold(d.when)):
        fit += 1
    return fit


def _deadline(question, hits, k, where, tasks: list[Hit] = ()) -> Answer:
    """When a task is due or how often it recurs: the deadline phrase, from the task's paragraph or from the
    deadline line that follows it ('c) Thời gian thực hiện: ...'), cited where it is written. `tasks` are the
    hits of the question without its deadline words, read beside `hits` (each at its own rank) for a task whose
    deadline is on a line of its own after it."""
    asked = set(filter(None, _cue_in(question, "deadline")))
    words, pairs = _question_terms(question, "deadline", "when")
    if not any(coverage(question, r[0].paragraph, words, r[0].document.metadata.title or "") >= MIN_COVERAGE
               for r in (hits, tasks) if r):
        return Answer(question, False, "Không tìm thấy đoạn nào trong các kế hoạch trả lời câu hỏi này.",
                      tuple(h.citation() for h in hits[:k]), "deadline", where)
    found = []  # (task hit, rank, task span, task text, deadline, the hit that holds it, its run)
    runs = [hits, list(tasks)]
    for run, rank, h in ((n, rank, h) for n, r in enumerate(runs) for rank, h in enumerate(r[:DEPTH])):
        p = h.paragraph
        spans = [(0, len(p.plain))] if p.kind == "table_row" else clauses(p.plain) or [(0, len(p.plain))]
        texts = {se: f"{_title(h)} {' '.join(p.headings[-1:])} {p.plain[se[0]:se[1]]}" for se in spans}
        if run:  # a task found by its words: read with the deadline line after it
            if after := following_deadline(h.document, p):
                found += [(h, rank, se, text, after[1], Hit(after[0], h.document, h.score), run)
                          for se, text in texts.items()]
            continue
        if task := preceding_task(h.document, p):  # 'c) Thời gian thực hiện: ...' is read with its task
            th = Hit(task, h.document, h.score)
            text = f"{_title(h)} {' '.join(task.headings[-1:])} {task.plain} {p.plain}"
            found += [(th, rank, (0, len(task.plain)), text, d, h, run) for d in deadlines(p) if "label" in d.shapes]
            continue
        for d in deadlines(p):
            se = next(((s, e) for s, e in spans if s <= d.start < e), spans[0])
            if "label" in d.shapes and d.task == "":  # '... gửi Bộ Tài chính. Thời gian hoàn thành: ...'
                se = (0, len(p.plain))
                texts[se] = f"{_title(h)} {' '.join(p.headings[-1:])} {p.plain}"
            found.append((h, rank, se, texts[se], d, h, run))
        if after := following_deadline(h.document, p):  # 'a) Nhiệm vụ: ...' ... 'c) Thời gian thực hiện: ...'
            found += [(h, rank, se, text, after[1], Hit(after[0], h.document, h.score), run)
                      for se, text in texts.items()]
    weight = _term_weights(words | pairs, list({c[3] for c in found}))
    best = None
    for h, rank, se, text, d, at, run in found:
        fit = _shape_fit(asked, question, d)
        score = (_overlap(weight, text) + (fit or 0)) * _standing(h, runs[run]) - rank / 2 - (0.5 if at is not h else 0)
        if best is None or score > best[0]:
            best = (score, h, se, d, at, fit)
    if best is None or best[5] is None:  # the task it asks about has no deadline of the asked kind
        said = f" (kế hoạch ghi: “{best[3].when}”)" if best else ""
        return Answer(question, False, f"Các đoạn liên quan nhất không nêu thời hạn mà câu hỏi hỏi{said}.",
                      tuple(h.citation() for h in hits[:k]), "deadline", where)
    _, h, (s, e), d, at, _ = best
    clause = " ".join(h.paragraph.plain[s:e].split())
    when = d.when[:1].upper() + d.when[1:]
    text = clause if at is h and len(clause) <= 300 else f"{when} — {clause[:300]}"
    first = at.citation((d.start, d.end)) if at is h else _task_and_deadline(h, at, d)
    rest = [x.citation() for x in hits if x.paragraph.id not in (h.paragraph.id, at.paragraph.id)]
    return Answer(question, True, text, (first, *rest[:k - 1]), "deadline", where)


def _task_and_deadline(task: Hit, at: Hit, d) -> Citation:
    """One citation from a task's paragraph down to the deadline line that follows it, a verbatim slice of the
    source with the deadline highlighted; the deadline line alone when the source cannot be read."""
    c, last = task.citation(), at.citation()
    try:
        with open(c.path, encoding="utf-8") as f:
            text = f.read()[c.start:last.end]
    except (OSError, UnicodeDecodeError):
        text = ""
    if not (text.startswith(c.text) and text.endswith(last.text)):
        return at.citation((d.start, d.end))
    shift = last.start - c.start
    return replace(c, text=text, end=last.end, highlight=(d.start + shift, d.end + shift))


def _general(question, hits, k, kind, where) -> Answer:
    h = hits[0]
    text = h.paragraph.text
    spans = clauses(text) or [(0, len(text))]
    words, pairs = _question_terms(question)
    if len(text) > 400 and len(spans) > 1:
        s, e = max(spans, key=lambda se: _clause_score(words, pairs, text[se[0]:se[1]]))
        if Matcher(question).has("những") or Matcher(question).has("các"):  # 'thay thế những quyết định nào'
            e = _enumeration_end(text, spans, (s, e))
    else:
        s, e = 0, len(text)
    return Answer(question, True, " ".join(text[s:e].split()), _cite(hits, h, k, (s, e)), kind, where,
                  tuple(assignments(h.paragraph)))


def _enumeration_end(text: str, spans, chosen: tuple[int, int]) -> int:
    """Where the list a clause starts ends: the clauses after it, parted by ';', that begin with the words that
    begin its object ('Thay thế Quyết định số 3089 ...; Quyết định số 1397 ...; Quyết định số 1179 ...')."""
    s, e = chosen
    end = e
    for a, b in spans[spans.index(chosen) + 1:]:
        head = " ".join(text[a:b].split()[:2])
        if not text[end:a].strip().startswith(";") or len(head) < 4 or head not in " ".join(text[s:e].split()):
            break
        end = b
    return end


_NUMBER_IN_Q = re.compile(r"(\d{1,5})\s*/\s*([A-ZĐ][A-ZĐ\-]*)", re.IGNORECASE)


def _document_fact(index: Store, question, kind, sc, where, doc_id=None) -> Answer:
    """The plan's own signer, date, number or issuer, from its metadata, cited from where it is printed."""
    docs = [d for d in index.documents.values() if (sc.docs is None or d.doc_id in sc.docs)
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
    source = _fact_paragraph(d, kind, value, question)
    cites = (Hit(source, d, 1.0).citation(),) if source else ()
    return Answer(question, True, f"{label}: {shown} — {d.label}, {d.metadata.province}.", cites, kind,
                  d.metadata.province)


def _fact_paragraph(d, kind, value, question: str = "") -> Paragraph | None:
    """The paragraph a document fact is read from: signature, place-date line, header or caption. A number
    is cited where the question's words stand beside it ('kèm theo Quyết định số mấy': the caption
    'Ban hành kèm theo Quyết định số 2954/QĐ-UBND'), else from the header."""
    want = {"signer": ("signature", "header"), "date": ("place_date", "header", "body"),
            "number": ("header", "body"), "issuer": ("header", "signature", "body")}[kind]
    needle = fold(value if kind != "date" else value[:4])
    if kind == "number":
        needle = fold(value.split("/")[0])
        holding = [p for p in d.paragraphs if re.search(rf"(?<!\d){re.escape(needle)}(?!\d)", p.plain)]
        if holding and question:
            return max(holding, key=lambda p: (coverage(question, p), -want.index(p.kind) if p.kind in want
                                               else -len(want)))
    for k in want:
        for p in d.paragraphs:
            if p.kind == k and needle in fold(p.text):
                return p
    return None
