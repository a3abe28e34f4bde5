"""Plan facts found in paragraphs: who is assigned a task (and in what role), and quantified targets."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .normalize import cues, read_table
from .records import Assignment, Document, Paragraph, Target

ROLES = ("chủ trì", "thực hiện", "đề nghị", "phối hợp")  # the order answers list them in


def fold_aligned(text: str) -> str:
    """Accent-folded lower case with one character per input character, so match offsets carry over."""
    out = []
    for c in text:
        d = unicodedata.normalize("NFD", c.lower().replace("đ", "d").replace("Đ", "d"))
        base = "".join(x for x in d if not unicodedata.combining(x))
        out.append((base or " ")[0])
    return "".join(out).translate(str.maketrans("–—‐‑−", "-----"))


# --- agencies -------------------------------------------------------------------------------------

def _alias_regex(alias: str) -> str:
    """Pattern for one spelling: accents optional, letters with diacritics may be lost, separators loose."""
    words = []
    for word in re.split(r"[\s,\-–]+", alias.strip()):
        if not word:
            continue
        if fold_aligned(word) == "va":
            words.append("(?:va)")
            continue
        parts = []
        for c in word:
            f = fold_aligned(c)
            if not f.strip():
                continue
            parts.append(re.escape(f) + ("?" if not c.isascii() and c.isalpha() else ""))
        words.append("".join(parts))
    return r"[\s,\-]*".join(words)


@lru_cache(maxsize=None)
def _agency_table() -> tuple[re.Pattern, dict[str, str]]:
    spellings: dict[str, str] = {}
    for canonical, aliases in ((r[0], r[1] if len(r) > 1 else "") for r in read_table("agencies.tsv")):
        for a in [canonical, *filter(None, aliases.split("|"))]:
            spellings[a] = canonical
    ordered = sorted(spellings, key=len, reverse=True)
    groups = "|".join(f"(?P<a{i}>{_alias_regex(a)})" for i, a in enumerate(ordered))
    pattern = re.compile(rf"(?<![a-z0-9])(?:{groups})(?![a-z0-9])")
    return pattern, {f"a{i}": spellings[a] for i, a in enumerate(ordered)}


def agencies_in(text: str) -> list[tuple[str, int, int]]:
    """(canonical agency, start, end) for every agency a text names, in order."""
    pattern, names = _agency_table()
    return [(names[m.lastgroup], m.start(), m.end()) for m in pattern.finditer(fold_aligned(text))]


def canonical_agency(name: str) -> str | None:
    """The canonical form of an agency name as a user may type it, or None."""
    found = agencies_in(name)
    return found[0][0] if found else None


# --- assignments ----------------------------------------------------------------------------------

_MARK = re.compile(r"^\s*(?:[IVXL]+\.|\d{1,2}(?:\.\d{1,2})*[.)]?|[a-zđ]\)|[-+•–—*·])\s*", re.IGNORECASE)
_LEAD = re.compile(r"^(?:giao|de nghi|yeu cau|dong thoi)\s+", re.IGNORECASE)
_LIST_GLUE = re.compile(r"^[\s,;:.\-]*(?:va|cung|voi)?[\s,;:.\-]*$")
_PAREN = re.compile(r"\(([^()]{8,400})\)")
_ROLE_VERBS = re.compile(r"chu tri|phoi hop|thuc hien|chi dao|huong dan|tham muu|trien khai")


def _subjects(text: str) -> tuple[list[str], int, bool]:
    """Agencies a clause starts with ('Sở Y tế, Công an tỉnh ...'): names, end offset, 'Đề nghị' lead."""
    folded = fold_aligned(text)
    mark = _MARK.match(folded)
    pos = mark.end() if mark else len(folded) - len(folded.lstrip())
    lead = _LEAD.match(folded[pos:])
    requested = bool(lead and lead.group(0).startswith("de nghi"))
    pos += lead.end() if lead else 0
    names, end = [], pos
    for name, s, e in agencies_in(text):
        if s < end:
            continue
        if not _LIST_GLUE.match(folded[end:s]) or (names and s - end > 8) or (not names and s != pos):
            break
        names.append(name)
        end = e
    return names, end, requested


def _role_after(folded_rest: str, requested: bool) -> str:
    rest = folded_rest.lstrip(" ,:;-")
    if rest.startswith("chu tri"):
        return "chủ trì"
    if rest.startswith("phoi hop"):
        return "phối hợp"
    return "đề nghị" if requested else "thực hiện"


def _partners(folded: str, text: str, start: int) -> list[str]:
    """Agencies named after 'phối hợp (với)' in a clause."""
    m = re.compile(r"phoi hop(?: voi)?").search(folded, start)
    if not m:
        return []
    stop = re.compile(r"[;.]|thuc hien|trien khai|to chuc").search(folded, m.end())
    end = stop.start() if stop else len(folded)
    return [n for n, s, e in agencies_in(text[m.end():end])]


def assignments(p: Paragraph) -> list[Assignment]:
    """Who a paragraph gives its task to: closing parenthesis, sentence subject, or agency heading."""
    out: list[Assignment] = []
    text, folded = p.text, fold_aligned(p.text)
    task = " ".join(text.split())

    def add(names, role, source, mention=""):
        for n in dict.fromkeys(names):
            out.append(Assignment(n, role, task, p.id, p.doc_id, source, mention))

    for m in reversed(list(_PAREN.finditer(text))):  # '(Công an tỉnh chủ trì phối hợp với ... thực hiện)'
        inner, finner = m.group(1), folded[m.start(1):m.end(1)]
        if not _ROLE_VERBS.search(finner):
            continue
        names, end, requested = _subjects(inner)
        if not names:
            continue
        role = _role_after(finner[end:], requested)
        add(names, role, "parenthesis", inner)
        add([n for n in _partners(finner, inner, end) if n not in names], "phối hợp", "parenthesis", inner)
        for clause in re.split(r";", inner)[1:]:  # '...; Công an tỉnh hướng dẫn ...'
            more, e2, req2 = _subjects(clause)
            add(more, _role_after(fold_aligned(clause)[e2:], req2), "parenthesis", clause)
        return out
    names, end, requested = _subjects(text)
    if names:
        add(names, _role_after(folded[end:], requested), "subject")
        add([n for n in _partners(folded, text, end) if n not in names], "phối hợp", "subject")
        return out
    for heading in reversed(p.headings):
        names, end, requested = _subjects(heading)
        rest = fold_aligned(heading)[end:].strip(" :.,;")
        if names and len(rest) <= 12:  # the heading is the agency list itself ('4. Sở Y tế')
            role = _role_after(folded[_MARK.match(folded).end() if _MARK.match(folded) else 0:], requested)
            add(names, role, "heading", heading)
            add([n for n in _partners(folded, text, 0) if n not in names], "phối hợp", "heading")
            return out
    return out


def document_assignments(doc: Document) -> list[Assignment]:
    """Assignments of a plan's task paragraphs (an agency heading itself states no task)."""
    from .parse import CONTENT_KINDS
    return [a for p in doc.paragraphs if p.kind in CONTENT_KINDS - {"heading", "title"} for a in assignments(p)]


# --- targets --------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _quantity() -> re.Pattern:
    units = "|".join(re.escape(fold_aligned(u)) for u, _ in cues("unit"))
    comps = "|".join(re.escape(fold_aligned(c)) for c, _ in cues("comparator"))
    return re.compile(
        rf"(?:(?P<comp>{comps})\s+)?(?P<value>\d+(?:[.,]\d+)?(?:\s*-\s*\d+(?:[.,]\d+)?)?)\s*"
        rf"(?:(?P<pct>%|phan tram)|(?P<unit>{units})(?![a-z]))")


_DATE = r"(?:\d{1,2}/\d{1,2}/\d{4}|\d{1,2}/\d{4}|\d{4}(?:\s*-\s*\d{4})?)"
_DEADLINE = re.compile(rf"(?:(?:den|truoc|trong|tu)\s+)?(?:ngay|nam|thang|giai doan)\s+{_DATE}"
                       rf"|(?:den|truoc)\s+{_DATE}|hang nam|moi nam")


def clauses(text: str) -> list[tuple[int, int]]:
    """Spans of the clauses a paragraph states, split at ';', sentence ends and ⁽n⁾ enumerations."""
    spans, start = [], 0
    for m in re.finditer(r";\s+|\.\s+(?=[A-ZĐÀ-Ỹ])|(?=⁽[⁰-⁹]+⁾)|\n(?=\s*[-+•])", text):
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text.rstrip())))
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in spans if text[s:e].strip()]


def targets(p: Paragraph) -> list[Target]:
    """Quantified targets a paragraph states: '80% ... đến năm 2020', 'ít nhất 01 thanh niên', table quotas."""
    out = []
    if p.kind == "table_row" and p.table_header:
        cells = [c.strip() for c in re.split(r"\t|\|", p.text) if c.strip()]
        if len(cells) == len(p.table_header) and re.fullmatch(r"\d+(?:[.,]\d+)?(?:\s*\w+)?", cells[-1]):
            value = re.match(r"\d+(?:[.,]\d+)?", cells[-1]).group(0)
            counted = f"{p.table_header[-1]} — {cells[1] if len(cells) > 2 else cells[0]}"
            return [Target(value, p.table_header[-1], "", "", counted, " ".join(p.text.split()), p.id, p.doc_id)]
    for s, e in clauses(p.text):
        clause = p.text[s:e]
        folded = fold_aligned(clause)
        deadline = _DEADLINE.search(folded)
        for m in _quantity().finditer(folded):
            if re.search(r"(?:so|ngay|/)\s*$", folded[:m.start("value")]):  # document numbers and dates
                continue
            unit = "%" if m.group("pct") else clause[m.start("unit"):m.end("unit")]
            comp = clause[m.start("comp"):m.end("comp")] if m.group("comp") else ""
            counted = " ".join(clause[m.end():].split()[:12]) if unit == "%" else unit
            out.append(Target(clause[m.start("value"):m.end("value")], unit, comp,
                              clause[deadline.start():deadline.end()] if deadline else "",
                              counted, " ".join(clause.split()), p.id, p.doc_id))
    return out


def document_targets(doc: Document) -> list[Target]:
    from .parse import CONTENT_KINDS
    return [t for p in doc.paragraphs if p.kind in CONTENT_KINDS for t in targets(p)]
