"""Plan facts found in paragraphs: who is assigned a task (and in what role), and quantified targets."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .agencies import agencies_in, canonical_agency, clean, fold_aligned, key, spellings
from .markup import plain
from .normalize import cues, fold, normalize, read_table
from .records import Assignment, Deadline, Document, Paragraph, Target

ROLES = ("chủ trì", "tham mưu", "thực hiện", "đề nghị", "phối hợp")  # the order answers list them in
LEAD_ROLES = ("chủ trì", "tham mưu")  # the roles that lead a task


# --- assignments ----------------------------------------------------------------------------------
# A plan gives work in six ways: an agency heading above a list of tasks ('7. Sở Nội vụ' then '- Chủ trì ...');
# the sentence subject ('Sở Y tế là cơ quan chủ trì', 'Giao Sở Y tế chủ trì', 'Đề nghị Tỉnh đoàn ...'); a
# closing parenthesis ('(Sở Y tế chủ trì, Công an tỉnh phối hợp)'); a label at the start of a line ('Cơ quan
# thực hiện: A; B'), also on a line after the task; and the role columns of a table.

_MARK = re.compile(r"^\s*(?:[IVXL]+[.)]|\d{1,2}(?:\.\d{1,2})*[.)]?|[a-zđ]\)|[-+•–—*·])\s*", re.IGNORECASE)
_LEAD = re.compile(r"(?:(?:[^\W\d_]+\s+){0,5}?(?:giao|de\s+nghi|yeu\s+cau)|dong\s+thoi)\s+")
_GLUE = re.compile(r"[\s,;]*(?:(?:va|cung|voi|cung\s+voi)\s+)?(?:cac\s+)?[\s,;]*")
_LISTED = re.compile(r"[\s,;]*(?:[a-z]+[\s,;]+){0,3}?(?:va\s+)?(?:cac\s+)?")
_MEMBERS = re.compile(r"(?:bao\s+)?gom(?:\s+co)?\s*:|thanh\s+vien\s*(?:gom|la)?\s*:")
_FILLER = re.compile(r"[\s,:\-–(]*(?:(?:co|chiu)\s+trach\s+nhiem|duoc\s+giao|khan\s+truong|chu\s+dong|tiep\s+tuc|la|lam|cung|"
                     r"giu\s+vai\s+tro|thuc\s+hien\s+vai\s+tro|voi\s+vai\s+tro|truc\s+tiep)?[\s,:\-–]*")
_BEFORE_PARTNER = re.compile(r"(?:phoi\s+hop|phoi\s+hop\s+chat\s+che|cung)(?:\s+voi)?\s*$")
_PAREN = re.compile(r"\(([^()]{6,400})\)")

Found = tuple  # (agency, role, start, end, source, mention): an agency a text assigns work to


@lru_cache(maxsize=None)
def _role_phrases(categories: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(folded phrase, role) of data/agency_words.tsv rows of some categories, longest first."""
    rows = {fold_aligned(r[1]): r[2] for r in read_table("agency_words.tsv") if r[0] in categories}
    return tuple(sorted(rows.items(), key=lambda x: -len(x[0])))


@lru_cache(maxsize=None)
def _phrase_pattern(phrase: str) -> re.Pattern:
    return re.compile(r"\s+".join(map(re.escape, phrase.split())) + r"(?![a-z0-9])")


def _starts(folded: str, phrases) -> tuple[str, int] | None:
    """(role, length) of the phrase a folded text starts with, whole words only (a line break is a space)."""
    for phrase, role in phrases:
        if folded.startswith(phrase[:1]) and (m := _phrase_pattern(phrase).match(folded)):
            return role, m.end()
    return None


def label_of(text: str) -> tuple[str, int] | None:
    """The role a label line gives and where its agencies start: '- Cơ quan chủ trì: Sở Y tế' -> ('chủ trì', 20)."""
    folded = fold_aligned(text)
    mark = _MARK.match(folded)
    pos = mark.end() if mark else 0
    found = _starts(folded[pos:], _role_phrases(("label",)))
    if not found:
        return None
    # A label named by a noun may run on ('Đơn vị chủ trì tham mưu thực hiện: ...'); one that starts with its
    # role verb is a task when more than three words follow ('Chủ trì triển khai các nhiệm vụ: ...')
    words = 3 if _starts(folded[pos:], _role_phrases(("role",))) else 6
    colon = re.compile(rf"[^\W\d_\s]*(?:\s+[^\W\d_]+){{0,{words}}}?\s*:").match(folded, pos + found[1])
    return (found[0], colon.end()) if colon else None


def column_role(name: str) -> str | None:
    """The role a table column gives ('Cơ quan chủ trì', 'CHỦ TRÌ', 'Đơn vị phối hợp'), or None."""
    folded = " ".join(fold_aligned(name).split())
    found = _starts(folded, _role_phrases(("label",)))
    if not found:
        return None
    rest = folded[found[1]:].strip()  # 'Chủ trì — I. Kinh tế số': a group row joined to the column name
    return found[0] if len(rest) <= 12 or rest[:1] in "-(:/" else None


def _role_after(folded_rest: str) -> str | None:
    """The role the words after an agency give it ('chủ trì', ' là cơ quan đầu mối', ': Chủ trì ...')."""
    rest = folded_rest[_FILLER.match(folded_rest).end():]
    found = _starts(rest, _role_phrases(("role", "label")))
    return found[0] if found else None


def _groups(text: str, folded: str) -> list[list[tuple[str, int, int]]]:
    """The agencies a clause names, grouped into lists ('Sở Y tế, Công an tỉnh và UBND cấp xã')."""
    out: list[list[tuple[str, int, int]]] = []
    for found in agencies_in(text):
        if out and found[1] - out[-1][-1][2] <= 12 and _GLUE.fullmatch(folded[out[-1][-1][2]:found[1]]):
            out[-1].append(found)
        else:
            out.append([found])
    return out


def clause_roles(text: str, label: str | None = None, subject: bool = True) -> list[tuple[str, str, int, int]]:
    """(agency, role, start, end) of the agencies one clause assigns work to: its subject (at the start, after
    a list mark and 'Giao' / 'Đề nghị'), agencies followed by a role verb, partners after 'phối hợp với'.
    Under a label ('Cơ quan chủ trì:') or in a role column a subject without a role verb takes the label's."""
    folded = fold_aligned(text)
    mark = _MARK.match(folded)
    start = mark.end() if mark else len(folded) - len(folded.lstrip())
    lead = _LEAD.match(folded, start)
    requested = bool(lead and re.search(r"de\s+nghi|yeu\s+cau", lead.group(0)))
    start = lead.end() if lead else start
    out = []
    listed = start  # where a label's list of agencies has got to ('Các Sở, ngành, đơn vị, UBND cấp xã')
    for group in _groups(text, folded):
        s, e = group[0][1], group[-1][2]
        if e <= start:  # 'UBND tỉnh' in 'UBND tỉnh giao Sở Y tế ...' gives the task, it does not get it
            continue
        if label and _LISTED.fullmatch(folded[listed:s]):
            s_subject = True
        else:
            s_subject = s - start <= 1
        listed = e if s_subject else len(folded)
        after = _role_after(folded[e:])
        if _BEFORE_PARTNER.search(folded[max(0, s - 40):s]):
            role = "phối hợp"
        elif after:
            role = "đề nghị" if requested and after == "thực hiện" else after
        elif subject and s_subject:  # the clause's subject without a role verb: it does the task
            role = label or ("đề nghị" if requested else "thực hiện")
        else:
            continue  # named, not assigned ('báo cáo Sở Tài chính')
        out += [(name, role, gs, ge) for name, gs, ge in group]
    return out


def _spans(text: str) -> list[tuple[int, int]]:
    """Clauses of a text: split at ';' and at sentence ends, outside parentheses."""
    out, start, depth = [], 0, 0
    for i, c in enumerate(text):
        depth = max(0, depth + (c == "(") - (c == ")"))
        if not depth and (c == ";" or (c == "." and text[i + 1:i + 2] in (" ", "\n", ""))):
            if text[start:i].strip():
                out.append((start, i))
            start = i + 1
    if text[start:].strip():
        out.append((start, len(text)))
    return out


def _roles_in(text: str, label: str | None = None, source: str = "subject") -> list[Found]:
    """What a text assigns: its closing parentheses that name roles, then each clause."""
    out: list[Found] = []
    masked = text
    for m in _PAREN.finditer(text):
        inner = m.group(1)
        found = clause_roles(inner)
        if any(r in ("chủ trì", "phối hợp", "tham mưu") for _, r, _, _ in found) or (
                found and re.search(r"thuc hien\W*$", fold_aligned(inner))):
            out += [(a, r, m.start(1) + s, m.start(1) + e, "parenthesis", clean(inner[s:e])) for a, r, s, e in found]
            masked = masked[:m.start()] + " " * (m.end() - m.start()) + masked[m.end():]
    members = _MEMBERS.search(fold_aligned(masked))  # 'Ban Chỉ đạo gồm: ... Sở Tư pháp, ...' lists, not tasks
    for s, e in _spans(masked):
        out += [(a, r, s + cs, s + ce, source, clean(masked[s + cs:s + ce]))
                for a, r, cs, ce in clause_roles(masked[s:e], label, subject=not (members and s >= members.end()))]
    return out


def _task_cell(text: str, spans, names) -> str:
    """The cell of a table row that states the task: the longest cell outside the role columns."""
    free = [(s, e) for (s, e), n in zip(spans, names) if not (n and column_role(n)) and e - s > 3
            and (n or sum(b - a for _, a, b in agencies_in(text[s:e])) < 0.6 * (e - s))]
    if not free:
        return " ".join(text.split())
    s, e = max(free, key=lambda se: se[1] - se[0])
    return " ".join(text[s:e].split())


def _table_roles(p: Paragraph) -> list[Found]:
    """Agencies in a table row's role columns; where the header does not line up with the row, the cells that
    hold only agencies (the first does the task, the later ones are partners)."""
    text = p.plain
    spans = cells(text)
    names = _columns(spans, p.table_header)
    out: list[Found] = []
    listed = 0
    for (s, e), name in zip(spans, names):
        cell = text[s:e]
        name = "" if _MARK.match(name) and _MARK.match(name).end() else name  # a group row taken for a header
        role = column_role(name) if name else None
        if not name and (found := agencies_in(cell)):
            if sum(b - a for _, a, b in found) >= 0.6 * len(cell.strip()) or clause_roles(cell):
                role = "thực hiện" if listed == 0 else "phối hợp"
                listed += 1
        if role:
            out += [(a, r, s + cs, s + ce, "table", m) for a, r, cs, ce, _, m in _roles_in(cell, role)]
    return out


def _heading_roles(p: Paragraph) -> list[Found]:
    """An agency heading above a paragraph ('7. Sở Nội vụ', '6. Sở Nội vụ: ...', '5. Sở Y tế chủ trì, ...
    như:'): its agencies, in the role the paragraph's first words give, else the heading's."""
    folded = fold_aligned(p.plain)
    mark = _MARK.match(folded)
    own = _role_after(folded[mark.end() if mark else 0:])
    for heading in reversed(p.headings):
        heading = plain(heading)
        hmark = _MARK.match(heading)
        found = [x for x in clause_roles(heading) if x[1] != "phối hợp"]
        if not found or min(s for _, _, s, _ in found) > (hmark.end() if hmark else 0) + 2 \
                or not names_only(heading, [heading[s:e] for _, _, s, e in found]):
            continue
        out = [(a, own if own in ("chủ trì", "phối hợp", "tham mưu") else r, -1, -1, "heading", clean(heading[s:e]))
               for a, r, s, e in found]
        named = {a for a, *_ in out}
        return out + [(a, r, s, e, "subject", clean(p.plain[s:e])) for a, r, s, e in clause_roles(p.plain)
                      if r == "phối hợp" and a not in named]
    return []


def assignments(p: Paragraph) -> list[Assignment]:
    """Who a paragraph itself gives its task to: table columns, a label line, a closing parenthesis, the
    sentence subject, or an agency heading above it. (Label lines below a task: `paragraph_assignments`.)"""
    text = p.plain
    task = " ".join(text.split())
    if not p.section and p.kind in ("body", "title", "header") or is_deadline_line(p):
        return []  # the preamble ('Ủy ban nhân dân tỉnh ban hành Kế hoạch ...') and a deadline line give no task
    if p.kind == "table_row" and p.table_header:
        found = _table_roles(p)
        spans = cells(text)
        task = _task_cell(text, spans, _columns(spans, p.table_header))
    elif (label := label_of(text)):
        found = [(a, r, label[1] + s, label[1] + e, "label", m)
                 for a, r, s, e, _, m in _roles_in(text[label[1]:], label[0])]
    else:
        found = _roles_in(text)
    if all(f[1] in ("phối hợp", "đề nghị") for f in found) and p.kind not in ("heading", "title"):
        # '- Chủ trì, phối hợp Sở Tài chính ...', '- Yêu cầu các cơ quan báo chí ...' under '4. Sở Nội vụ'
        above = _heading_roles(p)
        found = above + [f for f in found if f[0] not in {a[0] for a in above}] if above else found

    best: dict[str, Assignment] = {}  # an agency named twice keeps its strongest role
    for name, role, s, e, source, mention in found:
        a = Assignment(name, role, task, p.id, p.doc_id, source, mention)
        if name not in best or ROLES.index(role) < ROLES.index(best[name].role):
            best[name] = a
    return list(best.values())


def names_only(text: str, names: list[str]) -> bool:
    """Whether a line only names agencies, maybe with their role or ending in ':' ('7. Sở Nội vụ', '6. Sở Nội vụ:
    ...', 'Sở Tài chính - Cơ quan thường trực Ban Chỉ đạo', '5. Sở Y tế chủ trì, phối hợp ... như:')."""
    rest = " ".join(text.split())
    for name in names:
        rest = rest.replace(" ".join(name.split()), " ")
    folded = fold_aligned(rest)
    mark = _MARK.match(folded)
    folded = folded[mark.end() if mark else 0:].strip()
    if folded.endswith(":"):  # '9. Công an tỉnh: Chủ trì, phối hợp triển khai ...' states a task of its own
        return True
    folded = folded[_FILLER.match(folded).end():]
    verb = _starts(folded, _role_phrases(("role",)))  # a role verb and nothing more: 'Sở Y tế chủ trì'
    label = None if verb else _starts(folded, _role_phrases(("label",)))  # '- Cơ quan thường trực Ban Chỉ đạo'
    role = verb or label
    rest = folded[role[1]:] if role else folded
    return len(rest.strip(" ,.;:-–()")) <= (25 if label else 3)


def spans_of(p: Paragraph, agency: str) -> list[tuple[int, int]]:
    """Where a paragraph names an agency (its canonical or written name), for highlighting."""
    return [(s, e) for name, s, e in agencies_in(p.plain) if name == agency]


# --- assignments a task gets from the lines after it ----------------------------------------------

def _parent(section: str) -> str:
    return section.rsplit(".", 1)[0] if "." in section else ""


def _label_only(p: Paragraph) -> bool:
    """A line that is a label and nothing more ('b) Cơ quan thực hiện:', 'a) Nhiệm vụ:')."""
    folded = fold_aligned(p.plain)
    mark = _MARK.match(folded)
    return bool(re.fullmatch(r"[^\W\d_][\w\s,]{0,40}:", folded[mark.end() if mark else 0:].strip()))


def _attribute_line(p: Paragraph) -> bool:
    """A line that states an attribute of the task above it: its agencies or its deadline."""
    return bool(label_of(p.plain)) or is_deadline_line(p) or _label_only(p)


class _Plan:
    """A plan's paragraphs in order, for reading the lines around a task; assignments worked out once."""

    def __init__(self, doc: Document):
        self.paragraphs = doc.paragraphs
        self.at = {p.id: i for i, p in enumerate(doc.paragraphs)}
        self.own: dict[str, list[Assignment]] = {}
        self.attribute: dict[int, bool] = {}
        self.skeletons: dict[int, str] = {}

    def skeleton(self, i: int) -> str:
        """A paragraph and its nearest headings as ' word word ', folded: a quick test of the names it holds."""
        if i not in self.skeletons:
            p = self.paragraphs[i]
            text = unicodedata.normalize("NFD", " ".join(p.headings[-3:] + (p.plain,)).lower().replace("đ", "d"))
            self.skeletons[i] = " " + " ".join(re.findall(r"[a-z0-9]+", _MARKS.sub("", text))) + " "
        return self.skeletons[i]

    def own_of(self, p: Paragraph) -> list[Assignment]:
        if p.id not in self.own:
            self.own[p.id] = assignments(p)
        return self.own[p.id]

    def is_attribute(self, n: int) -> bool:
        if n not in self.attribute:
            self.attribute[n] = _attribute_line(self.paragraphs[n])
        return self.attribute[n]

    def scope(self, i: int) -> str:
        """The section a label line speaks for: its parent's, or the grandparent's when the parent is a label
        itself ('b) Cơ quan thực hiện:' above '- Đơn vị chủ trì: ...')."""
        scope = _parent(self.paragraphs[i].section)
        for n in range(i - 1, max(-1, i - 12), -1):
            if self.paragraphs[n].section == scope:
                return _parent(scope) if self.is_attribute(n) else scope
        return scope

    def block(self, i: int) -> list[int]:
        """The task paragraphs a label line at i speaks for: those of its scope before it, back to the
        attribute lines of the task before."""
        scope = self.scope(i)
        tasks, attributes = [], True
        for n in range(i - 1, max(-1, i - 40), -1):
            q = self.paragraphs[n]
            if scope and not (q.section == scope or q.section.startswith(scope + ".")):
                break
            if self.is_attribute(n):
                if not attributes:
                    break
                continue
            attributes = False
            tasks.append(n)
            if q.section == scope:
                break
        return tasks

    def inherited(self, p: Paragraph) -> list[tuple[Assignment, Paragraph]]:
        """Assignments a task gets from the label lines after it, each with the paragraph that names the agency."""
        from .parse import CONTENT_KINDS
        i = self.at.get(p.id)
        if i is None or p.kind == "table_row" or self.is_attribute(i):
            return []
        out, seen = [], False
        for n in range(i + 1, min(len(self.paragraphs), i + 25)):
            q = self.paragraphs[n]
            if q.kind not in CONTENT_KINDS:
                break
            if not self.is_attribute(n):
                if seen:
                    break
                continue  # the task's own sub-items come before its attribute lines
            seen = True
            if label_of(q.plain) and i in self.block(n):
                out += [(Assignment(a.agency, a.role, " ".join(p.plain.split()), p.id, p.doc_id, "line", a.mention), q)
                        for a in self.own_of(q)]
        return out


    def heading_of(self, p: Paragraph, mention: str) -> Paragraph:
        """The heading paragraph above p that names an agency (p itself when it is not found)."""
        i = self.at.get(p.id, 0)
        want = " ".join(mention.split())
        for n in range(i - 1, max(-1, i - 300), -1):
            q = self.paragraphs[n]
            if q.kind in ("heading", "item", "body") and want in " ".join(q.plain.split()) \
                    and " ".join(plain(q.text).split()) in {" ".join(plain(h).split()) for h in p.headings}:
                return q
        return p

    def is_agency_line(self, n: int) -> bool:
        """A paragraph that only names agencies, maybe with a role ('Sở Tài chính - Cơ quan thường trực Ban Chỉ
        đạo', '2. Sở Nội vụ:'): the tasks after it, in its section, are theirs."""
        p = self.paragraphs[n]
        own = [a for a in self.own_of(p) if a.source == "subject" and a.role != "phối hợp"]
        return bool(own) and p.kind != "table_row" and names_only(p.plain, [a.mention for a in own])

    def agency_line(self, p: Paragraph) -> list[tuple[Assignment, Paragraph]]:
        """Assignments a task gets from an agency line above it in its section."""
        i = self.at.get(p.id)
        if i is None or self.is_attribute(i):
            return []
        parent = _parent(p.section)
        for n in range(i - 1, max(-1, i - 40), -1):
            q = self.paragraphs[n]
            above = p.section == q.section or p.section.startswith(q.section + ".")
            if q.kind in ("heading", "title") or not (above or q.section.startswith(parent + ".")):
                return []
            if above and self.is_agency_line(n):
                folded = fold_aligned(p.plain)
                mark = _MARK.match(folded)
                own = _role_after(folded[mark.end() if mark else 0:])
                return [(Assignment(a.agency, own if own in ("chủ trì", "phối hợp", "tham mưu") else a.role,
                                    " ".join(p.plain.split()), p.id, p.doc_id, "heading", a.mention), q)
                        for a in self.own_of(q) if a.role != "phối hợp"]
        return []


_MARKS = re.compile("[\u0300-\u036f]")
_PLANS: dict[int, _Plan] = {}  # by the identity of a document's paragraphs (the plan holds them, so it is kept)


def _plan(doc: Document) -> _Plan:
    plan = _PLANS.get(id(doc.paragraphs))
    if plan is None or plan.paragraphs is not doc.paragraphs:
        if len(_PLANS) >= 64:
            _PLANS.clear()
        plan = _PLANS[id(doc.paragraphs)] = _Plan(doc)
    return plan


def paragraph_assignments(doc: Document, p: Paragraph) -> list[tuple[Assignment, Paragraph]]:
    """Who a task paragraph is given to, the lines after it read too: each assignment with the paragraph that
    names the agency (the task itself, or its '- Cơ quan chủ trì: ...' line)."""
    plan = _plan(doc)
    own = [(a, plan.heading_of(p, a.mention) if a.source == "heading" else p) for a in plan.own_of(p)]
    more = [(a, q) for a, q in plan.inherited(p) if a.agency not in {b.agency for b, _ in own}]
    if more:  # the task's own lines say better than an agency heading far above
        own = [(a, q) for a, q in own if a.source != "heading"]
    elif all(a.role == "phối hợp" for a, _ in own):
        above = plan.agency_line(p)
        more = [(a, q) for a, q in above if a.agency not in {b.agency for b, _ in own}]
    return own + more


def tasks_of(doc: Document, names: list[str], enough: int | None = None) -> list[tuple[Assignment, Paragraph]]:
    """The tasks a plan gives to some agencies, in plan order, each with the paragraph that names the agency
    (stopping once `enough` are their own, not 'phối hợp'). Only paragraphs that name one of them (in their
    text, headings or label lines) are read, so it is fast."""
    from .parse import CONTENT_KINDS
    plan = _plan(doc)
    wanted = {canonical_agency(n) or clean(n) for n in names}
    needles = {f" {key(s)} " for n in wanted for s in spellings(n)}
    hit = [i for i in range(len(doc.paragraphs)) if any(n in plan.skeleton(i) for n in needles)]
    read = set(hit) | {t for i in hit if label_of(doc.paragraphs[i].plain) for t in plan.block(i)}
    for i in hit:  # the tasks after an agency line
        if plan.is_agency_line(i):
            section = doc.paragraphs[i].section
            for n in range(i + 1, min(len(doc.paragraphs), i + 40)):
                q = doc.paragraphs[n]
                if not (q.section == section or q.section.startswith(section + ".")) or plan.is_agency_line(n):
                    break
                read.add(n)
    read = sorted(read)
    out = []
    for i in read:
        p = doc.paragraphs[i]
        if p.kind not in CONTENT_KINDS - {"title"} or label_of(p.plain) or plan.is_agency_line(i):
            continue
        out += [(a, q) for a, q in paragraph_assignments(doc, p)
                if a.agency in wanted and len(a.task) - len(a.mention) > 15]  # not the heading '7. Sở Nội vụ'
        if enough and sum(a.role != "phối hợp" for a, _ in out) >= enough:
            break
    return out


def paragraph_by_id(doc: Document, paragraph_id: str) -> Paragraph | None:
    i = _plan(doc).at.get(paragraph_id)
    return doc.paragraphs[i] if i is not None else None


def label_tasks(doc: Document, p: Paragraph) -> list[Paragraph]:
    """The task paragraphs a label line ('- Cơ quan chủ trì: ...') speaks for, nearest first; [] for other lines."""
    plan = _plan(doc)
    i = plan.at.get(p.id)
    return [doc.paragraphs[n] for n in plan.block(i)] if i is not None and label_of(p.plain) else []


def document_assignments(doc: Document) -> list[Assignment]:
    """Assignments of a plan's task paragraphs (an agency heading itself states no task)."""
    from .parse import CONTENT_KINDS
    return [a for p in doc.paragraphs if p.kind in CONTENT_KINDS - {"heading", "title"}
            for a, _ in paragraph_assignments(doc, p)]


# --- targets: numbers, the nouns they count, comparators -------------------------------------------

# A number as plans write it: thousands with '.', decimals with ',' ('1.500.000', '2,5', '01'); a '.' before
# one or two digits is a decimal point only before '%'. It never starts or ends inside a longer token, so
# '214/NQ-CP', '23/7/2025', 'TCVN 14423:2025', '19h00' and '5G' hold no quantity.
_NUMBER = r"(?:\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?(?![.,:]\d)|\d+\.\d{1,2}(?=\s*%))"
_VALUE = re.compile(rf"(?<![\w.,/:\-–*×=+])(?P<value>{_NUMBER}(?:\s*[-–]\s*{_NUMBER}(?![\w/]))?)(?![\w/])")
_TOKEN = re.compile(r"%|[^\W\d_]+|\d+|\S")
_YEAR = re.compile(r"(?:19|20)\d\d")


def _words(text: str) -> list[str]:
    """Lower-cased words and signs: 'Quyết định số 1899/QĐ' -> ['quyết', 'định', 'số', '1899', '/', 'qđ']."""
    return [t.lower() for t in _TOKEN.findall(normalize(text))]


@lru_cache(maxsize=None)
def _phrases(category: str, folded: bool = False) -> dict[tuple[str, ...], str]:
    """A cues.tsv category as word tuples -> value (the phrase itself when no value is given)."""
    return {tuple(fold(w) if folded else w for w in _words(phrase)): value or phrase
            for phrase, value in cues(category)}


@lru_cache(maxsize=None)
def _doc_types() -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(_words(row[0])) for row in read_table("doc_types.tsv"))


def _is_reference(before: str) -> bool:
    """Whether the words before a number make it a name or a reference ('Điều 4', 'Đề án 06', 'ngày 15',
    'Quyết định 1899', 'Kế hoạch số 308'); a document type counts capitalised or before 'số', so that
    'báo cáo 02 lần/ngày' still counts reports."""
    toks = _TOKEN.findall(normalize(before))
    low = [t.lower() for t in toks]
    if _ends_with(low, _phrases("reference")):
        return True
    numbered = low[-1:] == ["số"]
    got = _ends_with(low[:-1] if numbered else low, _doc_types())
    return bool(got) and (numbered or toks[len(toks) - len(got) - numbered][:1].isupper())


def _ends_with(words: list[str], table) -> tuple[str, ...] | None:
    """The longest phrase of `table` the word list ends with."""
    for n in range(min(len(words), 4), 0, -1):
        if tuple(words[-n:]) in table:
            return tuple(words[-n:])
    return None


def _starts_with(words: list[str], table) -> tuple[str, ...] | None:
    for n in range(min(len(words), 4), 0, -1):
        if tuple(words[:n]) in table:
            return tuple(words[:n])
    return None


def read_unit(text: str, folded: bool = False) -> tuple[str, int]:
    """The unit a text after a number starts with, in normal form, and its length in characters:
    '400 triệu USD' -> 'triệu USD', '02 lần/ngày' -> 'lần/ngày', '200 giường bệnh tuyến xã' -> 'giường bệnh
    tuyến xã'. `folded`: the text lost its accents (a question typed without them), compare folded."""
    toks = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    low = [fold(t) if folded else normalize(t).lower() for t, _, _ in toks]
    measures, mults, ends = (_phrases(c, folded) for c in ("unit", "multiplier", "unit_end"))
    parts, i, end = [], 0, 0
    while i < len(toks) and len(parts) < 2 and (m := _starts_with(low[i:i + 1], mults)):
        parts.append(mults[m])
        i, end = i + 1, toks[i][2]
    m = _starts_with(low[i:i + 4], measures)
    if m:
        parts.append(measures[m])
        i, end = i + len(m), toks[i + len(m) - 1][2]
        per = low[i + 1:i + 2] if i < len(toks) and low[i] in ("/", "mỗi", "một", "moi", "mot") else []
        if per and toks[i + 1][0][0].isalpha() and (low[i] == "/" or fold(per[0]) in ("ngay", "tuan", "thang", "nam")):
            parts[-1] += "/" + toks[i + 1][0].lower()  # '02 lần/ngày', '10%/năm', '1.500.000 đồng/người'
            end = toks[i + 1][2]
        return " ".join(parts), end
    noun = []
    while i < len(toks) and len(noun) < 6 and toks[i][0][0].isalpha() and not _starts_with(low[i:i + 2], ends):
        if noun and toks[i][1] > toks[i - 1][2] + 1 and "\n" not in text[toks[i - 1][2]:toks[i][1]]:
            break  # a gap of masked markup: the noun ended at a bold run
        noun.append(toks[i][0])
        i, end = i + 1, toks[i][2]
    if not noun:
        return "", 0
    return " ".join(parts + [w if w.isupper() and len(w) > 1 else w.lower() for w in noun]), end


def _comparator(before: str) -> str:
    """The comparator words a number follows ('đạt tối thiểu', 'ít nhất'), as written."""
    words, table, n = before.split(), _phrases("comparator"), 0
    low = [normalize(w).lower().strip(",:()") for w in words]
    for _ in range(2):
        got = _ends_with(low[:len(low) - n], table)
        if not got:
            break
        n += len(got)
    return " ".join(words[len(words) - n:]).strip(",:()") if n else ""


def _is_year(value: str) -> bool:
    return all(_YEAR.fullmatch(v.strip()) for v in re.split(r"[-–]", value))


def quantities(text: str) -> list[tuple[int, int, str, str, int]]:
    """(start, end, value, unit, unit end) of every quantity a text states; dates, years, document
    numbers, references ('Điều 4', 'Đề án 06') and list numbers are not quantities."""
    out = []
    for m in _VALUE.finditer(text):
        before = text[max(0, m.start() - 60):m.start()]
        if re.search(r"\(\s*$", before) and text[m.end():m.end() + 1] == ")" or re.search(r"[*×=+/]\s*$", before):
            continue  # '(1)': a list number; 'b/a * 100%': a formula
        if _is_reference(before):
            continue
        unit, uend = read_unit(text[m.end():m.end() + 80])
        if not unit:
            continue
        if _is_year(m.group("value")) and (unit.split("/")[0] in {"ngày", "tuần", "tháng", "quý", "năm"}
                                           or unit not in set(_phrases("unit").values())):
            continue  # 'năm 2030', '2026-2030 các xã ...': a year; '1700 ha' is an area
        out.append((m.start(), m.end(), m.group("value"), unit, m.end() + uend))
    return out


_UPPER_LETTERS = "".join(c for c in map(chr, [*range(0x41, 0x250), *range(0x1E00, 0x1F00)]) if c.isupper())
# Where a clause ends: ';', a sentence end before a capital ('v.v. để' goes on; 'TP. Cần Thơ' is one name), a
# ⁽n⁾ mark, a wrapped line that starts a '-', '+' or '•' item (not '2026\n- 2030', a wrapped year range).
_CLAUSE_END = re.compile(rf";\s+|(?<!\bTP)(?<!\bTp)(?<!\bTX)\.\s+(?=[{_UPPER_LETTERS}])|(?=⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾)"
                         r"|(?<!\d)\n(?=\s*[-+•])|\n(?=\s*[-+•]\s*[^\d\s])")


def clauses(text: str) -> list[tuple[int, int]]:
    """Spans of the clauses a paragraph states, split at ';', sentence ends and ⁽n⁾ enumerations."""
    spans, start = [], 0
    for m in _CLAUSE_END.finditer(text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text.rstrip())))
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in spans if text[s:e].strip()]


def targets(p: Paragraph) -> list[Target]:
    """Quantified targets a paragraph states: '80% ... đến năm 2020', 'ít nhất 01 thanh niên', table cells."""
    text = p.plain
    if p.kind == "table_row" and p.table_header:  # the numeric cells, then what the text cells say
        out = table_targets(p)
        spans = [(s + a, s + b) for s, e in cells(text) if e > s and not _number_cell(text[s:e])
                 for a, b in clauses(text[s:e])]
    else:
        out, spans = [], clauses(text)
    for s, e in spans:
        clause = text[s:e]
        found = deadlines_in(clause)
        deadline = " ".join(clause[found[0][0]:found[0][1]].split()) if found else ""
        for vs, ve, value, unit, uend in quantities(clause):
            comp = _comparator(clause[max(0, vs - 40):vs])
            after = re.match(r"[^,;:.()]*", clause[uend:]).group(0)
            first = [w for w in _words(after) if w not in ("các", "những")][:2]
            if unit.startswith("%") and (not first or _starts_with(first, _phrases("unit_end"))
                                         or _deadline_pattern().match(_lower(after.strip()))):
                # 'tỷ lệ thu gom rác thải đạt 100% vào năm 2030': what is counted comes first
                before = clause[:vs].rstrip()[:len(clause[:vs].rstrip()) - len(comp)]
                counted = " ".join(re.split(r"[,;:(]", before)[-1].split()[-12:])
            else:
                counted = " ".join((clause[ve:uend] + after).split()[:12])
            out.append(Target(" ".join(value.split()), unit, comp, deadline, counted, " ".join(clause.split()),
                              p.id, p.doc_id))
    return out


# --- targets in tables ----------------------------------------------------------------------------

_STT = re.compile(r"[IVXLivxl]{1,5}[.)]?|\d{1,3}(?:\.\d{1,3})*[.)]?|[a-zđA-ZĐ][.)]?|[-+•*–]")
_CELL_NUMBER = re.compile(rf"(?P<comp>[^\d]*?)\s*(?P<value>{_NUMBER})\s*(?P<unit>%|[^\W\d_][^|]{{0,20}})?")


def _number_cell(cell: str) -> re.Match | None:
    """A cell that is a figure: '18.000', '95%', '12 vụ', 'trên 50%' (not 'Xây dựng 02 mô hình')."""
    m = _CELL_NUMBER.fullmatch(cell.strip())
    return m if m and (not m["comp"].strip() or _comparator(m["comp"])) else None


def cells(text: str) -> list[tuple[int, int]]:
    """Spans of a table row's cells (split at '|' or tabs), white space trimmed; empty cells kept, but not the
    ones outside a Markdown row's outer pipes ('| 1 | Chè |')."""
    sep = "\t" if "\t" in text else "|"
    out, start = [], 0
    for part in text.split(sep):
        s = start + len(part) - len(part.lstrip())
        out.append((s, max(s, start + len(part.rstrip()))))
        start += len(part) + 1
    if sep == "|" and len(out) > 1:
        out = out[1:] if text.lstrip().startswith("|") else out
        out = out[:-1] if text.rstrip().endswith("|") else out
    return out


def _columns(spans: list[tuple[int, int]], header: tuple[str, ...]) -> list[str]:
    """The column name of each cell, when the row lines up with its header; '' where it does not."""
    if len(spans) == len(header):
        return list(header)
    full = [i for i, (s, e) in enumerate(spans) if e > s]
    if len(full) == len(header):
        names = [""] * len(spans)
        for i, h in zip(full, header):
            names[i] = h
        return names
    if 0 < len(header) - len(spans) <= 2:  # 'Tổng cộng' spanning the 'TT' column: the figures keep theirs
        return [""] + list(header[len(header) - len(spans) + 1:])
    return [""] * len(spans)


def _is_label(name: str, category: str) -> bool:
    """Whether a column name or a line starts with a phrase of a cues.tsv category ('Thời gian thực hiện')."""
    return bool(_starts_with(_words(name), _phrases(category)))


def _header_unit(name: str) -> str:
    """The unit a column header names: 'Sản lượng (tấn)' -> 'tấn', 'Số vụ' -> 'vụ', 'Điểm chuẩn' -> 'điểm'."""
    if m := re.search(r"\(([^()]{1,30})\)\s*$", name):
        return read_unit(m.group(1))[0]
    if _YEAR.search(name):  # 'Năm 2026', 'Kế hoạch 2027': the unit is in an 'ĐVT' column or the cell
        return ""
    words = _words(name)
    if words[:1] == ["số"] and len(words) > 1 and words[1] not in ("lượng", "liệu", "tiền", "tt"):
        return read_unit(" ".join(name.split()[1:]))[0]
    unit = read_unit(name)[0]
    return unit if unit in set(_phrases("unit").values()) else ""


def table_targets(p: Paragraph) -> list[Target]:
    """A table row's numbers under its numeric columns: value, the unit from the cell, the header or an
    'ĐVT' column, and what is counted (the row's label and the column); a row number is never a value."""
    text = p.plain
    spans = cells(text)
    names = _columns(spans, p.table_header)
    texts = [" ".join(text[s:e].split()) for s, e in spans]
    full = [i for i, t in enumerate(texts) if t]
    unit_col = next((t for n, t in zip(names, texts) if n and _is_label(n, "unit_column")), "")
    label = next((t for t in texts if t and not _STT.fullmatch(t) and not _number_cell(t)), "")
    phrase = " ".join(text.split())
    out = []
    for i in full:
        m, name = _number_cell(texts[i]), names[i]
        if not m or i == full[0] and _STT.fullmatch(texts[i]) or _is_year(m["value"]):
            continue
        if name and (_is_label(name, "deadline_label") or re.fullmatch(r"(?:s[oố]\s*)?t\.?t\.?", fold(name))):
            continue
        unit = read_unit(m["unit"] or "")[0] or _header_unit(name) or (read_unit(unit_col)[0] if unit_col else "")
        counted = " — ".join(x for x in (label, name) if x)
        year = _YEAR.search(name)
        out.append(Target(m["value"], unit, m["comp"].strip(), name if year else "", counted, phrase,
                          p.id, p.doc_id))
    return out


def document_targets(doc: Document) -> list[Target]:
    from .parse import CONTENT_KINDS
    return [t for p in doc.paragraphs if p.kind in CONTENT_KINDS for t in targets(p)]


# --- deadlines ------------------------------------------------------------------------------------

# The shapes of a date or a time as plans write them, on lower-cased text (a space stands for any white
# space, as lines are hard-wrapped). Accents matter: 'đấu' is not 'đầu', 'nam' is not 'năm'.
_DATE = (r"(?P<date>ngày \d{1,2} ?[/.-] ?\d{1,2}(?: ?[/.-] ?\d{4})?"  # ngày 25/5/2022, ngày 15/12
         r"|\d{1,2} ?/ ?\d{1,2}(?: ?/ ?\d{4})?(?![\d/])"  # 31/5/2026; 'trước 30/6' (a bare '2/3' is dropped)
         r"|ngày \d{1,2} tháng \d{1,2}(?: ?,? năm \d{4})?"  # ngày 17 tháng 12 (năm 2025)
         r"|ngày \d{1,2}(?= (?:hằng|hàng|mỗi) ))"  # ngày 15 hằng tháng
         r"|(?P<month>tháng \d{1,2}(?: ?[/-] ?\d{4}| năm \d{4})?)"
         r"|(?P<quarter>qu[ýí] (?:iv|i{1,3}|[1-4])(?!\w)(?: ?[/-] ?\d{4}| năm \d{4})?)"
         r"|(?P<year>(?:năm|giai đoạn) \d{4}(?: ?- ?\d{4})?)"
         r"|(?P<hour>\d{1,2} ?(?:h|giờ) ?(?:\d{2}(?: ?phút)?)?(?!\w)[’']?)")
_RECUR = r"(?:hằng|hàng|mỗi) (?:năm|quý|quí|tháng|tuần|ngày)"
_OTHER = (r"(?P<period>định k[ỳìƕ] (?:\d+ (?:tháng|năm|tuần|ngày|quý)"
          r"|(?:(?:hằng|hàng) )?(?:năm|quý|tháng|tuần|ngày))"
          r"|\d+ (?:tháng|năm|tuần|ngày) ?(?:/|một|mỗi) ?lần)"
          r"|(?P<frequency>\d+ lần ?(?:/ ?|một |mỗi |trong (?:một |1 )?)(?:ngày|tuần|tháng|quý|năm))"
          r"|(?P<duration>trong(?: vòng| thời gian| thời hạn)? \d+ (?:giờ|ngày làm việc|ngày|tuần|tháng))")
_DOCUMENT_DATE = r"(?:\d+ ?/ ?[\w/-]*[^\W\d_][\w/-]*|ban hành|(?<!\w)ký|số \d+) ?,? ?$"
_DASHES = str.maketrans("–—‐‑−", "-----")


def _spaced(pattern: str) -> str:
    """A pattern written with ' ' for white space and ' ?' for optional white space."""
    return pattern.replace(" ?", r"\s*").replace(" ", r"\s+")


def _lower(text: str) -> str:
    """Lower case with one character per input character, so match offsets carry over."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text).translate(_DASHES)


@lru_cache(maxsize=None)
def _deadline_pattern() -> re.Pattern:
    prefixes = "|".join(r"\s+".join(map(re.escape, _lower(p).split())) for p, _ in cues("deadline_prefix"))
    date = _spaced(_DATE)
    when = rf"(?P<prefix>(?:(?:{prefixes})\s+)+)?(?:{date})"
    return re.compile(
        rf"(?<![\w/])(?:{_spaced(_OTHER)}|{when}(?:\s*(?:-|đến|tới)\s*(?:{date.replace('?P<', '?P<to_')}))?"
        rf"(?:\s*,?\s*(?P<recurring>{_spaced(_RECUR)}))?|(?P<recur>{_spaced(_RECUR)}))(?!\w)")


@lru_cache(maxsize=None)
def _label_pattern() -> re.Pattern:
    labels = "|".join(r"\s+".join(map(re.escape, _lower(p).split())) for p, _ in cues("deadline_label"))
    return re.compile(rf"(?:^|(?<=[\n.;]))\s*(?:[a-zđ]\)\s*|[-+•*]\s*|\d+(?:\.\d+)*\.?\s+)?(?:{labels})"
                      rf"(?:\s+\w+){{0,3}}\s*:\s*(?P<value>[^;]{{1,200}}?)(?=\s*(?:\.\s|\.?\s*\Z|;))",
                      re.MULTILINE | re.DOTALL)


def _shapes(low: str) -> tuple[str, ...]:
    """What the deadline phrases of a lower-cased text state: 'date', 'hour', 'recurring', 'period', ..."""
    return tuple(dict.fromkeys(s for _, _, shapes in _phrase_matches(low, bare=True) for s in shapes))


def _phrase_matches(low: str, bare: bool = False) -> list[tuple[int, int, tuple[str, ...]]]:
    """Deadline phrases of a lower-cased text; a date or year with no word before it only when `bare`."""
    out = []
    for m in _deadline_pattern().finditer(low):
        shapes = [{"recur": "recurring"}.get(k, k).removeprefix("to_") for k, v in m.groupdict().items() if v]
        if not bare and "prefix" not in shapes and "recurring" not in shapes and set(shapes) <= {"date", "year"}:
            continue  # a bare 'ngày 22/12/2024', 'năm 2025': a document's date or a year, not a deadline
        shapes = [s for s in shapes if s != "prefix"]
        out.append((m.start(), m.end(), tuple(dict.fromkeys(shapes))))
    return out


def deadlines_in(text: str) -> list[tuple[int, int, tuple[str, ...]]]:
    """(start, end, shapes) of the deadline phrases of a text, in order: labelled values
    ('Thời gian hoàn thành: Trước ngày 31/5/2026') and dates, months, quarters, hours, periods."""
    low = _lower(text)
    out = []
    for m in _label_pattern().finditer(low):
        s = m.start("value")
        e = s + len(text[s:m.end("value")].rstrip(" .;,"))
        if e > s:
            out.append((s, e, ("label", *_shapes(low[s:e]))))
    for s, e, shapes in _phrase_matches(low):
        if any(a <= s < b for a, b, _ in out):
            continue
        if "date" in shapes and re.match(r"ngày|\d", low[s:]) and \
                re.search(_spaced(_DOCUMENT_DATE), low[max(0, s - 60):s]):
            continue  # 'Quyết định số 1899/QĐ-UBND ngày 23/7/2025': the date of a document, not a deadline
        out.append((s, e, shapes))
    return sorted(out)


def deadlines(p: Paragraph) -> list[Deadline]:
    """When a paragraph's tasks are due: its deadline phrases, or a table row's time column."""
    text = p.plain
    if p.kind == "table_row" and p.table_header:
        spans = cells(text)
        label = next((" ".join(text[s:e].split()) for s, e in spans if e > s and not _STT.fullmatch(text[s:e])), "")
        out = [Deadline(" ".join(text[s:e].split()), label, p.id, p.doc_id, s, e,
                        ("label", *_shapes(_lower(text[s:e]))))
               for (s, e), name in zip(spans, _columns(spans, p.table_header))
               if e > s and name and _is_label(name, "deadline_label")]
        if out:
            return out
    spans = clauses(text) or [(0, len(text))]
    out = []
    for s, e, shapes in deadlines_in(text):
        cs, ce = next(((a, b) for a, b in spans if a <= s < b), (0, len(text)))
        task = "" if "label" in shapes and s - cs < 50 else " ".join(text[cs:ce].split())
        out.append(Deadline(" ".join(text[s:e].split()), task, p.id, p.doc_id, s, e, shapes))
    return out


def is_deadline_line(p: Paragraph) -> bool:
    """Whether a paragraph is a task's deadline on a line of its own: 'c) Thời gian thực hiện: Quý IV/2025.'"""
    return bool(_label_pattern().match(_lower(p.plain)))


def preceding_task(doc: Document, p: Paragraph) -> Paragraph | None:
    """The task a deadline line of its own belongs to: the paragraph before it, past the task's attribute
    lines ('b) Cơ quan chủ trì: Sở Y tế.'); a 'Nhiệm vụ: ...' or 'Nội dung: ...' line is the task itself."""
    from .parse import CONTENT_KINDS
    paras = doc.paragraphs
    i = next((n for n, q in enumerate(paras) if q.id == p.id), None)
    if i is None or not is_deadline_line(p):
        return None
    for q in reversed(paras[max(0, i - 8):i]):
        if is_deadline_line(q) or q.kind not in CONTENT_KINDS:
            return None
        label = _LABEL_LINE.match(q.plain)
        if not label or _is_label(label["label"], "task_label"):
            return q
    return None


_LABEL_LINE = re.compile(r"\s*(?:[a-zđ]\)|[-+•*]|\d+(?:\.\d+)*\.?)?\s*(?P<label>[^\W\d][^:\n]{1,40}):")
_NEW_ITEM = re.compile(r"\s*(?:[a-zđ]\)|\d+(?:\.\d+)*\.|[IVXL]+\.)\s")


def following_deadline(doc: Document, p: Paragraph) -> tuple[Paragraph, Deadline] | None:
    """The deadline line after a task ('a) Nhiệm vụ: ...', 'b) Cơ quan thực hiện: ...', 'c) Thời gian thực
    hiện: ...'; a duty, then 'Thời gian hoàn thành: ...'), passing its other attribute lines and sub-items."""
    from .parse import CONTENT_KINDS
    paras = doc.paragraphs
    i = next((n for n, q in enumerate(paras) if q.id == p.id), None)
    if i is None or is_deadline_line(p) or any("label" in d.shapes for d in deadlines(p)):
        return None  # the task states its own deadline
    for q in paras[i + 1:i + 9]:
        label = _LABEL_LINE.match(q.plain)
        if q.kind not in CONTENT_KINDS or q.kind in ("heading", "title") and not label:
            return None
        if is_deadline_line(q):
            found = [d for d in deadlines(q) if "label" in d.shapes]
            return (q, found[0]) if found else None
        if not label and _NEW_ITEM.match(q.plain):
            return None  # the next task
    return None
