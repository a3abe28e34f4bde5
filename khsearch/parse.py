"""Parse a plan's text into citable paragraphs: re-flowed blocks, section labels, heading chains, exact offsets."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from .markup import plain
from .normalize import cues, fold, normalize, read_table
from .records import Paragraph

# What a paragraph is. Search indexes the content kinds; the others serve metadata and display.
KINDS = ("header", "place_date", "title", "heading", "item", "body", "table_header", "table_row",
         "recipients", "signature", "chrome")
CONTENT_KINDS = frozenset({"title", "heading", "item", "body", "table_header", "table_row"})

# List marks as plans write them. Each gives a style (which marks are siblings) and a number for the label.
_PART = re.compile(r"(?P<word>PHẦN|Phần|CHƯƠNG|Chương|MỤC|Mục|ĐIỀU|Điều)\s+(?P<num>[IVXL]{1,6}|\d{1,3})"
                   r"(?P<end>\s*[.:\-–]|\s*$|\s+(?=[A-ZĐÀ-Ỹ]{2}))")
_ROMAN = re.compile(r"(?P<num>[IVXL]{1,6})\s*[.:)\-–]\s*(?=[^\W\d_])")
_UPPER = re.compile(r"(?P<num>[A-HJKMNOPQRSTUWYZĐ])[.)]\s+(?=[^\W\d_])")
# '1. 100% xã' is an item; '1. 2.000', '1. 15/3', '2 - 3 lần', '1/2 số xã' and a line '5. 100' (a table's cells) are not
_NUMBERED = re.compile(r"(?P<num>\d{1,2}(?:\.\d{1,2})*)(?:(?P<sep>[.)])(?=\s|[^\W\d_]|$)(?!\s*\d+(?:[.,:/]\d|\s*$))"
                       r"|(?P<sep2>/|\s*-)(?=\s)(?!\s*\d))")
_LETTERED = re.compile(r"(?P<num>[a-zđ])(?P<sep>[).])(?!\d)\s*(?=\S)(?![.)])")  # 'a) 100% xã' is an item, 'a)1' not
_PAREN = re.compile(r"\((?P<num>\d{1,2}|[a-zđ])\)\s*(?=\S)")
_BULLET = re.compile(r"(?P<sym>[-+•–—*·∙▪◦➢❖✓])\s*(?=\S|$)")
_SUPERSCRIPT = re.compile(r"⁽(?P<num>[⁰¹²³⁴⁵⁶⁷⁸⁹]+)⁾|(?<![\w⁰¹²³⁴⁵⁶⁷⁸⁹])(?P<bare>[¹²³⁴⁵⁶⁷⁸⁹][⁰¹²³⁴⁵⁶⁷⁸⁹]?)(?=\s)")
_INLINE_PAREN = re.compile(r"(?:^|(?<=[\s:;,.]))\((?P<num>\d{1,2})\)\s")
_SUP_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_PART_LABEL = {"phan": "P", "chuong": "C", "muc": "M", "dieu": "Đ"}
# How deep a style sits when it is new under the open items (a style already open is a sibling instead).
_RANK = {"part:phan": 0, "part:chuong": 1, "part:muc": 2, "part:dieu": 3, "upper": 4, "roman": 5, "appendix": 5,
         "numbered": 6, "lettered": 20, "paren": 21, "bullet:-": 30, "bullet:•": 31, "bullet:+": 32}

_PLACE_DATE = re.compile(r"(?P<place>[^\W\d_][^\d\n,;:]{1,40}),\s*ng[aà]y\b", re.IGNORECASE)
_RECIPIENTS = re.compile(r"n[ơo]i\s+nh[ậa]n\s*(?::|$)", re.IGNORECASE)
_SIGNATURE = re.compile(r"(?:TM|KT|TL|TUQ|Q)\s*\.\s*\S|(?:PHÓ\s+)?CHỦ\s+TỊCH\s*$|GIÁM\s+ĐỐC\s*$")
_APPENDIX = re.compile(r"PH[ỤU]\s+L[ỤU]C\b\s*(?P<num>[IVX\d]+)?", re.IGNORECASE)
_SEPARATOR = re.compile(r"[\s\-_=*.|•~]*")
_TERMINAL = re.compile(r"[.;:!?…][\"”’')\]*]*$")
_PAGE_NUMBER = re.compile(r"(?:-\s*)?(?:Trang\s+)?\d{1,3}(?:\s*/\s*\d{1,3})?(?:\s*-)?", re.IGNORECASE)
_TOTAL = re.compile(r"(?:tổng|cộng|toàn\s+(?:tỉnh|thành\s+phố))\b", re.IGNORECASE)  # a total row: 'Tổng cộng'
_LETTER = re.compile(r"[^\W\d_]")
_NUMBER_CELL = re.compile(r"[\d.,%\s]+")
_STT = re.compile(r"(?:\d{1,3}(?:\.\d{1,2})*|[IVXL]{1,5}|[a-zđ]|[A-Z]|[-+•*])[.)]?")
_LEAD = re.compile(r"[\s\ufeff\u200b\u0300\u0301\u0302\u0303\u0309\u0323]*")  # any space (em, ideographic...)


@lru_cache(maxsize=None)
def doc_types() -> dict[str, str]:
    """Folded upper-case type line ("ke hoach") -> the type as named ("Kế hoạch"), from data/doc_types.tsv."""
    return {fold(row[0]): row[0] for row in read_table("doc_types.tsv")}


@lru_cache(maxsize=None)
def connectives() -> tuple[frozenset[str], frozenset[str]]:
    """Words that cannot end a sentence (a wrapped line ending in one goes on): as written, and folded."""
    words = [normalize(phrase).lower() for phrase, _ in cues("connective")]
    return frozenset(words), frozenset(map(fold, words))


def _connective(word: str) -> bool:
    """With its diacritics when the word has them ('bàn' is not 'Ban'); folded for text that lost them."""
    word = normalize(word).lower()
    exact, folded = connectives()
    return word in exact or (fold(word) == word and word in folded)


@lru_cache(maxsize=None)
def _chrome(category: str) -> re.Pattern:
    """Phrases of data/cues.tsv: website notices around a document ('chrome_before' / 'chrome_after'), the words
    that open a plan's closing paragraph ('closing')."""
    phrases = sorted((fold(p) for p, _ in cues(category)), key=len, reverse=True)
    return re.compile("|".join(re.escape(p) for p in phrases) or "(?!)")


@dataclass
class Line:
    start: int  # offset of the first non-space character
    end: int  # offset after the last non-space character
    text: str
    bold_open: bool = False  # the line leaves a Markdown '**' open: the next line goes on with it
    bold: bool = False  # the whole line is one closed Markdown bold run: a heading ends with it
    noise: bool = False  # a form feed or a page number between pages

    @property
    def blank(self) -> bool:  # a lone '-' or '+' is a list mark whose text is on the next line
        return not self.text or bool(_SEPARATOR.fullmatch(self.text)) and self.text not in ("-", "+", "•")


@dataclass
class Block:
    lines: list = field(default_factory=list)
    kind: str = "body"
    mark: str = ""  # "part" | "upper" | "roman" | "numbered" | "lettered" | "paren" | "bullet" | "appendix" | "table"
    num: str = ""
    style: str = ""  # marks of one style are siblings: "numbered.1" for '1.1.', "lettered)" for 'a)'
    cells: list = field(default_factory=list)  # for a table row: (start, end) of each cell
    sub: list = field(default_factory=list)  # for a header on two rows: the cells of its second row

    @property
    def start(self) -> int:
        return self.lines[0].start

    @property
    def end(self) -> int:
        return self.lines[-1].end

    @property
    def last(self) -> str:
        return self.lines[-1].text


def split_lines(text: str, raw: str | None = None) -> list[Line]:
    """Lines with offsets of their stripped content; a leading BOM or stray combining mark is skipped."""
    lines, pos = [], 0
    raw_lines = (raw if raw is not None else text).split("\n")
    for line, original in zip(text.split("\n"), raw_lines):
        lead = _LEAD.match(line).end()
        body = line[lead:].rstrip()
        bold = original.strip()
        singles = bold.replace("**", "").lstrip("* ").count("*")  # '*1.2.' / 'Sở Tài chính*': one italic run
        lines.append(Line(pos + lead, pos + lead + len(body), body, (original.count("**") + singles) % 2 == 1,
                          len(bold) > 4 and bold.startswith("**") and bold.endswith("**") and bold.count("**") == 2))
        pos += len(line) + 1
    for i, line in enumerate(raw_lines):  # a PDF's page breaks and the page numbers printed beside them
        if "\f" in line and not line.strip():
            lines[i].noise = True
            for j in (i - 1, i + 1):
                if 0 <= j < len(lines) and _PAGE_NUMBER.fullmatch(raw_lines[j].strip()):
                    lines[j].noise = True
    return lines


def classify(line: str) -> tuple[str, str, str]:
    """The list mark a line starts with: (mark, number, style), e.g. ("numbered", "2.1", "numbered.1")."""
    if "\t" in line.strip() and len([c for c in line.split("\t") if c.strip()]) >= 2:
        return "table", "", "table"
    if line.count("|") >= 2 and len([c for c in line.split("|") if c.strip()]) >= 2:
        return "table", "", "table"
    if m := _APPENDIX.match(line):
        if line[:m.end()].replace(" ", "").isupper() or m.group("num"):
            return "appendix", m.group("num") or "", "appendix"
    if (m := _PART.match(line)) and (fold(m["word"]) != "dieu" or m["end"].strip() in ".:"):
        word = fold(m["word"])
        return "part", _PART_LABEL[word] + m["num"], "part:" + word
    if (m := _ROMAN.match(line) or re.fullmatch(r"(?P<num>[IVXL]{1,6})\s*[.:)\-–]", line)) and _is_roman(m["num"]) \
            and (line[m.end():m.end() + 1].isupper() or m.end() == len(line)):
        return "roman", m["num"], "roman"
    if (m := _UPPER.match(line)) and line[m.end():m.end() + 1].isupper():
        return "upper", m["num"], "upper"
    if m := _NUMBERED.match(line):
        sep = (m["sep"] or m["sep2"]).strip()
        return "numbered", m["num"], f"numbered{sep}.{m['num'].count('.')}"
    if m := _LETTERED.match(line):
        return "lettered", m["num"], "lettered" + m["sep"]
    if m := _PAREN.match(line):
        return "paren", m["num"], "paren"
    if (m := _BULLET.match(line)) and not line.startswith("--"):
        sym = {"+": "+", "•": "•", "·": "•", "∙": "•", "▪": "•", "◦": "•", "➢": "•", "❖": "•", "✓": "•"}.get(m["sym"], "-")
        return "bullet", "", "bullet:" + sym
    return "", "", ""


def _is_roman(s: str) -> bool:
    return bool(re.fullmatch(r"X{0,3}(IX|IV|V?I{0,3})|XL|L", s)) and s != ""


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _wrap_width(lines: list[Line]) -> int | None:
    """The width a hard-wrapped text was cut at, or None when lines are whole paragraphs. Measured on the lines a
    paragraph goes on after in lower case when there are enough: headings and last lines would make it narrower."""
    lengths = sorted(len(l.text) for l in lines if not l.blank)
    if len(lengths) < 12:
        return None
    wrapped = sorted(len(a.text) for a, b in zip(lines, lines[1:]) if not a.blank and b.text[:1].islower())
    sample = wrapped if len(wrapped) >= 12 else lengths
    width = sample[int(len(sample) * 0.8)]
    return width if 40 <= width <= 120 else None  # narrower lines are a header's cells, not a wrap


def _open_bracket(text: str) -> bool:
    return text.count("(") > text.count(")") or text.count("“") > text.count("”")


def _continues(block: Block, line: Line, mark: str, width: int | None, markdown: bool = False,
               paged: bool = False) -> bool:
    """Whether `line` (right after the block's last line, no blank between) continues the block; `paged`: the page
    ends every paragraph with a blank line, so only a bold heading line breaks without one."""
    prev = block.last
    if block.mark == "table" or mark == "table" or block.kind in ("place_date",) and mark:
        return False
    if _RECIPIENTS.match(line.text):
        return False
    flat = " ".join(l.text for l in block.lines[:4])  # the start of the block is enough for what is checked here
    if mark == "paren" and (m := _PAREN.match(line.text)) and m["num"].isdigit() and int(m["num"]) > 1 \
            and re.search(rf"(?<!^)\({int(m['num']) - 1}\)\s", joined := " ".join(l.text for l in block.lines)) \
            and not re.search(rf"\({int(m['num'])}\)\s", joined):  # a '(4)' after one is the list's next item
        return True  # '... (1) Tăng cường ...;' / '(2) Tăng cường ...': one inline enumeration, wrapped
    if block.lines[-1].bold_open or (block.mark and len(block.lines) == 1 and not _LETTER.search(prev)):
        return True  # '**I. MỤC ĐÍCH,' / 'YÊU CẦU**' is one bold run; a bare '-' or '1.2.' takes the next line
    if (markdown or paged) and not mark and not line.bold and block.lines[-1].bold:
        return False  # '**1. Mục đích**' is a whole heading line: the text under it starts anew
    if paged:  # a short first line ending in ':' and a wrapped '(1) ...' or '- 2030' go on alike
        return not line.bold and not block.lines[-1].bold
    if markdown and not mark and not _TERMINAL.search(prev) and not _is_caps(prev):
        return True  # Markdown pages break paragraphs with blank lines: an unfinished line goes on
    if fold(prev).strip() in doc_types() or fold(line.text).strip() in doc_types():
        return False
    if _PLACE_DATE.match(flat) and not re.search(r"\d{4}", flat):  # 'Hà Nội, ngày 17' / 'tháng 11 năm 2025'
        return not mark
    if not mark and line.text[0].islower() and not _TERMINAL.search(prev):
        return True
    if width is None:
        return False
    short = len(prev) < 0.7 * width
    words = prev.rsplit(" ", 1)
    ends_open = prev.endswith(",") or _connective(words[-1])
    if mark:
        # '- Thương binh và Xã hội' after a full line with no stop is a wrapped name, not a list item.
        return mark == "bullet" and not short and not _TERMINAL.search(prev)
    if _is_caps(prev):  # a title in capitals wraps onto capitals, or onto 'GIAI ĐOẠN 2026 -' / '2030'
        return not any(c.islower() for c in line.text) or ends_open or prev.endswith("-")
    first = line.text[0]
    if first.islower() or (first.isdigit() and not _TERMINAL.search(prev)):
        return True
    if _open_bracket(" ".join(l.text for l in block.lines)):
        return True
    if _TERMINAL.search(prev):  # a sentence ending in the last quarter of the line may still be wrapped
        return len(prev) >= 0.75 * width  # (letters vary in width: a line a reader sees 60% full can hold 70%)
    if ends_open:
        return True
    return not short


def _joins_across_blank(block: Block, line: Line, mark: str) -> bool:
    """A page break inside a paragraph: the text goes on in lower case after a blank line."""
    return (not mark and line.text[0].islower() and block.kind in ("body", "item", "heading")
            and block.mark != "table" and not _TERMINAL.search(block.last))


# --- tables written one cell per line between lone '|' lines (Markdown from web pages) -------------------

def _pipe_tables(lines: list[Line]) -> dict[int, list[Block]]:
    """Rows of the tables a text writes one cell per line, keyed by the index of their first line."""
    out: dict[int, list[Block]] = {}
    i = 0
    while i < len(lines):
        if lines[i].text != "|":
            i += 1
            continue
        j = _run_end(lines, i)
        rows = _rows(lines[i:j])
        if _is_data_table(rows):
            out[i] = rows
        i = j
    return out


def _run_end(lines: list[Line], i: int) -> int:
    """Where a run of cells that starts with a '|' line at `i` ends: at a blank line, a page break, or the
    last '|' line before text too long to be a cell (a page written without blank lines goes on after it)."""
    last = j = i
    while j < len(lines) and lines[j].text and not lines[j].noise and j - last <= 30:
        if lines[j].text.startswith("|"):
            last = j
        j += 1
    return j if j >= len(lines) or not lines[j].text or lines[j].noise else last + 1


def _rows(run: list[Line]) -> list[Block]:
    """Cells between '|' lines, grouped into rows. Two '|' lines in a row are an empty cell or the end of a row:
    a row ends where the next cell starts a new row number, or where the header's width is reached."""
    segments: list[list[Line]] = []  # [] is an empty segment
    cur: list[Line] | None = None
    for l in run:
        if l.text in ("|", "| |", "||"):
            if cur is not None:
                segments.append(cur)
            if l.text != "|":
                segments.append([])
            cur = []
        elif cur is not None and not (len(l.text) >= 3 and _SEPARATOR.fullmatch(l.text)):  # '-' is a row mark
            cur.append(l)
    chunks: list[tuple[int, list[list[Line]]]] = []  # (empty segments before it, cells)
    empties = 0
    for seg in segments:
        if not seg:
            empties += 1
        elif chunks and not empties:
            chunks[-1][1].append(seg)
        else:
            chunks.append((empties, [seg]))
            empties = 0
    starts = lambda cells: bool(_STT.fullmatch(cells[0][0].text) or _TOTAL.match(cells[0][0].text))
    numbered = sum(starts(c) for _, c in chunks) >= max(2, len(chunks) // 2)
    rows: list[list] = []
    sub: list = []  # the second row of a two-row header
    last_number = 0
    for gap, cells in chunks:
        first = cells[0][0].text.rstrip(".)")
        if rows:
            width = len(rows[0])
            short = len(rows) > 1 and len(rows[-1]) + gap + len(cells) <= width
            if numbered and first.isdigit() and short and int(first) not in (last_number + 1, 1):
                rows[-1] += [[]] * gap + cells  # a figure in a cell after empty ones, not the next row's number
                continue
            if numbered and not starts(cells):
                if len(rows) == 1 and not starts(rows[0]) and not sub:  # a header on two rows
                    sub = cells
                else:
                    rows[-1] += [[]] * gap + cells
                continue
            if not numbered and len(rows[-1]) + gap + len(cells) <= width and len(rows) > 1:
                rows[-1] += [[]] * gap + cells
                continue
        rows.append(list(cells))
        last_number = int(first) if first.isdigit() else last_number
    out = []
    for n, cells in enumerate(rows):
        filled = [c for c in cells if c] + (sub if n == 0 else [])
        b = Block([l for c in filled for l in c], mark="table", style="table")
        b.cells = [(c[0].start, c[-1].end) if c else None for c in cells]
        b.sub = [(c[0].start, c[-1].end) for c in sub] if n == 0 else []
        out.append(b)
    return out


def _two_row_header(top: list[str], sub: list[str]) -> list[str]:
    """Column names of a header on two rows: the last cells of the top row span the second row's cells evenly
    ('Kế hoạch 2026' over 'Lượng (tấn)' and 'Giá trị (nghìn USD)' gives 'Kế hoạch 2026 — Lượng (tấn)', ...)."""
    for groups in range(len(top) - 1, 0, -1):
        if len(sub) % groups == 0 and len(sub) // groups >= 2 or groups == 1:
            span = len(sub) // groups
            return top[:len(top) - groups] + [f"{g} — {s}" for i, g in enumerate(top[len(top) - groups:])
                                               for s in sub[i * span:(i + 1) * span]]
    return top + sub


def _is_data_table(rows: list[Block]) -> bool:
    """Two or more rows of two or more cells, and not the layout table of a header or a signature."""
    if sum(len(r.cells) >= 2 for r in rows) < 2:
        return False
    text = " ".join(l.text for r in rows for l in r.lines)
    return not re.search(r"CỘNG\s+HÒA|C[ỘO]NG\s+H[ÒO]A|N[ơo]i\s+nh[ậa]n|\b(?:TM|KT)\s*\.", text)


def _paged(lines: list[Line], raw: str) -> list[bool]:
    """For each line, whether the Markdown page around it ends every paragraph with a blank line, as web pages
    do outside the cells of a layout table (a lone '|' line opens a cell; its paragraphs have no blank between)."""
    cell, inside, text, empty = [], False, 0, 0
    for line, original in zip(lines, raw.split("\n")):
        blank = not original.strip()  # '** **' is markup, not the blank line that ends a paragraph
        inside = (inside or line.text == "|") and not blank
        cell.append(inside)
        text += not blank and not inside
        empty += blank
    paged = empty >= 0.15 * text  # a page copied without its blank lines keeps the rules of wrapped text
    return [paged and not c for c in cell]


def blocks(text: str, raw: str | None = None) -> list[Block]:
    """Re-flow lines into blocks: list items, headings, table rows and paragraphs."""
    lines = split_lines(text, raw)
    tables = _pipe_tables(lines)
    width = _wrap_width(lines)
    # A wrapped page that sets its headings in bold breaks paragraphs only at blank lines and bold lines.
    bold = raw is not None and raw.count("**") >= 10
    markdown = bold and width is not None
    paged = _paged(lines, raw) if bold else [False] * len(lines)
    out: list[Block] = []
    gap = True
    skip_to = -1
    broke = False  # a page break since the last line: an unfinished line goes on after it
    for i, line in enumerate(lines):
        if i < skip_to or line.noise:
            broke = broke or line.noise
            continue
        if i in tables:
            out += tables[i]
            skip_to = _run_end(lines, i)
            gap = True
            continue
        if line.blank:
            gap = True
            continue
        mark, num, style = classify(line.text)
        cur = out[-1] if out else None
        across = broke and cur is not None and not mark and cur.mark not in ("table", "roman", "part", "appendix") \
            and not _TERMINAL.search(cur.last) and (not cur.mark or len(" ".join(l.text for l in cur.lines)) > 80
                                                     or cur.last.endswith(",") or _connective(cur.last.rsplit(" ", 1)[-1])
                                                     or line.text[0].islower())
        broke = False
        if cur and (across or (_joins_across_blank(cur, line, mark) if gap else
                               _continues(cur, line, mark, width, markdown, paged[i]))):
            cur.lines.append(line)
        else:
            out.append(Block([line], mark=mark, num=num, style=style))
        gap = False
    _assign_kinds(out)
    return out


def _opens_attachment(b: Block, first: str, types) -> bool:
    """After a signature: a Roman-numbered part, a document-type line or a title in capitals opens new content."""
    title = _is_caps(first) and len(first.split()) >= 4 and not _SIGNATURE.match(first) and not looks_like_name(first)
    return b.mark in ("roman", "appendix") or (fold(first).strip() in types and _is_caps(first)) or title


def _is_place_date(b: Block) -> bool:
    """'Hà Nội, ngày 17 tháng 11 năm 2025': a place in capitalised words, then the date."""
    flat = " ".join(l.text for l in b.lines)
    m = _PLACE_DATE.match(flat)
    if not m or len(flat) >= 90:
        return False
    words = [w for w in re.split(r"[\s.]+", m["place"]) if w]
    return 1 <= len(words) <= 7 and all(w[:1].isupper() or w in ("-", "–") for w in words)


def _assign_kinds(bs: list[Block]) -> None:
    """Header, title, place-date line, body, the closing recipients and signature block, and website chrome."""
    types = doc_types()
    is_type = lambda b: len(b.lines) <= 2 and fold(" ".join(l.text for l in b.lines)).strip() in types \
        and _is_caps(b.last)
    type_at = next((i for i, b in enumerate(bs[:60]) if is_type(b)), None)
    before, after = _chrome("chrome_before"), _chrome("chrome_after")
    closing = None
    signed = trailer = False
    for i, b in enumerate(bs):
        first = b.lines[0].text
        flat = fold(" ".join(l.text for l in b.lines))
        if trailer or (signed and after.search(flat)):
            b.kind, trailer = "chrome", True
            continue
        if closing == "signature" and _opens_attachment(b, first, types):
            closing = None  # a plan or a list attached after the signature: content again
            if is_type(b):
                b.kind, b.num, b.mark = "title", "type", ""
                if i + 1 < len(bs) and not bs[i + 1].mark:
                    bs[i + 1].kind, bs[i + 1].mark = "title", ""
                continue
        if b.kind == "title":
            continue
        if (type_at is None and i < 40 or type_at is not None and i < type_at) and _is_place_date(b):
            b.kind, b.mark = "place_date", ""
        elif type_at is not None and i < type_at:
            b.kind, b.mark = ("chrome" if before.search(flat) or after.search(flat) else "header"), ""
        elif i == type_at:
            b.kind, b.num, b.mark = "title", "type", ""
        elif type_at is not None and i == type_at + 1 and b.mark in ("", "table"):
            b.kind, b.mark = "title", ""
        elif _RECIPIENTS.match(first):
            b.kind, closing = "recipients", "recipients"
        elif b.mark == "appendix":
            b.kind, closing = "heading", None
        elif closing and (_SIGNATURE.match(first) or closing == "signature" or looks_like_name(first)):
            b.kind, closing, signed = "signature", "signature", True
        elif closing:
            b.kind = "recipients"
        elif _SIGNATURE.match(first) and (i > len(bs) // 2 or re.match(r"(?:TM|KT)\s*\.", first)):
            b.kind, closing, signed = "signature", "signature", True
        elif b.mark == "table":
            b.kind = "table_row"
        elif b.mark:
            b.kind = "item"


_TITLE_WORDS = re.compile(r"CHỦ\s+TỊCH|GIÁM\s+ĐỐC|TRƯỞNG\s+BAN|ỦY\s+BAN|UỶ\s+BAN|NHÂN\s+DÂN|VĂN\s+PHÒNG|THỦ\s+TRƯỞNG"
                          r"|BỘ\s+TRƯỞNG|ĐÃ\s+KÝ|^(?:TM|KT|TL|TUQ|Q)\s*\.|NƠI\s+NHẬN|CỘNG\s+HÒA|LƯU\s*:", re.IGNORECASE)


def looks_like_name(text: str) -> bool:
    """A person's name as signed: 2-6 capitalised words of letters, not a title ('PHÓ CHỦ TỊCH')."""
    words = text.split()
    return (2 <= len(words) <= 6 and not _TITLE_WORDS.search(text)
            and all(w[:1].isupper() and w.replace("-", "").isalpha() for w in words))


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
    for item in stack:
        if item.mark == "numbered" and "." in item.num and last_numbered is not None:
            parts = parts[:last_numbered] + [item.part]
        else:
            parts.append(item.part)
        if item.mark == "numbered":
            last_numbered = len(parts) - 1
    return ".".join(parts)


@dataclass
class _Open:
    """An open list item: its mark and style, its part of the section label, its heading text."""

    mark: str
    style: str
    num: str
    part: str
    heading: str


def _rank(style: str) -> int:
    if style.startswith("numbered"):
        return _RANK["numbered"] + int(style.rsplit(".", 1)[1])
    if style.startswith(("lettered", "paren", "bullet")):
        return _RANK.get(style, _RANK.get(style.rstrip(").")))
    return _RANK.get(style, _RANK.get(style.split(":")[0], 10))


def parse_paragraphs(text: str, doc_id: str) -> list[Paragraph]:
    """All paragraphs of a plan, in order, each with its section label, heading chain and offsets."""
    out: list[Paragraph] = []
    stack: list[_Open] = []
    bullets: dict[str, int] = {}
    rows: dict[str, int] = {}
    used: dict[str, int] = {}  # how often each label was opened
    header: tuple[str, ...] = ()
    groups: list[tuple[int, str]] = []  # a table's group rows ('I | CÂY CÔNG NGHIỆP') over the rows below them
    appendices = 0

    def emit(kind, start, end, section, headings, table_header=()):
        out.append(Paragraph(f"{doc_id}:p{len(out):04d}", doc_id, section, tuple(headings),
                             text[start:end], start, end, kind, tuple(table_header)))

    clean = plain(text)  # markup masked, offsets kept
    for b in blocks(clean, text):
        body = clean[b.start:b.end]
        if b.kind not in CONTENT_KINDS:
            emit(b.kind, b.start, b.end, "", [])
            if b.kind in ("signature", "chrome"):
                stack, header = [], ()
            continue
        if b.kind == "title":
            emit("title", b.start, b.end, "", [])
            stack, header = [], ()
            continue
        if b.mark and b.mark != "table":
            num = b.num
            if b.mark == "appendix":
                appendices += 1
                num = "PL" + (b.num or (str(appendices) if appendices > 1 else ""))
                stack = []
            else:
                same = next((k for k in range(len(stack) - 1, -1, -1) if stack[k].style == b.style), None)
                if same is not None:
                    del stack[same:]
                else:
                    while stack and _rank(stack[-1].style) >= _rank(b.style) and (
                            stack[-1].mark == "bullet" and b.mark != "bullet" or _rank(b.style) < _RANK["lettered"]):
                        stack.pop()  # a new style nests under the open items, except under a bullet or above a list
            if b.mark == "bullet":
                key = _label(stack)
                bullets[key] = bullets.get(key, 0) + 1
                num = f"-{bullets[key]}"
            chain = [s.heading for s in stack]
            stack.append(_Open(b.mark, b.style, b.num, num, heading_of(body)))
            label = _label(stack)
            repeats = used.get(label, 0)
            used[label] = repeats + 1
            if repeats and b.mark != "bullet":  # a number the source repeats: 'V', then V', V'2, ... stay unique
                stack[-1].part += "'" if repeats == 1 else f"'{repeats}"
                label = _label(stack)
            # a title: short and unfinished, or a part; a bullet only when it opens a list ('- Gồm:')
            short = (len(body) <= 150 and not _TERMINAL.search(body.rstrip("*")) and b.mark != "bullet"
                     or b.mark == "bullet" and body.rstrip().endswith(":") or b.mark in ("roman", "appendix")
                     or b.mark == "part" and not b.num.startswith("Đ"))
            kind = "heading" if short else "item"
            _emit_enumerated(emit, clean, b.start, b.end, kind, label, chain)
            header, groups = (), []
            continue
        if b.mark != "table" and _chrome("closing").match(fold(body.lstrip())):
            stack, header = [], ()  # 'Trên đây là Kế hoạch ...' closes the plan, not its last section
        label, chain = _label(stack), [s.heading for s in stack]
        if b.mark == "table":
            cells = [" ".join(clean[c[0]:c[1]].split()) if c else "" for c in b.cells] if b.cells else _cells(body)
            if not header and not any(_NUMBER_CELL.fullmatch(c) for c in cells):
                header = tuple(_two_row_header(cells, [" ".join(clean[s:e].split()) for s, e in b.sub])
                               if b.sub else cells)
                emit("table_header", b.start, b.end, label, chain, header)
                continue
            if header and (tuple(cells) == header or cells == [str(n) for n in range(1, len(cells) + 1)]):
                # the header row repeated in a later block of the table, or the row numbering its columns
                emit("table_header", b.start, b.end, label, chain, header)
                continue
            rows[label] = rows.get(label, 0) + 1
            level = _group_level(cells, len(header))
            if level is not None:
                groups = [g for g in groups if g[0] < level] + [(level, " ".join(cells[:2]))]
                group_chain = chain + [g[1] for g in groups[:-1]]
            else:
                group_chain = chain + [g[1] for g in groups]
            emit("table_row", b.start, b.end, f"{label}.r{rows[label]}" if label else f"r{rows[label]}",
                 group_chain, header)
            continue
        header, groups = (), []
        _emit_enumerated(emit, clean, b.start, b.end, "body", label, chain)
    return out


def _group_level(cells: list[str], width: int) -> int | None:
    """A table row that only names a group ('I | CÂY CÔNG NGHIỆP', '1 | Cà phê'): its depth, else None."""
    cells = [c for c in cells if c]
    if len(cells) != 2 or width < 3 or not _STT.fullmatch(cells[0]):
        return None
    mark = cells[0].rstrip(".)")
    return 0 if _is_roman(mark) else 1 if mark[:1].isdigit() else 2 if mark.isalpha() else None


def _cells(row: str) -> list[str]:
    sep = "\t" if "\t" in row else "|"
    return [" ".join(c.split()) for c in row.split(sep) if c.strip()]


def _enumeration(body: str) -> list[tuple[int, int, str]]:
    """Inline enumerations a block makes: '⁽¹⁾ ... ⁽²⁾ ...', '¹ ... ² ...' or '(1) ... (2) ...' (numbered 1, 2, ...)."""
    for pattern in (_SUPERSCRIPT, _INLINE_PAREN):
        marks = []
        for m in pattern.finditer(body):
            n = (m.group("num") or m.groupdict().get("bare") or "").translate(_SUP_DIGITS)
            last = int(marks[-1][2]) if marks else (0 if pattern is _INLINE_PAREN else int(n or 0) - 1)
            if n.isdigit() and last <= int(n) <= last + 2:  # a repeated or skipped number in the source is kept
                marks.append((m.start(), m.end(), n))
        if len(marks) >= 2:
            return marks
    return []


def _emit_enumerated(emit, text, start, end, kind, label, chain):
    """A block enumerating ⁽¹⁾ ⁽²⁾ or (1) (2) ... becomes its lead-in plus one paragraph per enumerated item."""
    body = text[start:end]
    marks = _enumeration(body)
    if not marks:
        emit(kind, start, end, label, chain)
        return
    lead = body[:marks[0][0]].rstrip()
    if lead.strip():
        emit(kind, start, start + len(lead), label, chain)
    sub_chain = chain + [heading_of(lead)] if lead.strip() else chain
    for (s0, _, n), nxt in zip(marks, marks[1:] + [None]):
        s = start + s0
        e = start + (nxt[0] if nxt else len(body))
        piece = text[s:e].rstrip()
        piece = piece[:-1].rstrip() if piece.endswith(";") else piece
        emit("item", s, s + len(piece), f"{label}.({n})" if label else f"({n})", sub_chain)
