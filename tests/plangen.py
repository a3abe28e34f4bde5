"""Plans generated from a known tree and rendered the four ways plans arrive (wrapped .txt, thuvienphapluat .md,
.docx, .pdf), with the paragraphs and metadata the parser must give back.

The expected result, for the lead to follow (tests/test_generated.py checks it):

* Content paragraphs, in order: every list item ("heading" when its text is a title: short, no final . ; : ! ?,
  always for I./PHẦN/Chương/Mục/Điều; else "item"), every body paragraph ("body"), a table's header row
  ("table_header") and its rows ("table_row"). The type line and the title are "title" and not compared here;
  header, place-date line, recipients and signature must not come out as content.
* Section label: the labels of the open items joined by '.', each item giving its own number:
    I.  -> 'I'             PHẦN I -> 'PI'    Chương I -> 'CI'    Mục 1 -> 'M1'    Điều 1. -> 'Đ1'  (PART_PREFIX)
    1. 1/ 1- -> '1'        1.1. -> '1.1' replacing its parent '1' (so 'IV.1' then 'IV.1.1'), 1.1.1. likewise
    a) a. đ) -> 'a' 'đ'    (1) -> '1'
    - + • -> '-n', the n-th bullet under the same parent ('IV.4.-2')
  A body paragraph takes the label of the item it follows (generated plans put it right after its item).
  Inline enumerations '(1) ... (2) ...' and '⁽¹⁾ ... ⁽²⁾ ...' split their paragraph: the lead-in keeps the
  paragraph's kind and label, each enumerated piece is an "item" labelled '<label>.(n)', running from its
  mark to the next one without the ';' between them, under the lead-in's heading.
  Table rows are '<label>.rN' (N counts the rows under that label; 'rN' alone before any item); the header
  row has the table's label and gives every row its `table_header` (the header's cells).
* Heading chain: the heading text of each open item above the paragraph (for a table row or a body
  paragraph, including the item it belongs to), made as parse.heading_of makes it: the text before a ':'
  that comes within 90 characters, else the whole text (cut at 160 characters with ' …').
* Words: the paragraph's text with markup removed ('**', '*', '|' cell separators, tabs), white space
  collapsed, in NFC (a PDF's text layer may give decomposed letters).
* Metadata: province (canonical name of data/provinces.tsv), number as written without 'Số'/spaces
  ('12/KH-UBND', '12/2024/KH-UBND', '0130/KH-UBND'), date in ISO, type 'Kế hoạch', title (white space
  collapsed), signer (the name as printed; compared without regard to case).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from hypothesis import strategies as st

from khsearch.normalize import read_table

PART_PREFIX = {"part": "P", "chuong": "C", "muc": "M", "dieu": "Đ"}
LETTERS = "a b c d đ e g h i k l m n o p q r s t u v x y".split()
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
TERMINAL = re.compile(r"[.;:!?…]$")


def roman(n: int) -> str:
    out = ""
    for value, letters in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + letters, n - value
    return out


def heading_text(line: str) -> str:
    """How an item reads in a heading chain (the rule of parse.heading_of, restated)."""
    flat = " ".join(line.split())
    head, colon, _ = flat.partition(":")
    if colon and len(head) <= 90:
        return head.strip()
    return flat if len(flat) <= 160 else flat[:157].rsplit(" ", 1)[0] + " …"


def words(text: str) -> str:
    """Text without cell separators, white space collapsed (markup is masked before this is called)."""
    return " ".join(w for w in text.replace("\t", " ").split() if w != "|")


# --- vocabulary ----------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def provinces() -> tuple[tuple[str, str], ...]:
    return tuple((row[0], row[1]) for row in read_table("provinces.tsv"))


@lru_cache(maxsize=None)
def known_agencies() -> tuple[str, ...]:
    return tuple(row[0] for row in read_table("agencies.tsv") if not row[0].startswith("Các "))


@lru_cache(maxsize=None)
def surnames() -> tuple[str, ...]:
    return tuple(row[0] for row in read_table("surnames.tsv"))


AGENCY_HEADS = ["Sở", "Ban", "Trung tâm", "Chi cục", "Ban Quản lý", "Văn phòng", "Hội", "Quỹ"]
AGENCY_NAMES = ["Khoa học và Công nghệ", "Nông nghiệp và Môi trường", "Dân tộc và Tôn giáo", "Xây dựng",
                "Chuyển đổi số", "Phát triển quỹ đất", "Xúc tiến Đầu tư, Thương mại và Du lịch",
                "Các khu công nghiệp", "Bảo trợ xã hội", "Kiểm soát bệnh tật", "Người cao tuổi", "Đầu tư phát triển"]
GIVEN = ["Văn", "Thị", "Hồng", "Minh", "Quốc", "Thanh", "Đức", "Hữu", "Ngọc", "Xuân", "Thu", "Anh", "Hùng",
         "Dũng", "Hà", "Lộc", "Sơn", "Vinh", "Quân", "Hạnh", "Tuấn", "Phương", "Lan", "Bình", "Khánh", "Tâm",
         "Trí", "Nghĩa", "Ưng", "Yến", "Điệp", "Khoa"]
OTHER_SURNAMES = ["Ksor", "Rơ Châm", "Y", "H'Hen", "Niê", "Siu", "Kpă", "Mlô", "Bế", "Hoàng Thị", "Tòng"]

VERBS = ["Tăng cường", "Đẩy mạnh", "Tổ chức", "Triển khai", "Nâng cao", "Rà soát", "Hoàn thiện", "Xây dựng",
         "Kiểm tra", "Hướng dẫn", "Tuyên truyền", "Theo dõi, đôn đốc", "Tham mưu", "Bố trí", "Huy động",
         "Hỗ trợ", "Đánh giá", "Phấn đấu"]
OBJECTS = ["công tác tuyên truyền, phổ biến pháp luật", "hạ tầng công nghệ thông tin", "cơ sở dữ liệu chuyên ngành",
           "dịch vụ công trực tuyến toàn trình", "nguồn nhân lực số", "hoạt động kiểm tra, giám sát",
           "chất lượng dịch vụ y tế cơ sở", "phong trào thi đua yêu nước", "các thủ tục hành chính",
           "kinh phí thực hiện Kế hoạch", "công tác phòng, chống thiên tai", "mạng lưới cộng tác viên",
           "các mô hình điểm về chuyển đổi số", "việc thu thập, số hóa dữ liệu quy hoạch"]
COMPLEMENTS = ["trên địa bàn tỉnh", "theo quy định của pháp luật", "đến năm 2030", "cho cán bộ, công chức, viên chức",
               "tại các xã, phường, đặc khu", "gắn với chuyển đổi số", "bảo đảm tiến độ, chất lượng",
               "phù hợp với điều kiện thực tế của địa phương", "của các cơ quan, đơn vị có liên quan",
               "phối hợp với Sở Lao động - Thương binh và Xã hội", "theo hướng dẫn của Bộ Khoa học và Công nghệ"]
NUMERIC = ["cho 1.500 người", "đạt 2,5% dân số", "trong năm 2025 và 2026", "đạt 100% số xã", "trước ngày 30/6/2026",
           "với tổng kinh phí 12.500 triệu đồng", "tối thiểu 01 lần/năm", "tăng 15% so với năm 2024",
           "cho 250 doanh nghiệp", "đạt 80% vào năm 2030", "giai đoạn 2026 - 2030", "2.000 lượt người tham gia"]
ROMAN_HEADINGS = ["MỤC ĐÍCH, YÊU CẦU", "MỤC TIÊU", "NHIỆM VỤ VÀ GIẢI PHÁP", "NỘI DUNG THỰC HIỆN", "TỔ CHỨC THỰC HIỆN",
                  "KINH PHÍ THỰC HIỆN", "PHÂN CÔNG TRÁCH NHIỆM", "CHẾ ĐỘ THÔNG TIN, BÁO CÁO",
                  "KẾT QUẢ THỰC HIỆN GIAI ĐOẠN 2021 - 2025"]
PART_HEADINGS = ["NHỮNG VẤN ĐỀ CHUNG", "NỘI DUNG KẾ HOẠCH", "TỔ CHỨC THỰC HIỆN", "ĐÁNH GIÁ TÌNH HÌNH"]
DIEU_HEADINGS = ["Phạm vi điều chỉnh", "Đối tượng áp dụng", "Nguyên tắc phối hợp", "Trách nhiệm của các cơ quan"]
TITLE_HEADINGS = ["Mục đích", "Yêu cầu", "Mục tiêu chung", "Mục tiêu cụ thể", "Nhiệm vụ trọng tâm", "Về hạ tầng số",
                  "Công tác tuyên truyền", "Kinh phí thực hiện", "Chế độ báo cáo",
                  "Xây dựng hạ tầng công nghệ thông tin và phần mềm quản lý dữ liệu quy hoạch của tỉnh"]
TITLES = ["TRIỂN KHAI THỰC HIỆN NGHỊ QUYẾT SỐ 214/NQ-CP NGÀY 23/7/2025 CỦA CHÍNH PHỦ VỀ THÚC ĐẨY TẠO LẬP DỮ LIỆU",
          "PHÁT TRIỂN KINH TẾ SỐ VÀ XÃ HỘI SỐ GIAI ĐOẠN 2026 - 2030", "PHÒNG, CHỐNG MA TÚY NĂM 2026",
          "THỰC HIỆN CHƯƠNG TRÌNH GIẢM NGHÈO BỀN VỮNG TRÊN ĐỊA BÀN TỈNH"]
PREAMBLES = ["Thực hiện Nghị quyết số 214/NQ-CP ngày 23/7/2025 của Chính phủ về thúc đẩy tạo lập dữ liệu phục vụ "
             "chuyển đổi số toàn diện",
             "Căn cứ Quyết định số 749/QĐ-TTg ngày 03 tháng 6 năm 2020 của Thủ tướng Chính phủ phê duyệt Chương trình "
             "Chuyển đổi số quốc gia đến năm 2025, định hướng đến năm 2030"]
GROUNDS = ["Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025; Luật Ban hành văn bản quy phạm pháp "
           "luật ngày 19 tháng 02 năm 2025 và các văn bản hướng dẫn thi hành;",
           "Căn cứ Nghị quyết số 57-NQ/TW ngày 22 tháng 12 năm 2024 của Bộ Chính trị về đột phá phát triển khoa học, "
           "công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia;",
           "Căn cứ Quyết định số 06/QĐ-TTg ngày 06 tháng 01 năm 2022 của Thủ tướng Chính phủ phê duyệt Đề án "
           "phát triển ứng dụng dữ liệu về dân cư, định danh và xác thực điện tử phục vụ chuyển đổi số quốc gia "
           "giai đoạn 2022 - 2025, tầm nhìn đến năm 2030;"]
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "---------------")
RECIPIENTS = ["Văn phòng Chính phủ (b/c);", "Bộ Công an;", "TT Tỉnh ủy, TT HĐND tỉnh;", "Chủ tịch, các PCT UBND tỉnh;",
              "Các sở, ban, ngành;", "UBND các xã, phường;", "VP UBND tỉnh: LĐVP, KGVX;"]
UNITS = ["%", "người", "xã", "doanh nghiệp", "tỷ đồng"]
INDICATORS = ["Tỷ lệ hộ gia đình sử dụng nước sạch", "Số người được đào tạo kỹ năng số",
              "Tỷ lệ hồ sơ giải quyết trực tuyến toàn trình", "Số xã đạt chuẩn nông thôn mới",
              "Số doanh nghiệp công nghệ số", "Kinh phí hỗ trợ từ ngân sách tỉnh"]


# --- the tree -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Para:
    """One paragraph the parser must give back."""

    kind: str
    section: str
    headings: tuple[str, ...]
    words: str
    table_header: tuple[str, ...] = ()
    style: str = field(default="", compare=False)  # the mark that made it: 'num', 'letter', ... 'inline', 'sup'


@dataclass(frozen=True)
class Block:
    """One unit as the source prints it: a list item, a body paragraph or a table."""

    role: str  # "item" | "body" | "table"
    mark: str = ""  # as printed: "I.", "PHẦN I.", "1.1.", "a)", "(1)", "-"
    text: str = ""  # the words after the mark
    style: str = ""  # "roman", "num", "letter", "dash", ... ("" for body and table)
    heading: bool = False  # a title, printed in bold where the format has bold
    rows: tuple[tuple[str, ...], ...] = ()  # a table's rows, header first
    merged: frozenset = frozenset()  # rows whose first two cells are one merged cell (total rows)
    expected: tuple[Para, ...] = ()

    @property
    def line(self) -> str:
        return f"{self.mark} {self.text}" if self.mark else self.text

    @property
    def wrappable(self) -> str:
        """The line with its mark held together ('PHẦN I.' never breaks inside), for `wrap`."""
        return f"{self.mark.replace(' ', chr(0xa0))} {self.text}" if self.mark else self.text


@dataclass(frozen=True)
class Plan:
    province: str
    level: str
    number_line: str
    number: str
    place_date: str
    date: str
    title: str
    blocks: tuple[Block, ...]
    recipients: tuple[str, ...]
    signature: tuple[str, ...]
    signer: str
    chain: str = ""  # the mark styles, outermost first

    @property
    def issuer(self) -> tuple[str, str]:
        place = self.province.upper()
        return ("ỦY BAN NHÂN DÂN", place if place.startswith("THÀNH PHỐ") else f"{self.level.upper()} {place}")

    @property
    def paragraphs(self) -> list[Para]:
        return [p for b in self.blocks for p in b.expected]

    @property
    def metadata(self) -> dict:
        return {"province": self.province, "number": self.number, "date": self.date, "type": "Kế hoạch",
                "title": self.title, "signer": self.signer}

    def _repr_pretty_(self, printer, cycle):  # how Hypothesis prints a falsifying example
        printer.text(repr(self))

    def __repr__(self) -> str:
        """The tree as an outline, one paragraph a line: kind, label, words."""
        lines = [f"Plan({self.province!r}, {self.number_line!r}, {self.place_date!r}, signer={self.signer!r}, "
                 f"signature={self.signature!r}, chain={self.chain!r})"]
        for p in self.paragraphs:
            lines.append(f"  [{p.kind} {p.section or '-'} ({p.style})] {p.words[:100]}")
        return "\n".join(lines)


# Mark styles: how the n-th sibling is printed and what it adds to the label.
def _mark(style: str, n: int, parent_num: str, variant: int) -> tuple[str, str, str]:
    """(printed mark, number it carries, label part) of the n-th item of `style`."""
    if style == "roman":
        return f"{roman(n)}.", roman(n), roman(n)
    if style in ("part", "chuong"):
        word = {"part": ("PHẦN", "Phần"), "chuong": ("Chương", "CHƯƠNG")}[style][variant % 2]
        sep = [".", ":", ""][variant % 3]
        return f"{word} {roman(n)}{sep}", roman(n), PART_PREFIX[style] + roman(n)
    if style == "muc":
        return f"Mục {n}.", str(n), f"M{n}"
    if style == "dieu":
        return f"Điều {n}.", str(n), f"Đ{n}"
    if style in ("num", "numslash", "numdash"):
        sep = {"num": ".", "numslash": "/", "numdash": "-"}[style]
        return f"{n}{sep}", str(n), str(n)
    if style in ("numdec", "numdec3"):
        num = f"{parent_num}.{n}"
        return f"{num}.", num, num
    if style in ("letter", "letterdot"):
        return LETTERS[n - 1] + (")" if style == "letter" else "."), LETTERS[n - 1], LETTERS[n - 1]
    if style == "paren":
        return f"({n})", str(n), str(n)
    return {"dash": "-", "plus": "+", "dot": "•"}[style], "", f"-{n}"


# Nesting: each level one style, as real plans do; the first choice of each list is the simplest.
TOPS = [["roman"], ["part", "roman"], ["chuong", "dieu"], ["chuong", "muc", "dieu"], ["part"]]
MIDDLES = [["num"], ["num", "numdec"], ["num", "numdec", "numdec3"], ["numslash"], ["numdash"], []]
LOWERS = [[], ["letter"], ["letterdot"], ["paren"], ["letter", "paren"], ["paren", "letter"]]
BULLETS = [[], ["dash"], ["dash", "plus"], ["plus"], ["dot"], ["dot", "dash"]]
ALWAYS_HEADING = {"roman", "part", "chuong", "muc", "dieu"}


@st.composite
def agencies(draw) -> str:
    if draw(st.booleans()):
        return draw(st.sampled_from(known_agencies()))
    return f"{draw(st.sampled_from(AGENCY_HEADS))} {draw(st.sampled_from(AGENCY_NAMES))}"


@st.composite
def clauses(draw) -> str:
    out = f"{draw(st.sampled_from(VERBS))} {draw(st.sampled_from(OBJECTS))}"
    for _ in range(draw(st.integers(0, 3))):
        out += " " + draw(st.sampled_from(COMPLEMENTS + NUMERIC))
    return out


@st.composite
def sentences(draw, end: str = ".") -> str:
    """One or more clauses of plan language, ending in `end`; sometimes with who leads and who helps."""
    parts = draw(st.lists(clauses(), min_size=1, max_size=3))
    text = "; ".join(parts[:1] + [p[0].lower() + p[1:] for p in parts[1:]])
    if draw(st.integers(0, 3)) == 0:
        text += f" ({draw(agencies())} chủ trì, {draw(agencies())} phối hợp)"
    return text + end


@st.composite
def enumerations(draw) -> tuple[str, list[str]]:
    """A lead-in and the pieces of an inline enumeration '(1) ...; (2) ...' or '⁽¹⁾...; ⁽²⁾...'."""
    kind = draw(st.sampled_from(["paren", "sup", "sup_space"]))
    lead = draw(st.sampled_from(["Phấn đấu đến năm 2030:", "Mục tiêu cụ thể như sau:", "Phấn đấu hằng năm:",
                                 "Tập trung vào các nội dung"]))
    pieces = []
    clauses_ = draw(st.lists(clauses(), min_size=2, max_size=4))
    for i, c in enumerate(clauses_, 1):
        sup = f"⁽{str(i).translate(SUPERSCRIPT)}⁾" + (" " if kind == "sup_space" else "")
        mark = f"({i}) " if kind == "paren" else sup
        pieces.append(mark + c)
    return lead, pieces


def _enumerated(kind, line_lead, pieces, label, chain, style="") -> tuple[Para, ...]:
    """The lead-in paragraph and one item per enumerated piece (see the module docstring)."""
    out = [Para(kind, label, chain, words(line_lead), style=style)]
    sub = chain + (heading_text(line_lead),)
    for i, piece in enumerate(pieces, 1):
        out.append(Para("item", f"{label}.({i})" if label else f"({i})", sub, words(piece),
                        style="sup" if piece.startswith("⁽") else "inline"))
    return tuple(out)


@st.composite
def tables(draw) -> tuple[tuple[str, ...], ...]:
    years = draw(st.sampled_from([("Năm 2026", "Năm 2030"), ("Năm 2025",), ("Giai đoạn 2026 - 2030",)]))
    header = ("STT", "Chỉ tiêu", "Đơn vị", *years)
    rows = [header]
    for i, indicator in enumerate(draw(st.lists(st.sampled_from(INDICATORS), min_size=1, max_size=4)), 1):
        unit = draw(st.sampled_from(UNITS))
        values = [draw(st.sampled_from(["80", "95", "1.500", "2,5", "100", "12.000"])) for _ in years]
        rows.append((str(i), indicator, unit, *values))
    return tuple(rows)


@st.composite
def bodies(draw) -> tuple[str, tuple[Block, ...]]:
    """The numbered body of a plan: a chain of mark styles and the blocks printed with them."""
    chain = draw(st.sampled_from(TOPS)) + draw(st.sampled_from(MIDDLES)) + draw(st.sampled_from(LOWERS)) \
        + draw(st.sampled_from(BULLETS))
    variant = draw(st.integers(0, 5))
    blocks: list[Block] = []
    for _ in range(draw(st.integers(1, 2))):  # preamble before the first item
        blocks.append(draw(_body_block("", ())))
    stack: list[dict] = []  # open items: depth, style, num, part, heading, children
    roots = {"children": 0}
    depth = -1
    table_left = draw(st.booleans())
    for _ in range(draw(st.integers(4, 14))):  # real plans run to pages: enough lines to see the wrap width
        depth = draw(st.integers(0, min(depth + 1, len(chain) - 1)))
        del stack[depth:]
        parent = stack[-1] if stack else roots
        parent["children"] += 1
        style = chain[depth]
        mark, num, part = _mark(style, parent["children"], parent.get("num", ""), variant)
        base = stack[-1]["label"] if stack else ""
        if style in ("numdec", "numdec3") and stack and stack[-1]["style"] in ("num", "numdec"):
            base = stack[-1]["base"]  # '2.1' replaces its parent '2', '2.1.1' replaces '2.1'
        label = f"{base}.{part}" if base else part
        chain_above = tuple(s["heading"] for s in stack)
        block = draw(_item_block(style, mark, label, chain_above))
        block = replace(block, expected=tuple(replace(p, style=p.style or style) for p in block.expected))
        stack.append({"style": style, "num": num, "part": part, "children": 0, "label": label, "base": base,
                      "heading": heading_text(block.line)})
        blocks.append(block)
        chain_here = chain_above + (stack[-1]["heading"],)
        if style not in ("dash", "plus", "dot"):
            for _ in range(draw(st.integers(0, 2))):
                blocks.append(draw(_body_block(label, chain_here)))
        if table_left and draw(st.integers(0, 3)) == 0:
            table_left = False
            blocks.append(_table_block(draw(tables()), draw(st.booleans()), label, chain_here))
    grounds = iter(GROUNDS * 5)
    while sum(len(b.text.split()) for b in blocks) < 200:  # a page at least, as plans are: more legal grounds
        text = next(grounds)
        blocks.insert(0, Block("body", text=text, expected=(Para("body", "", (), words(text), style="body"),)))
    return ".".join(chain), tuple(blocks)


@st.composite
def _body_block(draw, label: str, chain: tuple[str, ...]) -> Block:
    if draw(st.integers(0, 4)) == 0:
        lead, pieces = draw(enumerations())
        text = lead + " " + " ".join(p + ";" for p in pieces[:-1]) + " " + pieces[-1] + "."
        return Block("body", text=text,
                     expected=_enumerated("body", lead, pieces[:-1] + [pieces[-1] + "."], label, chain, "body"))
    if not label and draw(st.booleans()):
        text = draw(st.sampled_from(PREAMBLES)) + ", Ủy ban nhân dân tỉnh ban hành Kế hoạch thực hiện như sau:"
    else:
        text = draw(sentences())
    return Block("body", text=text, expected=(Para("body", label, chain, words(text), style="body"),))


@st.composite
def _item_block(draw, style: str, mark: str, label: str, chain: tuple[str, ...]) -> Block:
    if style in ALWAYS_HEADING:
        source = {"roman": ROMAN_HEADINGS, "part": PART_HEADINGS, "chuong": PART_HEADINGS, "muc": PART_HEADINGS,
                  "dieu": DIEU_HEADINGS}[style]
        text = draw(st.sampled_from(source))
        return Block("item", mark, text, style, True,
                     expected=(Para("heading", label, chain, words(f"{mark} {text}")),))
    options = ["item", "heading", "agency", "agency_item", "enumeration"]
    if style in ("dash", "plus", "dot", "paren"):
        options = ["item"]
    elif style in ("letter", "letterdot"):
        options = ["item", "heading"]
    what = draw(st.sampled_from(options))
    if what == "heading":
        text = draw(st.sampled_from(TITLE_HEADINGS))
    elif what == "agency":
        text = draw(agencies())
        if draw(st.booleans()):
            text += ", " + draw(agencies())
    elif what == "agency_item":
        text = f"{draw(agencies())}: {draw(sentences())}"
    elif what == "enumeration":
        lead, pieces = draw(enumerations())
        text = lead + " " + " ".join(p + ";" for p in pieces[:-1]) + " " + pieces[-1] + "."
        return Block("item", mark, text, style, False,
                     expected=_enumerated("item", f"{mark} {lead}", pieces[:-1] + [pieces[-1] + "."], label, chain))
    else:
        text = draw(sentences(end=draw(st.sampled_from([".", ";"]))))
    heading = what in ("heading", "agency")
    return Block("item", mark, text, style, heading,
                 expected=(Para("heading" if heading else "item", label, chain, words(f"{mark} {text}")),))


def _table_block(rows, total: bool, label: str, chain: tuple[str, ...]) -> Block:
    merged = frozenset()
    if total:
        width = len(rows[0])
        rows = rows + (("", "Tổng cộng", "", *["3.000"] * (width - 3)),)
        merged = frozenset({len(rows) - 1})
    header = rows[0]
    expected = [Para("table_header", label, chain, words(" ".join(header)), header, style="table")]
    for i, row in enumerate(rows[1:], 1):
        expected.append(Para("table_row", f"{label}.r{i}" if label else f"r{i}", chain, words(" ".join(row)), header,
                             style="total" if i in merged else "table"))
    return Block("table", rows=rows, merged=merged, expected=tuple(expected))


@st.composite
def names(draw) -> str:
    surname = draw(st.sampled_from(surnames() + tuple(OTHER_SURNAMES)))
    given = draw(st.lists(st.sampled_from(GIVEN), min_size=1, max_size=3))
    return " ".join([surname, *given])


NUMBER_FORMS = ["Số: {n}/KH-UBND", "Số {n}/KH-UBND", "Số: {n}/{y}/KH-UBND", "{n}/KH-UBND", "Số: {n} /KH-UBND"]
SIGNATURES = [("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"),
              ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")]


@st.composite
def plans(draw) -> Plan:
    province, level = draw(st.sampled_from(provinces()))
    n = draw(st.sampled_from(["12", "308", "0130", "7360", "5"]))
    year = draw(st.integers(2017, 2026))
    form = draw(st.sampled_from(NUMBER_FORMS))
    number_line = form.format(n=n, y=year)
    number = re.sub(r"^Số:?\s*", "", number_line).replace(" ", "")
    day, month = draw(st.integers(1, 28)), draw(st.integers(1, 12))
    if draw(st.integers(0, 3)):
        place_date = f"{province}, ngày {day:02d} tháng {month} năm {year}"
    else:
        place_date = f"{province}, ngày {day:02d}/{month}/{year}"
    chain, blocks = draw(bodies())
    recipients = tuple(draw(st.lists(st.sampled_from(RECIPIENTS), min_size=1, max_size=4, unique=True))) + ("Lưu: VT.",)
    signer = draw(names())
    if draw(st.integers(0, 3)) == 0:
        signer = signer.upper()
    return Plan(province, level, number_line, number, place_date, f"{year:04d}-{month:02d}-{day:02d}",
                draw(st.sampled_from(TITLES)), blocks, recipients, draw(st.sampled_from(SIGNATURES)), signer, chain)


@dataclass(frozen=True)
class Layout:
    """How a rendering lays a plan out: wrap width, blank lines between paragraphs, header and closing style."""

    width: int = 80
    blank: bool = True  # a blank line between paragraphs (else only where a reader could not see the break)
    columns: bool = False  # header and closing side by side, as text copied from a two-column layout
    seed: int = 0  # the small choices of a rendering (where a bold run splits, where a line breaks early)


layouts = st.builds(Layout, width=st.integers(70, 90), blank=st.booleans(), columns=st.booleans(),
                    seed=st.integers(0, 2**16))


# --- renderings ---------------------------------------------------------------------------------------

def wrap(text: str, width: int, rnd: random.Random, first: int | None = None) -> list[str]:
    """Greedy hard wrap; sometimes breaks early before a number or a mark, so such words start lines."""
    lines, cur = [], ""
    for w in text.split(" "):  # a mark is one word: 'PHẦN\xa0I.' (see Block.wrappable); str.split() would cut it
        limit = first if (first and not lines) else width
        eager = (w[0].isdigit() or w[0] in "(⁽-") and len(cur) >= 0.75 * limit and rnd.random() < 0.5
        if cur and (len(cur) + 1 + len(w) > limit or eager):
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    return [line.replace("\xa0", " ") for line in (lines + [cur] if cur else lines)]


def _readable_break(prev_last: str, block: Block, width: int, fill: float | None = None) -> bool:
    """Whether a reader sees where the previous paragraph ends without a blank line: its last line is short
    (`fill` of the width, else counted in characters), or it ends a sentence and a list item or table follows."""
    fill = len(prev_last) / width if fill is None else fill
    return fill < 0.6 or (bool(TERMINAL.search(prev_last)) and block.role == "item"
                          and block.style not in ("dash", "plus", "dot")) or block.role == "table"


def render_txt(plan: Plan, layout: Layout) -> str:
    rnd = random.Random(layout.seed)
    w = layout.width
    issuer, place = plan.issuer, plan.place_date
    if layout.columns:
        head = [f"{issuer[0]:<40}CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                f"{issuer[1]:^16}{'':<24}Độc lập - Tự do - Hạnh phúc",
                f"{'-------':^16}{'':<24}{'---------------':^27}", f"{plan.number_line:<40}{place}", ""]
    else:
        head = [issuer[0], issuer[1], "-------", "", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                "Độc lập - Tự do - Hạnh phúc",
                "---------------", "", plan.number_line, "", place, ""]
    out = head + ["KẾ HOẠCH"] + wrap(plan.title, w, rnd) + [""]
    prev_last = ""
    for block in plan.blocks:
        if block.role == "table":
            sep = rnd.choice(["\t", " | "])
            lines = [sep.join(row) for row in block.rows]
        else:
            lines = wrap(block.wrappable, w, rnd)
        if out[-1] and (layout.blank or not _readable_break(prev_last, block, w)):
            out.append("")
        out += lines
        prev_last = lines[-1]
        if block.role == "table":
            out.append("")
    out.append("")
    sign = list(plan.signature) + ["", "", plan.signer]
    recip = ["Nơi nhận:"] + [f"- {r}" for r in plan.recipients]
    if layout.columns:
        for i in range(max(len(sign), len(recip))):
            left = recip[i] if i < len(recip) else ""
            right = sign[i] if i < len(sign) else ""
            out.append(f"{left:<44}{right}".rstrip())
    else:
        out += recip + [""] + sign
    return "\n".join(out) + "\n"


def _md_para(text: str, layout: Layout, rnd: random.Random, bold: bool = False, first: int | None = None) -> str:
    """A paragraph as thuvienphapluat pages print it: a short first line, then lines of about 80 columns."""
    lines = wrap(text, layout.width, rnd, first=first or rnd.randint(22, 34))
    if not bold:
        return "\n".join(lines)
    close = "**" if rnd.random() < 0.6 else " **"
    return "**" + "\n".join(lines) + close


def render_md(plan: Plan, layout: Layout) -> str:
    rnd = random.Random(layout.seed)
    issuer = plan.issuer
    out = ["|", f"**{issuer[0]}**" if rnd.random() < 0.5 else "**ỦY BAN NHÂN\nDÂN **", issuer[1], "--------", "|",
           "**CỘNG HÒA XÃ HỘI\nCHỦ NGHĨA VIỆT NAM**", "Độc lập - Tự do - Hạnh phúc", "---------------", "|", "|",
           plan.number_line, "|", "*" + "\n".join(wrap(plan.place_date, 80, rnd, first=rnd.randint(12, 24))) + "*",
           "|", "", "** **", "", "**KẾ HOẠCH**", "", "\n".join(wrap(plan.title, 80, rnd)), ""]
    for block in plan.blocks:
        if block.role == "table":
            out += [_md_table(block, layout, rnd), ""]
        elif block.role == "body":
            italic = block.text.startswith("Căn cứ")
            text = _md_para(block.text, layout, rnd)
            out += [f"*{text}*" if italic else text, ""]
        elif block.heading and block.style in ("num", "numdec", "numdec3") and rnd.random() < 0.3:
            text = _md_para(block.text, layout, rnd, bold=True, first=rnd.randint(30, 60))
            out += [f"**{block.mark}****\n{text}", ""]  # '**4.****' / '**Phối hợp ...**'
        else:
            first = rnd.randint(8, 16) if block.heading else None  # '**I. MỤC' / 'ĐÍCH, YÊU CẦU**'
            out += [_md_para(block.wrappable, layout, rnd, bold=block.heading, first=first), ""]
    sign = [_md_para(plan.signature[0], layout, rnd, bold=True, first=14)] + list(plan.signature[1:])
    out += ["", "|", "Nơi nhận:"] + [f"- {r}" for r in plan.recipients] + ["|"] + sign + [f"**{plan.signer}**", "|", ""]
    return "\n".join(out)


def _md_table(block: Block, layout: Layout, rnd: random.Random) -> str:
    """Every cell on its own line(s) between lone '|' lines, no blank line inside; header cells in bold."""
    lines = []
    for r, row in enumerate(block.rows):
        lines.append("|")
        for cell in row:
            if cell:
                text = "\n".join(wrap(cell, layout.width, rnd, first=rnd.randint(22, 34)))
                lines.append(f"**{text}**" if r == 0 or cell == "Tổng cộng" else text)
            lines.append("|")
    return "\n".join(lines)


def render_docx(plan: Plan, layout: Layout, path: Path) -> Path:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    doc = docx.Document()

    def cell_lines(cell, lines, bold=(), italic=()):
        cell.text = lines[0]
        for line in lines[1:]:
            cell.add_paragraph(line)
        for i, p in enumerate(cell.paragraphs):
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            for run in p.runs:
                run.bold, run.italic = i in bold, i in italic

    head = doc.add_table(rows=2, cols=2)  # the government template: a borderless layout table
    cell_lines(head.cell(0, 0), [*plan.issuer, "-------"], bold=(1,))
    cell_lines(head.cell(0, 1), list(MOTTO), bold=(0, 1))
    cell_lines(head.cell(1, 0), [plan.number_line])
    cell_lines(head.cell(1, 1), [plan.place_date], italic=(0,))
    for text, bold in (("KẾ HOẠCH", True), (plan.title, True)):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.add_run(text).bold = bold
    for block in plan.blocks:
        if block.role == "table":
            t = doc.add_table(rows=len(block.rows), cols=len(block.rows[0]))
            t.style = "Table Grid"
            for r, row in enumerate(block.rows):
                for c, value in enumerate(row):
                    t.cell(r, c).text = value
                if r in block.merged:
                    first = t.cell(r, 0).merge(t.cell(r, 1))
                    first.text = " ".join(v for v in row[:2] if v)
        else:
            p = doc.add_paragraph()
            p.add_run(block.line).bold = block.heading
    closing = doc.add_table(rows=1, cols=2)
    cell_lines(closing.cell(0, 0), ["Nơi nhận:", *[f"- {r}" for r in plan.recipients]], bold=(0,))
    cell_lines(closing.cell(0, 1), [*plan.signature, "", "", plan.signer], bold=tuple(range(len(plan.signature) + 3)))
    doc.save(path)
    return path


def _font_files() -> tuple[str, str]:
    import matplotlib
    ttf = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return str(ttf / "DejaVuSans.ttf"), str(ttf / "DejaVuSans-Bold.ttf")


def render_pdf(plan: Plan, layout: Layout, path: Path) -> Path:
    """A4 pages numbered at the top (from page 2) or at the bottom, header and closing in two columns."""
    from fpdf import FPDF

    on_top = layout.seed % 2 == 0

    class Doc(FPDF):
        def header(self):  # the Vietnamese habit: the number at the top of every page but the first
            if on_top and self.page_no() > 1:
                self.set_font("DejaVu", "", 11)
                self.cell(0, 8, str(self.page_no()), align="C", new_x="LMARGIN", new_y="NEXT")

        def footer(self):
            if not on_top:
                self.set_y(-15)
                self.set_font("DejaVu", "", 10)
                self.cell(0, 8, f"Trang {self.page_no()}", align="C")

    pdf = Doc(format="A4")
    regular, bold = _font_files()
    pdf.add_font("DejaVu", "", regular)
    pdf.add_font("DejaVu", "B", bold)
    pdf.set_margins(25, 20, 15)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    size = 11 + layout.seed % 3

    def two_columns(left, right, widths=(70, 100), styles=("B", "B")):
        y = pdf.get_y()
        pdf.set_font("DejaVu", styles[0], size - 1)
        pdf.multi_cell(widths[0], 5.5, "\n".join(left), align="C", new_x="RIGHT", new_y="TOP")
        y_left = pdf.get_y() + 5.5 * len(left)
        pdf.set_xy(pdf.l_margin + widths[0], y)
        pdf.set_font("DejaVu", styles[1], size - 1)
        pdf.multi_cell(widths[1], 5.5, "\n".join(right), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), y_left) + 3)

    two_columns([*plan.issuer, "-------"], list(MOTTO))
    two_columns([plan.number_line], [plan.place_date], styles=("", ""))
    pdf.set_font("DejaVu", "B", size + 1)
    pdf.multi_cell(0, 7, "KẾ HOẠCH", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", size)
    pdf.multi_cell(0, 6, plan.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    full = pdf.epw
    for i, block in enumerate(plan.blocks):
        if block.role == "table":
            pdf.set_font("DejaVu", "", size - 2)
            widths = (10, 70, 20) + (30,) * (len(block.rows[0]) - 3)
            with pdf.table(col_widths=widths, line_height=5.5, text_align="LEFT", repeat_headings=0) as table:
                for row in block.rows:
                    r = table.row()
                    for value in row:
                        r.cell(value)
            pdf.ln(2)
            continue
        pdf.set_font("DejaVu", "B" if block.heading else "", size)
        align = "J" if layout.blank else "L"
        nxt = plan.blocks[i + 1] if i + 1 < len(plan.blocks) else None
        width = full
        # Text taken from a PDF keeps no blank line and no indent: where the next paragraph starts must show
        # in the words, so a paragraph whose last line would run full is set a little narrower.
        for narrower in (1, 0.96, 0.92, 0.88, 0.84, 0.8):
            lines = pdf.multi_cell(full * narrower, 6, block.line, align=align, dry_run=True, output="LINES")
            if nxt is None or _readable_break(lines[-1], nxt, 0, pdf.get_string_width(lines[-1]) / full):
                width = full * narrower
                break
        pdf.multi_cell(width, 6, block.line, align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    pdf.ln(4)
    two_columns(["Nơi nhận:", *[f"- {r}" for r in plan.recipients]], [*plan.signature, "", "", plan.signer],
                widths=(80, 90))
    pdf.output(str(path))
    return path


def render(plan: Plan, layout: Layout, rendering: str, folder: Path) -> Path:
    """Write the plan in one of the four renderings into `folder`; the path of the file."""
    folder = Path(folder)
    if rendering == "txt":
        path = folder / "plan.txt"
        path.write_text(render_txt(plan, layout), encoding="utf-8")
        return path
    if rendering == "md":
        path = folder / "plan.md"
        path.write_text(render_md(plan, layout), encoding="utf-8")
        return path
    if rendering == "docx":
        return render_docx(plan, layout, folder / "plan.docx")
    return render_pdf(plan, layout, folder / "plan.pdf")
