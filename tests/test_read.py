"""khsearch.read: every fixture is built here, in a temporary folder."""
from __future__ import annotations

import codecs
import hashlib
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from khsearch import read as read_module
from khsearch.normalize import read_table
from khsearch.read import ReadError, discover, read

PLAN = ("Kế hoạch số 100/KH-UBND ngày 25 tháng 10 năm 2017 của tỉnh Cà Mau về thực hiện chương trình "
        "phòng, chống ma túy đến năm 2020.\n"
        "Sở Lao động - Thương binh và Xã hội chủ trì, phối hợp với Công an tỉnh tổ chức cai nghiện; "
        "phấn đấu đạt trên 80% số người nghiện được quản lý.\n")
MOTTO = "Cộng hòa xã hội chủ nghĩa Việt Nam\nĐộc lập - Tự do - Hạnh phúc\n"
TONES = "\u0300\u0301\u0303\u0309\u0323"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def reason(path: Path) -> str:
    with pytest.raises(ReadError) as info:
        read(path)
    assert info.value.path == str(path.resolve())
    return info.value.reason


def legacy_encoder(encoding: str):
    """Unicode -> bytes in TCVN3 or VNI, with the reviewed table (the inverse of what the reader uses)."""
    table = {letter: bytes.fromhex(hx) for enc, hx, _seen, letter in read_table("legacy_fonts.tsv") if enc == encoding}
    return lambda text: b"".join(table.get(c) or c.encode("cp1252") for c in unicodedata.normalize("NFC", text))


def cp1258(text: str) -> bytes:
    """Unicode -> Windows-1258 as Windows writes it: precomposed where the code page has it, else tone apart."""
    out = b""
    for c in unicodedata.normalize("NFC", text):
        try:
            out += c.encode("cp1258")
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", c)
            base = unicodedata.normalize("NFC", "".join(m for m in d if m not in TONES))
            out += (base + "".join(m for m in d if m in TONES)).encode("cp1258")
    return out


# --- plain text -------------------------------------------------------------------------------------

def test_utf8_is_native_and_keeps_offsets(tmp_path):
    p = write(tmp_path, "plan.txt", PLAN.encode("utf-8"))
    src = read(p)
    assert (src.text, src.format, src.encoding, src.native, src.warnings) == (PLAN, "txt", "utf-8", True, ())
    assert src.path == str(p.resolve()) and src.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()


def test_newlines_are_universal_as_open_reads_them(tmp_path):
    p = write(tmp_path, "crlf.txt", "Mục tiêu\r\nYêu cầu\rGiải pháp\n".encode("utf-8"))
    src = read(p)
    assert src.text == "Mục tiêu\nYêu cầu\nGiải pháp\n" == open(p, encoding="utf-8").read()
    assert src.native


def test_utf8_bom_stays_as_a_character_so_offsets_agree_with_open(tmp_path):
    p = write(tmp_path, "bom.txt", codecs.BOM_UTF8 + PLAN.encode("utf-8"))
    src = read(p)
    assert src.encoding == "utf-8-sig" and src.native
    assert src.text == "\ufeff" + PLAN == open(p, encoding="utf-8").read()


def test_nfd_text_stays_decomposed_and_native(tmp_path):
    nfd = unicodedata.normalize("NFD", PLAN)
    assert nfd != PLAN
    p = write(tmp_path, "nfd.txt", nfd.encode("utf-8"))
    src = read(p)
    assert src.text == nfd == open(p, encoding="utf-8").read() and src.native
    needle = unicodedata.normalize("NFD", "phòng, chống")
    start = src.text.index(needle)  # offsets count decomposed characters, as in the file
    assert unicodedata.normalize("NFC", src.text[start:start + len(needle)]) == "phòng, chống"


@pytest.mark.parametrize("bom, codec", [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")])
def test_utf16_with_bom(tmp_path, bom, codec):
    p = write(tmp_path, "u16.txt", bom + PLAN.replace("\n", "\r\n").encode(codec))
    src = read(p)
    assert (src.text, src.encoding, src.native) == (PLAN, "utf-16", False)


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_found_by_its_nul_bytes(tmp_path, codec):
    src = read(write(tmp_path, "u16.txt", PLAN.encode(codec)))
    assert (src.text, src.encoding, src.native) == (PLAN, codec, False)
    assert "byte-order mark" in src.warnings[0]


def test_windows_1258_is_composed_to_nfc(tmp_path):
    raw = cp1258(PLAN)
    assert b"\xf2" in raw  # 'ệ', 'ạ', ... carry the dot below as a separate byte
    src = read(write(tmp_path, "cp1258.txt", raw))
    assert (src.text, src.encoding, src.native) == (PLAN, "windows-1258", False)
    assert "NFC" in src.warnings[0]


@pytest.mark.parametrize("encoding, seen", [
    ("tcvn3", "Céng hoµ x· héi chñ nghÜa ViÖt Nam\n§éc lËp - Tù do - H¹nh phóc\n"),
    ("vni", "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam\nÑoäc laäp - Töï do - Haïnh phuùc\n"),
])
def test_legacy_font_text_as_it_is_seen_in_the_wild(tmp_path, encoding, seen):
    """Independent of our tables: the motto as these encodings look when opened without their font."""
    src = read(write(tmp_path, "old.txt", seen.encode("cp1252")))
    expected = MOTTO.replace("hòa", "hoà") if encoding == "tcvn3" else MOTTO
    assert (src.text, src.encoding, src.native) == (expected, encoding, False)
    assert encoding.upper() in src.warnings[0]


def test_vni_round_trip_of_a_plan_paragraph(tmp_path):
    raw = legacy_encoder("vni")(MOTTO.upper() + PLAN)
    src = read(write(tmp_path, "vni.txt", raw))
    assert (src.text, src.encoding) == (MOTTO.upper() + PLAN, "vni")


def test_tcvn3_round_trip_with_capitals_it_cannot_hold(tmp_path):
    letters = {letter for enc, _hx, _seen, letter in read_table("legacy_fonts.tsv") if enc == "tcvn3"}
    heading = "KẾ HOẠCH THỰC HIỆN CHƯƠNG TRÌNH PHÒNG, CHỐNG MA TÚY\n"
    # TCVN3 has no capital toned letters: a .VnTimeH heading is stored with the lowercase codes
    stored = "".join(c if c.isascii() or c in letters else c.lower() for c in heading)
    assert stored.startswith("Kế HOạCH THựC HIệN CHƯƠNG")
    src = read(write(tmp_path, "tcvn3.txt", legacy_encoder("tcvn3")(stored + PLAN)))
    assert (src.text, src.encoding, src.native) == (stored + PLAN, "tcvn3", False)
    assert "lower case" in src.warnings[0]


def test_legacy_tables_cover_every_letter_once():
    rows = read_table("legacy_fonts.tsv")
    letters = {"tcvn3": [], "vni": []}
    for encoding, hx, seen, letter in rows:
        assert bytes.fromhex(hx).decode("cp1252") == seen  # the 'seen as' column matches the bytes
        assert unicodedata.is_normalized("NFC", letter) and len(letter) == 1
        letters[encoding].append(letter)
    vietnamese = {unicodedata.normalize("NFC", base + tone) for base in "aăâeêioôơuưy" for tone in ["", *TONES]}
    lower = (vietnamese - set("aeiouy")) | {"đ"}
    assert len(lower) == 67
    assert sorted(letters["vni"]) == sorted(lower | {c.upper() for c in lower})
    assert sorted(letters["tcvn3"]) == sorted(lower | set("ĂÂÊÔƠƯĐ"))
    for encoding, table in letters.items():
        text = " ".join(table)
        assert read_module._convert(read_module._surface(legacy_encoder(encoding)(text)), encoding) == text


def test_mixed_legacy_encodings_are_refused_not_guessed(tmp_path):
    raw = legacy_encoder("tcvn3")(PLAN) + legacy_encoder("vni")(PLAN)
    assert "legacy Vietnamese encoding" in reason(write(tmp_path, "mixed.txt", raw))


def test_a_few_broken_bytes_in_utf8_are_replaced(tmp_path):
    raw = PLAN.encode("utf-8") * 3 + b"\xff" + PLAN.encode("utf-8")
    src = read(write(tmp_path, "broken.txt", raw))
    assert src.text == PLAN * 3 + "\ufffd" + PLAN and not src.native and src.encoding == "utf-8"
    assert "invalid UTF-8" in src.warnings[0]


@pytest.mark.parametrize("data", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4,
    bytes(range(1, 256)) * 8,  # no NUL byte, not UTF-8, not any text
])
def test_binary_files_are_refused(tmp_path, data):
    assert reason(write(tmp_path, "image.txt", data)) == "binary file, not text"


@pytest.mark.parametrize("data", [b"", b"  \n\t\r\n ", codecs.BOM_UTF8,
                                  codecs.BOM_UTF16_LE + " \n".encode("utf-16-le")])
def test_empty_files_are_refused(tmp_path, data):
    assert reason(write(tmp_path, "empty.txt", data)).startswith("the file is empty")


# --- what cannot be read -----------------------------------------------------------------------------

def test_unknown_suffix_missing_file_folder_and_old_word(tmp_path):
    assert "unsupported file type '.xyz'" in reason(write(tmp_path, "plan.xyz", b"text"))
    assert "save it as .docx" in reason(write(tmp_path, "plan.doc", b"\xd0\xcf\x11\xe0"))
    assert reason(tmp_path / "missing.txt") == "no such file"
    (tmp_path / "folder.txt").mkdir()
    assert "folder" in reason(tmp_path / "folder.txt")


def test_permission_error_names_the_reason(tmp_path, monkeypatch):
    p = write(tmp_path, "locked.txt", b"text")

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert reason(p) == "permission denied"


def test_a_file_of_max_bytes_is_read_and_one_byte_more_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(read_module, "MAX_BYTES", 2 * 2**20)  # the limit scaled down: a 64 MB file is slow to read
    body = PLAN.encode("utf-8")
    data = body * (read_module.MAX_BYTES // len(body))
    data += b"." * (read_module.MAX_BYTES - len(data))
    assert read(write(tmp_path, "limit.txt", data)).text == data.decode("utf-8")
    p = write(tmp_path, "over.txt", data + b".")
    with pytest.raises(ReadError) as info:
        read(p)
    assert info.value.path == str(p.resolve()) and str(info.value).startswith(f"{p.resolve()}: ")
    assert info.value.reason.endswith("over the 2 MB limit")


def test_the_real_limit_is_checked_before_the_file_is_read(tmp_path, monkeypatch):
    p = tmp_path / "huge.txt"
    with open(p, "wb") as f:
        f.truncate(read_module.MAX_BYTES + 1)  # a sparse file: no disk space taken
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} was read"))
    assert reason(p).endswith(f"over the {read_module.MAX_BYTES // 2**20} MB limit")


# --- documents ---------------------------------------------------------------------------------------

def test_docx_paragraphs_and_tables_in_order(tmp_path):
    docx = pytest.importorskip("docx")
    doc = docx.Document()
    doc.add_heading("KẾ HOẠCH Phòng, chống ma túy", level=1)
    doc.add_paragraph("I. MỤC TIÊU, YÊU CẦU")
    doc.add_paragraph("")
    table = doc.add_table(rows=3, cols=3)
    for r, row in enumerate([["STT", "Nội dung", "Cơ quan chủ trì"],
                             ["1", "Tuyên truyền\nphòng, chống ma túy", "Sở Văn hóa, Thể thao và Du lịch"],
                             ["2", "Cai nghiện", ""]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    table.cell(2, 1).merge(table.cell(2, 2))
    doc.add_paragraph("II. NHIỆM VỤ")
    doc.save(tmp_path / "plan.docx")
    src = read(tmp_path / "plan.docx")
    assert src.text == ("KẾ HOẠCH Phòng, chống ma túy\n\nI. MỤC TIÊU, YÊU CẦU\n\n"
                        "STT | Nội dung | Cơ quan chủ trì\n"
                        "1 | Tuyên truyền phòng, chống ma túy | Sở Văn hóa, Thể thao và Du lịch\n"
                        "2 | Cai nghiện\n\nII. NHIỆM VỤ")
    assert (src.format, src.encoding, src.native, src.warnings) == ("docx", "", False, ())


def test_docx_typed_in_a_tcvn3_font_is_converted(tmp_path):
    docx = pytest.importorskip("docx")
    doc = docx.Document()
    for line in PLAN.splitlines():
        doc.add_paragraph(legacy_encoder("tcvn3")(line).decode("cp1252"))  # what a .VnTime document holds
    doc.save(tmp_path / "old.docx")
    src = read(tmp_path / "old.docx")
    assert src.text == PLAN.strip().replace("\n", "\n\n") and "TCVN3" in src.warnings[0]


def test_damaged_docx(tmp_path):
    assert "not a readable .docx" in reason(write(tmp_path, "bad.docx", b"PK\x03\x04 not really a zip"))
    assert "old Word .doc" in reason(write(tmp_path, "old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600))


def test_pdf_with_a_text_layer(tmp_path):
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    if DEJAVU.exists():
        pdf.add_font("DejaVu", fname=str(DEJAVU))
        pdf.set_font("DejaVu", size=12)
        pages = ["Kế hoạch phòng, chống ma túy", "Sở Y tế chủ trì, phối hợp"]
    else:  # no Unicode font on this machine: the core font can only write Latin-1
        pdf.set_font("Helvetica", size=12)
        pages = ["Ke hoach phong, chong ma tuy", "So Y te chu tri, phoi hop"]
    for line in pages:
        pdf.add_page()
        pdf.cell(text=line)
    pdf.output(str(tmp_path / "plan.pdf"))
    src = read(tmp_path / "plan.pdf")
    assert unicodedata.normalize("NFC", src.text) == "\n\f\n".join(pages)  # a form feed between pages
    assert (src.format, src.native) == ("pdf", False)


def test_scanned_encrypted_and_damaged_pdfs(tmp_path):
    from pypdf import PdfWriter
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(tmp_path / "scan.pdf")
    assert reason(tmp_path / "scan.pdf") == "no text layer (scanned PDF?): it needs OCR before indexing"
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    writer.write(tmp_path / "locked.pdf")
    assert "encrypted" in reason(tmp_path / "locked.pdf")
    assert "not a readable PDF" in reason(write(tmp_path, "bad.pdf", b"%PDF-1.4\n garbage"))


PAGE = """<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>Kế hoạch 100/KH-UBND</title></head><body>
<nav><ul><li><a href="/">Trang chủ</a></li><li><a href="/vb">Văn bản pháp luật</a></li>
<li><a href="/lh">Liên hệ quảng cáo</a></li></ul></nav>
<div class="content"><article><h1>Kế hoạch thực hiện chương trình phòng, chống ma túy</h1>
<p>Thực hiện Quyết định số 424/QĐ-TTg ngày 07/4/2017 của Thủ tướng Chính phủ về phê duyệt Chương trình
phòng, chống ma túy đến năm 2020.</p>
<p>Ủy ban nhân dân tỉnh Cà Mau ban hành kế hoạch thực hiện như sau: tăng cường sự lãnh đạo, chỉ đạo của
cấp ủy, chính quyền các cấp.</p>
<table><tr><td>STT</td><td>Nội dung</td><td>Cơ quan chủ trì</td></tr>
<tr><td>1</td><td>Tuyên truyền</td><td>Sở Văn hóa, Thể thao và Du lịch</td></tr></table>
</article></div>
<footer><p>Bản quyền thuộc về Thư viện Pháp luật. Địa chỉ: 17 Nguyễn Gia Thiều.</p></footer></body></html>"""


@pytest.mark.parametrize("charset", ["utf-8", "windows-1258"])
def test_html_main_text_without_menus(tmp_path, charset):
    raw = PAGE.format(charset=charset)
    raw = raw.encode("utf-8") if charset == "utf-8" else cp1258(raw)
    src = read(write(tmp_path, "page.html", raw))
    assert src.text.startswith("Kế hoạch thực hiện chương trình phòng, chống ma túy\n\nThực hiện Quyết định số 424")
    assert "STT | Nội dung | Cơ quan chủ trì\n1 | Tuyên truyền | Sở Văn hóa, Thể thao và Du lịch" in src.text
    assert "Trang chủ" not in src.text and "Liên hệ quảng cáo" not in src.text and "Bản quyền" not in src.text
    assert src.format == "html" and not src.native and src.encoding == charset


def test_html_without_text(tmp_path):
    page = ("<html><head><title>Trang chủ</title><script>var a = 1;</script></head>"
            "<body><div><img src='logo.png'></div></body></html>")
    assert "no main text" in reason(write(tmp_path, "empty.htm", page.encode("utf-8")))


# --- properties --------------------------------------------------------------------------------------

def _blank(text: str) -> bool:
    return not text.replace("\ufeff", "").strip()


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))))
def test_any_utf8_text_reads_as_open_reads_it(tmp_path, text):
    assume(not _blank(text))
    p = write(tmp_path, "any.txt", text.encode("utf-8"))
    src = read(p)
    assert src.text == open(p, encoding="utf-8").read() and src.native


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(), codec=st.sampled_from(["utf-16", "utf-16-le", "utf-16-be"]))
def test_any_utf16_text_round_trips(tmp_path, text, codec):
    assume(not _blank(text.replace("\r", "\n")))
    bom = {"utf-16": b"", "utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}[codec]
    src = read(write(tmp_path, "any.txt", bom + text.encode(codec)))
    assert src.text == text.replace("\r\n", "\n").replace("\r", "\n") and not src.native


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.binary(), suffix=st.sampled_from([".txt", ".txt", ".html", ".docx", ".pdf"]))
def test_any_bytes_read_or_raise_read_error(tmp_path, data, suffix):
    try:
        src = read(write(tmp_path, "any" + suffix, data))
    except ReadError as e:
        assert e.reason
    else:
        assert src.text.strip() and src.sha256 == hashlib.sha256(data).hexdigest()


# --- discovery ---------------------------------------------------------------------------------------

def test_discover_recurses_in_a_stable_order_and_names_what_is_not_a_plan(tmp_path):
    for name in ["b.txt", "a/c.PDF", "a/b/d.docx", "a/page.htm", "z.html", ".git/x.txt", "a/.cache/y.txt",
                 ".hidden.txt", "notes.md", "a/~$lock.docx", "image.png", "SOURCES.tsv", "b.txt.meta.json"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    ignored = []
    found = [p.relative_to(tmp_path).as_posix() for p in discover([tmp_path], ignored)]
    assert found == ["a/b/d.docx", "a/c.PDF", "a/page.htm", "b.txt", "notes.md", "z.html"]
    assert sorted(Path(p).name for p, _ in ignored) == ["SOURCES.tsv", "image.png", "~$lock.docx"]
    assert all(reason for _, reason in ignored)
    assert discover([tmp_path]) == discover([tmp_path])
    named = tmp_path / "notes.md"
    assert discover([named, tmp_path / "a" / "b"]) == [named, tmp_path / "a" / "b" / "d.docx"]