"""Parse a plan's text into citable paragraphs: re-flowed blocks, section labels, heading chains, exact offsets."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .markup import plain
from .normalize import cues, fold, read_table
from .records import Paragraph

# What a paragraph is. Search indexes the content kinds; the others serve metadata and display.
KINDS = ("header", "place_date", "title", "heading", "item", "body", "table_header", "table_row",
         "recipients", "signature")
CONTENT_KINDS = frozenset({"title", "heading", "item", "body", "table_header", "table_row"})

_ROMAN = re.compile(r"(?P<mark>(?P<num>[IVXL]{1,6})\s*[.:)\-–]\s*)(?=[^\W\d_])")
_NUMBERED = re.compile(r"(?P<mark>(?P<num>\d{1,2}(?:\.\d{1,2})*)(?:[.)]\s*|(?<=\d)\s+(?=[^\W\d_])))(?=\S)")
_DOTTED = re.compile(r"\d{1,2}(?:\.\d{1,2})+$")
_LETTERED = re.compile(r"(?P<mark>(?P<num>[a-zđ])\)\s*)(?=\S)")
_BULLET = re.compile(r"(?P<mark>[-+•–—*·∙▪◦]\s*)(?=[^\W\d_]|\S)")
_SUPERSCRIPT = re.compile(r"⁽(?P<num>[⁰¹²³⁴⁵⁶⁷⁸⁹]+)⁾")
_SUP_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_PLACE_DATE = re.compile(r"[^\W\d_][^\d\n,]{1,40},\s*ng[aà]y\b", re.IGNORECASE)
_RECIPIENTS = re.compile(r"n[ơo]i\s+nh[ậa]n\s*:?", re.IGNORECASE)
_SIGNATURE = re.compile(r"(?:(?:TM|KT|TL|TUQ|Q)\s*\.\s*\S|(?:PHÓ\s+)?CHỦ\s+TỊCH\s*$|GIÁM\s+ĐỐC\s*$)")
_APPENDIX = re.compile(r"PH[ỤU]\s+L[ỤU]C\b\s*(?P<num>[IVX\d]+)?", re.IGNORECASE)
_SEPARATOR = re.compile(r"[\s\-_=*.|•~]*")
_TERMINAL = re.compile(r"[.;:!?…][\"”’')\]*]*$")
_MARKED = ("roman", "numbered", "lettered", "bullet", "appendix")


@lru_cache(maxsize=None)
def doc_types() -> dict[str, str]:
    """Folded upper-case type line ("ke hoach") -> the type as named ("Kế hoạch"), from data/doc_types.tsv."""
    return {fold(row[0]): row[0] for row in read_table("doc_types.tsv")}


@lru_cache(maxsize=None)
def connectives() -> frozenset[str]:
    """Words that cannot end a sentence: a wrapped line ending in one continues on the next line."""
    return frozenset(fold(phrase) for phrase, _ in cues("connective"))


@dataclass
class Line:
    start: int  # offset of the first non-space character
    end: int  # offset after the last non-space character
    text: str

    @property
    def blank(self) -> bool:
        return not self.text or bool(_SEPARATOR.fullmatch(self.text))


@dataclass
class Block:
    lines: list = field(default_factory=list)
    kind: str = "body"
    mark: str = ""  # "roman" | "numbered" | "lettered" | "bullet" | "appendix" | "table" | ""
    num: str = ""

    @property
    def start(self) -> int:
        return self.lines[0].start

    @property
    def end(self) -> int:
        return self.lines[-1].end

    @property
    def last(self) -> str:
        return self.lines[-1].text


def split_lines(text: str) -> list[Line]:
    """Lines with offsets of their stripped content; a leading BOM or stray combining mark is skipped."""
    lines, pos = [], 0
    for raw in text.split("\n"):
        lead = len(raw) - len(raw.lstrip(" \t\ufeff\u200b\u00a0\u0300\u0301\u0302\u0303\u0309\u0323"))
        body = raw[lead:].rstrip()
        lines.append(Line(pos + lead, pos + lead + len(body), body))
        pos += len(raw) + 1
    return lines


def classify(line: str) -> tuple[str, str]:
    """The list mark a line starts with, and its number: ("numbered", "2.1"), ("bullet", ""), ("", "")."""
    if "\t" in line.strip() and len([c for c in line.split("\t") if c.strip()]) >= 2:
        return "table", ""
    if line.count("|") >= 2 and len([c for c in line.split("|") if c.strip()]) >= 2:
        return "table", ""
    if m := _APPENDIX.match(line):
        if line[:m.end()].replace(" ", "").isupper() or m.group("num"):
            return "appendix", m.group("num") or ""
    if (m := _ROMAN.match(line)) and _is_roman(m["num"]) and line[m.end():m.end() + 1].isupper():
        return "roman", m["num"]
    if m := _NUMBERED.match(line):
        if m["mark"].strip()[-1:] in ".)" or _DOTTED.match(m["num"]):
            return "numbered", m["num"]
    if m := _LETTERED.match(line):
        return "lettered", m["num"]
    if _BULLET.match(line) and not line.startswith("--"):
        return "bullet", ""
    return "", ""


def _is_roman(s: str) -> bool:
    return bool(re.fullmatch(r"X{0,3}(IX|IV|V?I{0,3})|XL|L", s)) and s != ""


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _wrap_width(lines: list[Line]) -> int | None:
    """The width a hard-wrapped text was cut at, or None when lines are whole paragraphs."""
    lengths = sorted(len(l.text) for l in lines if not l.blank)
    if len(lengths) < 12:
        return None
    width = lengths[int(len(lengths) * 0.8)]
    return width if width <= 120 else None


def _open_bracket(text: str) -> bool:
    return text.count("(") > text.count(")") or text.count("“") > text.count("”")


def _continues(block: Block, line: Line, mark: str, width: int | None) -> bool:
    """Whether `line` (right after the block's last line, no blank between) continues the block."""
    prev = block.last
    if block.mark == "table" or mark == "table" or block.kind in ("place_date",) and mark:
        return False
    if fold(prev).strip() in doc_types() or fold(line.text).strip() in doc_types():
        return False
    if width is None:
        return block.kind == "place_date" and not mark
    short = len(prev) < 0.7 * width
    if mark in _MARKED:
        # '- Thương binh và Xã hội' after a full line with no stop is a wrapped name, not a list item.
        return mark == "bullet" and not short and not _TERMINAL.search(prev)
    if _is_caps(prev):
        return _is_caps(line.text)
    first = line.text[0]
    if first.islower() or (first.isdigit() and not _TERMINAL.search(prev)):
        return True
    if _open_bracket(" ".join(l.text for l in block.lines)):
        return True
    if _TERMINAL.search(prev):
        return not short
    if prev.endswith(",") or fold(prev.rsplit(" ", 1)[-1]) in connectives():
        return True
    return not short


def _joins_across_blank(block: Block, line: Line, mark: str) -> bool:
    """A page break inside a paragraph: the text goes on in lower case after a blank line."""
    return (not mark and line.text[0].islower() and block.kind in ("body", "item", "heading")
            and block.mark != "table" and not _TERMINAL.search(block.last))


def blocks(text: str) -> list[Block]:
    """Re-flow lines into blocks: list items, headings, table rows and paragraphs."""
    lines = split_lines(text)
    width = _wrap_width(lines)
    out: list[Block] = []
    gap = True
    for line in lines:
        if line.blank:
            gap = True
            continue
        mark, num = classify(line.text)
        cur = out[-1] if out else None
        if cur and (_joins_across_blank(cur, line, mark) if gap else _continues(cur, line, mark, width)):
            cur.lines.append(line)
        else:
            out.append(Block([line], mark=mark, num=num))
        gap = False
    _assign_kinds(out)
    return out


def _opens_attachment(b: Block, first: str, types) -> bool:
    """After a signature: a Roman-numbered part, a document-type line or a title in capitals opens new content."""
    title = _is_caps(first) and len(first.split()) >= 4 and not _SIGNATURE.match(first)
    return b.mark == "roman" or (fold(first).strip() in types and _is_caps(first)) or title


def _assign_kinds(bs: list[Block]) -> None:
    """Header, title, place-date line, body, and the closing recipients and signature block."""
    types = doc_types()
    type_at = next((i for i, b in enumerate(bs[:40]) if len(b.lines) == 1 and fold(b.last).strip() in types
                    and _is_caps(b.last)), None)
    closing = None
    for i, b in enumerate(bs):
        first = b.lines[0].text
        if closing == "signature" and _opens_attachment(b, first, types):
            closing = None  # a plan or a list attached after the signature: content again
        if i < 40 and _PLACE_DATE.match(first) and len(" ".join(l.text for l in b.lines)) < 80:
            b.kind, b.mark = "place_date", ""
        elif type_at is not None and i < type_at:
            b.kind, b.mark = "header", ""
        elif i == type_at:
            b.kind, b.num = "title", "type"
        elif type_at is not None and i == type_at + 1 and not b.mark:
            b.kind = "title"
        elif _RECIPIENTS.match(first) and i > len(bs) // 3:
            b.kind, closing = "recipients", "recipients"
        elif b.mark == "appendix":
            b.kind, closing = "heading", None
        elif closing and (_SIGNATURE.match(first) or closing == "signature" or looks_like_name(first)):
            b.kind, closing = "signature", "signature"
        elif closing:
            b.kind = "recipients"
        elif _SIGNATURE.match(first) and i > len(bs) // 2:
            b.kind, closing = "signature", "signature"
        elif b.mark == "table":
            b.kind = "table_row"
        elif b.mark:
            b.kind = "item"


@lru_cache(maxsize=None)
def surnames() -> frozenset[str]:
    return frozenset(row[0] for row in read_table("surnames.tsv"))


def looks_like_name(text: str) -> bool:
    """A person's name as signed: 2-5 capitalised words starting with a Vietnamese surname."""
    words = text.split()
    return (2 <= len(words) <= 5 and words[0] in surnames() and not _is_caps(text)
            and all(w[:1].isupper() and w.isalpha() for w in words))


_LEVEL = {"roman": 1, "appendix": 1, "numbered": 2, "lettered": 10, "bullet": 11, "sup": 12}


def _level(b: Block) -> int:
    return _LEVEL[b.mark] + (b.num.count(".") if b.mark == "numbered" else 0)


def heading_of(text: str) -> str:
    """How an item reads in a heading chain: '9. Sở Tài chính: Chủ trì, ...' -> '9. Sở Tài chính'."""
    flat = " ".join(text.split())
    head, colon, _ = flat.partition(":")
    if colon and len(head) <= 90:
        return head.strip()
    return flat if len(flat) <= 160 else flat[:157].rsplit(" ", 1)[0] + " …"


def _label(stack: list) -> str:
    """Section label from the open items: ['IV', '4', 'a'] -> 'IV.4.a'; '2.1' replaces its parent '2'."""
    parts: list[str] = []
    last_numbered = None
    for mark, num, *_ in stack:
        if mark == "numbered" and "." in num and last_numbered is not None:
            parts = parts[:last_numbered] + [num]
        else:
            parts.append(num)
        if mark == "numbered":
            last_numbered = len(parts) - 1
    return ".".join(parts)


def parse_paragraphs(text: str, doc_id: str) -> list[Paragraph]:
    """All paragraphs of a plan, in order, each with its section label, heading chain and offsets."""
    out: list[Paragraph] = []
    stack: list[tuple[str, str, str, int]] = []  # (mark, number for the label, heading text, level)
    bullets: dict[str, int] = {}
    rows: dict[str, int] = {}
    header: tuple[str, ...] = ()
    appendices = 0

    def emit(kind, start, end, section, headings, table_header=()):
        out.append(Paragraph(f"{doc_id}:p{len(out):04d}", doc_id, section, tuple(headings),
                             text[start:end], start, end, kind, tuple(table_header)))

    clean = plain(text)  # markup masked, offsets kept
    for b in blocks(clean):
        body = clean[b.start:b.end]
        if b.kind not in CONTENT_KINDS:
            emit(b.kind, b.start, b.end, "", [])
            continue
        if b.kind == "title":
            emit("title", b.start, b.end, "", [])
            continue
        if b.mark and b.mark != "table":
            level = _level(b)
            while stack and stack[-1][3] >= level:
                stack.pop()
            num = b.num
            if b.mark == "appendix":
                appendices += 1
                num = "PL" + (b.num or (str(appendices) if appendices > 1 else ""))
            elif b.mark == "bullet":
                key = _label(stack)
                bullets[key] = bullets.get(key, 0) + 1
                num = f"-{bullets[key]}"
            chain = [s[2] for s in stack]
            stack.append((b.mark, num, heading_of(body), level))
            label = _label(stack)
            short = len(body) <= 150 and not _TERMINAL.search(body.rstrip("*")) or b.mark in ("roman", "appendix")
            kind = "heading" if short else "item"
            _emit_with_superscripts(emit, text, b.start, b.end, kind, label, chain)
            header = ()
            continue
        label, chain = _label(stack), [s[2] for s in stack]
        if b.mark == "table":
            cells = _cells(body)
            if not header and not any(re.search(r"\d", c) for c in cells):
                header = tuple(cells)
                emit("table_header", b.start, b.end, label, chain, header)
                continue
            rows[label] = rows.get(label, 0) + 1
            emit("table_row", b.start, b.end, f"{label}.r{rows[label]}" if label else f"r{rows[label]}", chain, header)
            continue
        header = ()
        _emit_with_superscripts(emit, text, b.start, b.end, "body", label, chain)
    return out


def _cells(row: str) -> list[str]:
    sep = "\t" if "\t" in row else "|"
    return [c.strip() for c in row.split(sep) if c.strip()]


def _emit_with_superscripts(emit, text, start, end, kind, label, chain):
    """A block enumerating ⁽¹⁾ ⁽²⁾ ... becomes its lead-in plus one paragraph per enumerated item."""
    body = text[start:end]
    marks = list(_SUPERSCRIPT.finditer(body))
    if len(marks) < 2:
        emit(kind, start, end, label, chain)
        return
    lead = body[:marks[0].start()].rstrip()
    if lead.strip():
        emit(kind, start, start + len(lead), label, chain)
    sub_chain = chain + [heading_of(lead)] if lead.strip() else chain
    for m, nxt in zip(marks, marks[1:] + [None]):
        s = start + m.start()
        e = start + (nxt.start() if nxt else len(body))
        piece = text[s:e].rstrip()
        piece = piece[:-1].rstrip() if piece.endswith(";") else piece
        n = m["num"].translate(_SUP_DIGITS)
        emit("item", s, s + len(piece), f"{label}.({n})" if label else f"({n})", sub_chain)
