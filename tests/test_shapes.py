"""Plan shapes as they really arrive, on small invented plans: list marks, wraps, Markdown, tables, PDF page
breaks, website chrome, decisions carrying a plan, and the metadata each shape gives."""
import os

import pytest

from khsearch.metadata import extract
from khsearch.parse import CONTENT_KINDS, classify, parse_paragraphs


def parse(text):
    paras = parse_paragraphs(text, "t")
    for p in paras:
        assert text[p.start:p.end] == p.text  # always a verbatim slice
    return paras


def content(text):
    return [(p.section, " ".join(p.plain.split())) for p in parse(text) if p.kind in CONTENT_KINDS]


def find(paras, piece):
    hits = [p for p in paras if piece in " ".join(p.plain.split())]
    assert hits, f"no paragraph holds {piece!r}"
    return hits[0]


@pytest.mark.parametrize("line, expected", [
    ("I. MỤC TIÊU", ("roman", "I")),
    ("IV- TỔ CHỨC THỰC HIỆN", ("roman", "IV")),
    ("1. Mục tiêu chung", ("numbered", "1")),
    ("2.3. Nhiệm vụ cụ thể", ("numbered", "2.3")),
    ("1.1.2. Rà soát hồ sơ", ("numbered", "1.1.2")),
    ("3/ Sở Y tế", ("numbered", "3")),
    ("4- Công an tỉnh", ("numbered", "4")),
    ("5) Sở Tài chính", ("numbered", "5")),
    ("a) Nhiệm vụ", ("lettered", "a")),
    ("đ) Tổ chức kiểm tra", ("lettered", "đ")),
    ("b. Cơ quan thực hiện", ("lettered", "b")),
    ("A. ĐÁNH GIÁ TÌNH HÌNH", ("upper", "A")),
    ("(1) Tuyên truyền", ("paren", "1")),
    ("- Chủ trì triển khai", ("bullet", "")),
    ("+ Phối hợp kiểm tra", ("bullet", "")),
    ("• Báo cáo định kỳ", ("bullet", "")),
    ("PHẦN I", ("part", "PI")),
    ("Phần II. TỔ CHỨC THỰC HIỆN", ("part", "PII")),
    ("Chương III", ("part", "CIII")),
    ("Mục 2. Hỗ trợ", ("part", "M2")),
    ("Điều 1. Ban hành kèm theo Quyết định này", ("part", "Đ1")),
    # continuations, not marks
    ("1.500 người được tập huấn", ("", "")),
    ("2,5% dân số", ("", "")),
    ("2025 và các năm tiếp theo", ("", "")),
    ("15/12 hằng năm", ("", "")),
    ("98/NQ-CP của Chính phủ", ("", "")),
    ("Mục tiêu chung của kế hoạch", ("", "")),
    ("Điều chỉnh kế hoạch", ("", "")),
    ("Phần lớn các xã", ("", "")),
])
def test_list_marks(line, expected):
    assert classify(line)[:2] == expected


def test_nesting_follows_the_styles_a_plan_uses():
    text = ("PHẦN I\nNHIỆM VỤ CHUNG\n\nI. MỤC TIÊU\n1. Mục tiêu chung\na) Bảo đảm an toàn thông tin mạng trong toàn tỉnh đến năm 2030.\n"
            "- Triển khai rà soát các hệ thống đang vận hành trên địa bàn.\n+ Ưu tiên các hệ thống cấp độ cao.\n"
            "- Tổ chức diễn tập định kỳ hằng năm cho các cơ quan.\nb) Nâng cao nhận thức của người dân về an toàn số.\n"
            "2. Mục tiêu cụ thể\n(1) Phấn đấu 100% cơ quan có cán bộ chuyên trách về an toàn thông tin.\n"
            "(2) Phấn đấu 80% người dân được phổ biến kỹ năng số cơ bản.\nII. NHIỆM VỤ\n1. Sở Y tế\n"
            "a. Chủ trì tổ chức tập huấn cho cán bộ y tế các tuyến trong tỉnh.\n")
    paras = parse(text)
    assert find(paras, "Bảo đảm an toàn").section == "PI.I.1.a"
    assert find(paras, "Ưu tiên các hệ thống").section == "PI.I.1.a.-1.-1"
    assert find(paras, "Tổ chức diễn tập").section == "PI.I.1.a.-2"
    assert find(paras, "Nâng cao nhận thức").section == "PI.I.1.b"
    assert find(paras, "100% cơ quan").section == "PI.I.2.1"
    p = find(paras, "Chủ trì tổ chức tập huấn")
    assert p.section == "PI.II.1.a"
    assert p.headings[-2:] == ("II. NHIỆM VỤ", "1. Sở Y tế")


def test_repeated_section_numbers_stay_unique():
    text = "I. MỤC TIÊU\nNội dung một.\nII. NHIỆM VỤ\nNội dung hai.\nII. TỔ CHỨC THỰC HIỆN\nNội dung ba.\n"
    sections = [p.section for p in parse(text) if p.kind == "heading"]
    assert sections == ["I", "II", "II'"]


def test_wrapped_lines_that_start_with_a_number_continue_the_paragraph():
    body = ("a) Phấn đấu đến năm 2030 số người được tập huấn về kỹ năng số đạt ít nhất\n"
            "1.500 người mỗi năm, trong đó tỷ lệ cán bộ cấp xã được tập huấn chiếm khoảng\n"
            "2,5% dân số trong độ tuổi lao động của tỉnh, duy trì trong giai đoạn từ năm\n"
            "2025 và các năm tiếp theo theo đúng lộ trình đã được phê duyệt tại Kế hoạch.\n")
    text = "II. NHIỆM VỤ\n" + body * 4
    items = [p for p in parse(text) if p.kind == "item"]
    assert len(items) == 4 and all(p.plain.count("\n") == 3 for p in items)


def test_a_heading_wrapped_inside_an_agency_name_is_one_heading():
    filler = "Tổ chức triển khai các nhiệm vụ được giao tại kế hoạch này bảo đảm đúng tiến độ đề ra.\n"
    text = "III. TỔ CHỨC THỰC HIỆN\n" + filler * 6 + "4. Sở\nY tế\n- Chủ trì tổ chức khám sàng lọc.\n" + filler * 6
    assert find(parse(text), "Chủ trì tổ chức khám sàng lọc").headings[-1] == "4. Sở Y tế"


def test_markdown_bold_across_lines_and_markup_never_reaches_the_words():
    text = ("**I. MỤC ĐÍCH,\nYÊU CẦU**\n\n**1. Mục đích**\n\nBảo đảm triển khai đồng bộ\nvà hiệu quả các nhiệm vụ.\n\n"
            "**4.****\n**Phối hợp triển khai** các \\*nhiệm vụ\\* được giao\ntheo *đúng* tiến độ.\n")
    paras = parse(text)
    assert [(p.section, " ".join(p.plain.split())) for p in paras if p.kind in CONTENT_KINDS] == [
        ("I", "I. MỤC ĐÍCH, YÊU CẦU"), ("I.1", "1. Mục đích"),
        ("I.1", "Bảo đảm triển khai đồng bộ và hiệu quả các nhiệm vụ."),
        ("I.4", "4. Phối hợp triển khai các nhiệm vụ được giao theo đúng tiến độ.")]
    assert all("*" not in h for p in paras for h in p.headings)


def test_pdf_page_breaks_and_page_numbers_do_not_split_an_item():
    text = ("II. NHIỆM VỤ\n1. Sở Y tế chủ trì triển khai điều trị cho người bệnh trên địa bàn, phối hợp với\n"
            "- 3 -\n\f\nCông an tỉnh thực hiện kiểm tra.\n2. Sở Tài chính bố trí kinh phí.\n")
    assert content(text) == [("II", "II. NHIỆM VỤ"),
                             ("II.1", "1. Sở Y tế chủ trì triển khai điều trị cho người bệnh trên địa bàn, phối hợp với "
                                      "Công an tỉnh thực hiện kiểm tra."),
                             ("II.2", "2. Sở Tài chính bố trí kinh phí.")]


def _cells(*rows):
    """Rows as a web page's Markdown writes them: every cell on its own line between '|' lines, an empty
    cell as nothing between two '|' lines."""
    lines = []
    for row in rows:
        lines.append("|")
        for cell in row:
            lines += [cell, "|"] if cell else ["|"]
    return "\n".join(lines)


def test_a_table_written_one_cell_per_line_gives_rows_with_their_header_and_a_total():
    table = _cells(("**STT**", "**Chỉ tiêu**", "**Đơn vị tính**", "**Năm 2030**"),
                   ("I", "**Y TẾ**"),
                   ("1", "Số giường bệnh", "giường", "1.200"),
                   ("2", "Trạm y tế đạt chuẩn", "trạm", "85"),
                   ("**Tổng cộng**", "", "", "**1.285**"))
    text = "PHỤ LỤC\nCHỈ TIÊU Y TẾ\n\n" + table + "\n\nGhi chú: số liệu ước tính.\n"
    rows = [p for p in parse(text) if p.kind == "table_row"]
    assert [" ".join(p.plain.replace("|", " ").split()) for p in rows] == [
        "I Y TẾ", "1 Số giường bệnh giường 1.200", "2 Trạm y tế đạt chuẩn trạm 85", "Tổng cộng 1.285"]
    assert all(p.table_header == ("STT", "Chỉ tiêu", "Đơn vị tính", "Năm 2030") for p in rows)
    assert rows[1].headings[-1] == "I Y TẾ"  # the group row is the heading of the rows under it
    assert len({p.section for p in rows}) == 4


def test_body_lines_that_look_like_closing_lines_do_not_end_the_body():
    text = ("ỦY BAN NHÂN DÂN\nTỈNH LÀO CAI\n\nSố: 12/KH-UBND\n\nLào Cai, ngày 05 tháng 3 năm 2024\n\nKẾ HOẠCH\n"
            "Hỗ trợ người dân\n\nI. NHIỆM VỤ\n1. Tiếp nhận hồ sơ.\nNơi nhận hồ sơ: Trung tâm Phục vụ hành chính công.\n"
            "Hằng năm, ngày 26/6 tổ chức mít tinh hưởng ứng.\n2. Báo cáo kết quả.\n\nNơi nhận:\n- Như trên;\n- Lưu: VT.\n\n"
            "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nHoàng Quốc Khánh\n")
    paras = parse(text)
    assert find(paras, "Nơi nhận hồ sơ").kind == "body"
    assert find(paras, "Hằng năm, ngày 26/6").kind == "body"
    assert find(paras, "Báo cáo kết quả").kind == "item"
    meta = extract(paras, text)
    assert (meta.province, meta.number, meta.date, meta.signer) == ("Lào Cai", "12/KH-UBND", "2024-03-05",
                                                                    "Hoàng Quốc Khánh")


@pytest.mark.parametrize("number_line, date_line, expected", [
    ("Số: 12/KH-UBND", "Lào Cai, ngày 05 tháng 3 năm 2024", ("12/KH-UBND", "2024-03-05")),
    ("Số 12/KH-UBND", "Lào Cai, ngày 05/3/2024", ("12/KH-UBND", "2024-03-05")),
    ("Số: 12/2024/KH-UBND", "Lào Cai, ngày 05\ntháng 3 năm 2024", ("12/2024/KH-UBND", "2024-03-05")),
    ("0130/KH-UBND", "Lào Cai, ngày 20 tháng 11 năm 2025", ("0130/KH-UBND", "2025-11-20")),
    ("Số: 2954/QĐ-UBND", "Lào Cai, ngày 20 tháng 11 năm 2025", ("2954/QĐ-UBND", "2025-11-20")),
])
def test_number_and_date_forms(number_line, date_line, expected):
    text = (f"ỦY BAN NHÂN DÂN\nTỈNH LÀO CAI\n\n{number_line}\n\n{date_line}\n\nKẾ HOẠCH\nVề việc thử\n\n"
            "I. NHIỆM VỤ\nNội dung.\n")
    meta = extract(parse(text), text)
    assert (meta.number, meta.date) == expected


@pytest.mark.parametrize("name", ["Hoàng Quốc Khánh", "Y Ngông Niê Kdăm", "Mai Sơn", "NGUYỄN VĂN ĐỆ", "Ksor Phước Hà"])
def test_signer_is_found_by_shape_not_by_a_list_of_surnames(name):
    text = ("ỦY BAN NHÂN DÂN\nTỈNH GIA LAI\n\nSố: 7/KH-UBND\n\nGia Lai, ngày 1 tháng 2 năm 2025\n\nKẾ HOẠCH\nThử\n\n"
            f"I. NHIỆM VỤ\nNội dung.\n\nNơi nhận:\n- Lưu: VT.\n\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n{name}\n")
    assert extract(parse(text), text).signer == (name.title() if name.isupper() else name)


def test_a_decision_that_promulgates_a_plan_is_the_plan_with_the_decisions_number_and_date():
    text = ("ỦY BAN NHÂN DÂN\nTỈNH SƠN LA\n\nSố: 2954/QĐ-UBND\n\nSơn La, ngày 20 tháng 11 năm 2025\n\nQUYẾT ĐỊNH\n"
            "Về việc ban hành Kế hoạch xuất khẩu\n\nĐiều 1. Ban hành kèm theo Quyết định này Kế hoạch xuất khẩu sản phẩm "
            "hàng hóa của tỉnh giai đoạn 2026 - 2030.\nĐiều 2. Quyết định này có hiệu lực kể từ ngày ký.\n\n"
            "Nơi nhận:\n- Như Điều 2;\n- Lưu: VT.\n\nTM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nNguyễn Thành Công\n\n"
            "KẾ HOẠCH\nXUẤT KHẨU SẢN PHẨM HÀNG HÓA GIAI ĐOẠN 2026 - 2030\n\nI. MỤC TIÊU\n1. Giá trị xuất khẩu đạt 400 triệu USD.\n")
    paras = parse(text)
    meta = extract(paras, text)
    assert (meta.type, meta.number, meta.date, meta.signer) == ("Kế hoạch", "2954/QĐ-UBND", "2025-11-20",
                                                                "Nguyễn Thành Công")
    assert meta.title == "XUẤT KHẨU SẢN PHẨM HÀNG HÓA GIAI ĐOẠN 2026 - 2030"
    assert find(paras, "Điều 1. Ban hành kèm theo").section == "Đ1"
    assert find(paras, "Giá trị xuất khẩu").section == "I.1"  # the plan's own labels start afresh


def test_website_chrome_around_a_document_is_not_content():
    text = ("**Số hiệu:**\n|\n980/KH-UBND\n|\n|\n**Người ký:**\n|\nNguyễn Văn Đệ\n|\n"
            "|\n**ỦY BAN NHÂN DÂN**\nTỈNH NGHỆ AN\n|\n**CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM**\n|\n|\nSố: 980/KH-UBND\n|\n"
            "*Nghệ An, ngày 18\ntháng 11 năm 2025*\n|\n**KẾ HOẠCH**\nPHÒNG THỦ DÂN SỰ\n**I. MỤC ĐÍCH**\nNội dung.\n"
            "|\nNơi nhận:\n- Lưu: VT.\n|\n**KT. CHỦ TỊCH**\nPHÓ CHỦ TỊCH\n**Nguyễn Văn Đệ**\n|\n"
            "Bản dịch này thuộc quyền sở hữu của **THƯ VIỆN PHÁP LUẬT**.\n**CÁC NỘI DUNG ĐƯỢC SỬA ĐỔI, HƯỚNG DẪN**\n"
            "- Bạn vừa bị Đăng xuất khỏi Tài khoản.\n")
    paras = parse(text)
    assert [" ".join(p.plain.split()) for p in paras if p.kind in CONTENT_KINDS] == [
        "KẾ HOẠCH", "PHÒNG THỦ DÂN SỰ", "I. MỤC ĐÍCH", "Nội dung."]
    meta = extract(paras, text)
    assert (meta.province, meta.number, meta.date, meta.signer) == ("Nghệ An", "980/KH-UBND", "2025-11-18",
                                                                    "Nguyễn Văn Đệ")


def test_a_header_on_two_rows_names_each_column_by_both_rows():
    table = _cells(("**TT**", "**Sản phẩm**", "**Năm 2026**", "**Năm 2030**"),
                   ("Lượng (tấn)", "Giá trị (triệu đồng)", "Lượng (tấn)", "Giá trị (triệu đồng)"),
                   ("1", "Cà phê", "1.000", "20.000", "1.500", "32.000"),
                   ("**Tổng**", "", "1.000", "20.000", "1.500", "32.000"))
    rows = [p for p in parse("PHỤ LỤC\nSẢN LƯỢNG\n\n" + table + "\n") if p.kind == "table_row"]
    assert rows[0].table_header == ("TT", "Sản phẩm", "Năm 2026 — Lượng (tấn)", "Năm 2026 — Giá trị (triệu đồng)",
                                    "Năm 2030 — Lượng (tấn)", "Năm 2030 — Giá trị (triệu đồng)")
    assert [" ".join(p.plain.replace("|", " ").split()) for p in rows] == [
        "1 Cà phê 1.000 20.000 1.500 32.000", "Tổng 1.000 20.000 1.500 32.000"]


def test_a_table_row_is_searched_with_its_column_names():
    from khsearch.index import passage
    table = _cells(("**TT**", "**Sản phẩm**", "**Giá trị xuất khẩu (nghìn USD)**"), ("1", "Xoài", "7.000"),
                   ("**Tổng**", "", "7.000"))
    total = [p for p in parse("PHỤ LỤC\nXUẤT KHẨU\n\n" + table + "\n") if p.kind == "table_row"][-1]
    assert "Giá trị xuất khẩu (nghìn USD)" in passage(total) and "**" not in passage(total)


def test_a_markdown_page_ends_its_paragraphs_only_at_blank_lines():
    """A web page's Markdown cuts each paragraph's first line short and wraps the rest: a first line ending in ':'
    and a wrapped line starting '(1)' or '- 2030' go on; a blank line or a bold heading line ends a paragraph."""
    text = ("**KẾ HOẠCH**\n\n**I. MỤC TIÊU**\n\n**1. Mục tiêu cụ thể**\n\n**2. Chỉ tiêu**\n\n"
            "Mục tiêu cụ thể như sau:\n(1) Tăng cường công tác tuyên truyền giai đoạn 2026\n"
            "- 2030; (2) Nâng cao chất lượng dịch vụ.\n\n**3. Nhiệm vụ**\n\n"
            "Các hình thức khen thưởng bao gồm:\nBằng khen; Giấy khen.\n\n**4. Kinh phí**\n\nBảo đảm kinh phí.\n")
    assert content(text)[4:] == [
        ("I.2", "Mục tiêu cụ thể như sau:"),
        ("I.2.(1)", "(1) Tăng cường công tác tuyên truyền giai đoạn 2026 - 2030"),
        ("I.2.(2)", "(2) Nâng cao chất lượng dịch vụ."), ("I.3", "3. Nhiệm vụ"),
        ("I.3", "Các hình thức khen thưởng bao gồm: Bằng khen; Giấy khen."), ("I.4", "4. Kinh phí"),
        ("I.4", "Bảo đảm kinh phí.")]
    assert find(parse(text), "(1) Tăng").headings == ("I. MỤC TIÊU", "2. Chỉ tiêu", "Mục tiêu cụ thể như sau")


def test_a_pdf_table_gives_rows_of_cells(tmp_path):
    """pypdf joins a table's cells with spaces and breaks a row where a cell wraps; the reader puts each row on
    one line with its cells parted by ' | ', an empty cell where a row leaves one blank."""
    fpdf = pytest.importorskip("fpdf")
    from khsearch.read import read
    font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    if not os.path.exists(font):
        pytest.skip("no DejaVu font")
    pdf = fpdf.FPDF()
    pdf.add_font("DejaVu", fname=font)
    pdf.add_font("DejaVu", "B", fname=font)  # table headings are set in bold
    pdf.set_font("DejaVu", size=10)
    pdf.add_page()
    pdf.multi_cell(0, 6, "Các chỉ tiêu chủ yếu như sau.", new_x="LMARGIN", new_y="NEXT")
    with pdf.table(col_widths=(10, 70, 20, 18), line_height=5.5, text_align="LEFT") as table:
        for row in (("STT", "Chỉ tiêu", "Đơn vị", "Giai đoạn 2026 - 2030"), ("1", "Số xã đạt chuẩn", "xã", "95"),
                    ("2", "Tỷ lệ hộ dùng nước sạch", "%", "80"), ("", "Tổng cộng", "", "175")):
            cells = table.row()
            for value in row:
                cells.cell(value)
    pdf.output(str(tmp_path / "plan.pdf"))
    lines = read(tmp_path / "plan.pdf").text.splitlines()
    assert lines == ["Các chỉ tiêu chủ yếu như sau.", "STT | Chỉ tiêu | Đơn vị | Giai đoạn 2026 - 2030",
                     "1 | Số xã đạt chuẩn | xã | 95", "2 | Tỷ lệ hộ dùng nước sạch | % | 80", "Tổng cộng |  | 175"]
