"""Agencies and roles in any plan: names found by their shape, canonical names from the alias table, the 2025
reorganisation, every way plans assign work, and the answers built on them. Most sentences are invented."""
import pytest

from khsearch.agencies import agencies_in, canonical_agency, display_name
from khsearch.answer import _agency, _duties, ask
from khsearch.facts import assignments, document_assignments, paragraph_assignments, tasks_of
from khsearch.records import Document, Hit, Metadata, Paragraph
from khsearch.reorganisation import as_of, predecessors, successor, successors


def para(text, headings=(), kind="item", header=(), section="1", pid="d:p0001"):
    return Paragraph(pid, "d", section, tuple(headings), text, 0, len(text), kind, tuple(header))


def plan(rows, date="2025-11-20"):
    """A document from (section, kind, text) rows, headings worked out from the sections."""
    paras, by_section = [], {}
    for n, (section, kind, text) in enumerate(rows):
        parents = [by_section[s] for s in _ancestors(section) if s in by_section]
        p = Paragraph(f"d:p{n:04d}", "d", section, tuple(parents), text, n * 1000, n * 1000 + len(text), kind)
        paras.append(p)
        if kind in ("heading", "item"):
            by_section.setdefault(section, text)
    return Document("d", "/tmp/d.md", "0", Metadata(province="Lào Cai", date=date), tuple(paras))


def _ancestors(section):
    bits = section.split(".")
    return [".".join(bits[:i]) for i in range(1, len(bits))]


# --- recognition: the name as written (cleaned), or its canonical name ----------------------------

@pytest.mark.parametrize("text,names", [
    # invented agencies no table knows: answered as written
    ("Trung tâm Phát triển quỹ đất tỉnh thực hiện đo đạc, cắm mốc.", ["Trung tâm Phát triển quỹ đất tỉnh"]),
    ("Ban Quản lý Khu kinh tế Vân Phong phối hợp với Chi cục Thủy lợi.",
     ["Ban Quản lý Khu kinh tế Vân Phong", "Chi cục Thủy lợi"]),
    ("Giao Bệnh viện Đa khoa tỉnh chủ trì; Trường Cao đẳng Y tế phối hợp.",
     ["Bệnh viện Đa khoa tỉnh", "Trường Cao đẳng Y tế"]),
    ("Chi cục Hải quan khu vực V chủ trì kết nối dữ liệu.", ["Chi cục Hải quan khu vực V"]),
    ("Ngân hàng nhà nước khu vực XII hướng dẫn các tổ chức tín dụng.", ["Ngân hàng nhà nước khu vực XII"]),
    ("Kho bạc Nhà nước khu vực XIII kiểm soát chi.", ["Kho bạc Nhà nước khu vực XIII"]),
    ("Trung tâm Xúc tiến đầu tư, thương mại và du lịch chủ trì tổ chức hội chợ.",
     ["Trung tâm Xúc tiến đầu tư, thương mại và du lịch"]),
    ("Ban Quản lý các Khu chế xuất và công nghiệp Thành phố tập huấn cho người lao động.",
     ["Ban Quản lý các Khu chế xuất và công nghiệp Thành phố"]),
    ("Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh tư vấn, phản biện.", ["Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh"]),
    ("Ban Tuyên giáo và Dân vận Tỉnh ủy chỉ đạo Báo và Phát thanh, Truyền hình Gia Lai tuyên truyền.",
     ["Ban Tuyên giáo và Dân vận Tỉnh ủy", "Báo và Phát thanh, Truyền hình Gia Lai"]),
    ("Văn phòng UBND tỉnh, Hội Doanh nhân trẻ tỉnh và Công ty Điện lực Yên Bái phối hợp.",
     ["Văn phòng Ủy ban nhân dân tỉnh", "Hội Doanh nhân trẻ tỉnh", "Công ty Điện lực Yên Bái"]),
    # the alias table: abbreviations, spellings, the 2025 names, levels of a city
    ("Sở KH&CN chủ trì, Sở NN&MT và Sở VHTTDL phối hợp.",
     ["Sở Khoa học và Công nghệ", "Sở Nông nghiệp và Môi trường", "Sở Văn hóa, Thể thao và Du lịch"]),
    ("Sở Văn hoá, Thể thao và Du lịch; Sở Dân tộc và Tôn giáo", ["Sở Văn hóa, Thể thao và Du lịch",
                                                                 "Sở Dân tộc và Tôn giáo"]),
    ("Bộ CHQS tỉnh có trách nhiệm tham mưu Ủy ban nhân dân tỉnh.", ["Bộ Chỉ huy Quân sự tỉnh", "Ủy ban nhân dân tỉnh"]),
    ("Công an Thành phố và Thành đoàn tổ chức ra quân.", ["Công an tỉnh", "Tỉnh đoàn"]),
    ("UBND các xã, phường, đặc khu thực hiện.", ["Ủy ban nhân dân cấp xã"]),
    ("Thuế tỉnh, Bảo hiểm xã hội tỉnh và Thanh tra tỉnh kiểm tra.", ["Thuế tỉnh", "Bảo hiểm xã hội tỉnh",
                                                                     "Thanh tra tỉnh"]),
    ("Trung tâm Kiểm soát bệnh tật tỉnh giám sát dịch.", ["Trung tâm Kiểm soát bệnh tật tỉnh"]),
    # typos and lost letters of scraped text
    ("S Tài chính bố trí kinh phí.", ["Sở Tài chính"]),
    ("Sở Sây dựng phối họp với Công an Tỉnh.", ["Sở Xây dựng", "Công an tỉnh"]),
    ("Sở Sở Công thương chủ trì.", ["Sở Công Thương"]),
    ("Sở Khoa\nhọc và Công nghệ chủ trì", ["Sở Khoa học và Công nghệ"]),
    # words that look like heads and are not names
    ("Ban hành Quy chế phối hợp; Trường hợp cần thiết, Báo cáo kết quả; Hội nghị tổng kết.", []),
    ("BAN HÀNH KẾ HOẠCH PHÁT TRIỂN KINH TẾ SỐ", []),
    ("Bảo vệ chủ quyền quần đảo Trường Sa.", []),
    ("Sở Tài chính - Cơ quan thường trực Ban Chỉ đạo", ["Sở Tài chính", "Ban Chỉ đạo"]),
    ("Sở Y tế tăng cường kiểm tra các cơ sở khám bệnh", ["Sở Y tế"]),
])
def test_agencies_by_shape_and_alias(text, names):
    assert [a for a, _, _ in agencies_in(text)] == names


@pytest.mark.parametrize("typed,canonical", [
    ("Sở Nông nghiệp và Môi trường", "Sở Nông nghiệp và Môi trường"),  # not the former NN&PTNT
    ("Sở NN&PTNT", "Sở Nông nghiệp và Phát triển nông thôn"),
    ("Công an tỉnh Nghệ An", "Công an tỉnh"),
    ("Bộ CHQS Thành phố", "Bộ Chỉ huy Quân sự tỉnh"),
    ("ban chi huy bo doi bien phong tinh", "Bộ Chỉ huy Bộ đội Biên phòng tỉnh"),
    ("Sở Văn hoá Thể thao du lịch", "Sở Văn hóa, Thể thao và Du lịch"),
    ("Trung tâm Phát triển quỹ đất tỉnh", None),
    # a province after the name says whose agency it is: the agency is the one of the tables
    ("Tỉnh đoàn Bắc Ninh", "Tỉnh đoàn"),
    ("Sở Ngoại vụ Đồng Tháp", "Sở Ngoại vụ"),
    ("Sở GD&ĐT TP.HCM", "Sở Giáo dục và Đào tạo"),
    ("so tai chinh can tho", "Sở Tài chính"),
    ("Trường Đại học Cần Thơ", None),  # no table knows 'Trường Đại học': the place is part of the name
])
def test_canonical_names(typed, canonical):
    assert canonical_agency(typed) == canonical


def test_a_question_may_name_an_agency_in_lower_case_and_a_city_keeps_its_level():
    assert [a for a, _, _ in agencies_in("nhiem vu cua so tai chinh o ca mau", question=True)] == ["Sở Tài chính"]
    assert [a for a, _, _ in agencies_in("Nhiệm vụ của Sở Kế hoạch và Đầu tư ở Quảng Ngãi là gì?", question=True)] \
        == ["Sở Kế hoạch và Đầu tư"]
    assert display_name("Công an tỉnh", "Công an Thành phố") == "Công an Thành phố"
    assert display_name("Tỉnh đoàn", "Thành đoàn") == "Thành đoàn"
    assert display_name("Sở Y tế", "ngành Y tế") == "Sở Y tế"


# --- the 2025 reorganisation, both ways -----------------------------------------------------------

@pytest.mark.parametrize("former,date,now", [
    ("Sở Kế hoạch và Đầu tư", "2025-11-20", "Sở Tài chính"),
    ("Sở KH&ĐT", "2025-03-01", "Sở Tài chính"),
    ("Sở Kế hoạch và Đầu tư", "2025-02-28", None),  # still there before the change
    ("Sở Giao thông vận tải", "2025-06-01", "Sở Xây dựng"),
    ("Sở Thông tin và Truyền thông", "2025-06-01", "Sở Khoa học và Công nghệ"),
    ("Sở TN&MT", "2025-06-01", "Sở Nông nghiệp và Môi trường"),
    ("Sở Nông nghiệp và Phát triển nông thôn", "2025-06-01", "Sở Nông nghiệp và Môi trường"),
    ("Sở LĐTB&XH", "2025-06-01", "Sở Nội vụ"),
    ("UBND cấp huyện", "2025-07-01", "Ủy ban nhân dân cấp xã"),
    ("UBND cấp huyện", "2025-06-30", None),
    ("Sở Y tế", "2025-11-20", None),
])
def test_successor_of_a_former_body(former, date, now):
    assert successor(former, date) == now


def test_a_split_body_goes_where_the_duty_went_and_a_new_body_reads_its_former_names():
    assert as_of("Sở Lao động - Thương binh và Xã hội", "2025-11-20", "cai nghiện ma túy")[0] == ["Công an tỉnh"]
    assert as_of("Sở LĐTB&XH", "2025-11-20", "bảo trợ xã hội, trẻ em")[0] == ["Sở Y tế"]
    assert as_of("Sở LĐTB&XH", "2025-11-20", "có trách nhiệm gì")[0] == ["Sở Nội vụ"]
    assert as_of("Sở LĐTB&XH", "2025-11-20", "làm gì trong chi trả trợ cấp xã hội qua tài khoản")[0] == ["Sở Y tế"]
    names, moved = as_of("Sở Nông nghiệp và Môi trường", "2017-10-25")
    assert names[0] == "Sở Nông nghiệp và Môi trường" and {"Sở Tài nguyên và Môi trường",
                                                           "Sở Nông nghiệp và Phát triển nông thôn"} <= set(names)
    assert as_of("Sở Tài chính", "2017-10-25")[0] == ["Sở Tài chính", "Sở Kế hoạch và Đầu tư"]
    assert as_of("Sở Y tế", "2017-10-25", "Sở Y tế có trách nhiệm gì")[0] == ["Sở Y tế"]  # 'tế' is not 'tệ'
    assert {t.former for t in predecessors("Sở Xây dựng")} == {"Sở Giao thông vận tải"}
    t = successors("Sở Kế hoạch và Đầu tư", "2025-11-20")[0]
    assert "45/2025/NĐ-CP" in t.act and t.sentence().startswith("Sở Kế hoạch và Đầu tư nay là Sở Tài chính (")


# --- roles: every way a plan assigns work, one paragraph at a time ---------------------------------

@pytest.mark.parametrize("text,headings,expected", [
    # the sentence subject, with the verbs and leads plans use
    ("Sở Y tế là cơ quan chủ trì, phối hợp với Công an tỉnh và UBND các xã, phường, đặc khu triển khai.", (),
     [("Sở Y tế", "chủ trì"), ("Công an tỉnh", "phối hợp"), ("Ủy ban nhân dân cấp xã", "phối hợp")]),
    ("UBND tỉnh giao Sở Xây dựng chủ trì, phối hợp Sở Tài chính lập dự án; Sở Nội vụ bố trí biên chế.", (),
     [("Sở Xây dựng", "chủ trì"), ("Sở Tài chính", "phối hợp"), ("Sở Nội vụ", "thực hiện")]),
    ("Giao Sở Nông nghiệp và Môi trường là cơ quan đầu mối, hướng dẫn thực hiện Đề án.", (),
     [("Sở Nông nghiệp và Môi trường", "chủ trì")]),
    ("- Đề nghị Tỉnh đoàn, Hội Liên hiệp Phụ nữ tỉnh vận động đoàn viên, hội viên tham gia.", (),
     [("Tỉnh đoàn", "đề nghị"), ("Hội Liên hiệp Phụ nữ tỉnh", "đề nghị")]),
    ("3. Bộ Tư lệnh Thành phố chủ trì, phối hợp với Sở Y tế đưa nội dung vào kế hoạch bồi dưỡng.", (),
     [("Bộ Tư lệnh Thành phố", "chủ trì"), ("Sở Y tế", "phối hợp")]),
    ("Bộ CHQS tỉnh có trách nhiệm tham mưu Ủy ban nhân dân tỉnh theo dõi, hướng dẫn.", (),
     [("Bộ Chỉ huy Quân sự tỉnh", "tham mưu")]),
    ("6. Sở Nội vụ: Chủ trì tham mưu tổ chức hội nghị tổng kết phong trào.", (), [("Sở Nội vụ", "chủ trì")]),
    ("Sở Tài chính - Cơ quan thường trực Ban Chỉ đạo kiểm kê", (), [("Sở Tài chính", "chủ trì")]),
    # a closing parenthesis, partners with or without 'với'
    ("Tổ chức hội chợ nông sản (Trung tâm Xúc tiến đầu tư, thương mại và du lịch chủ trì, Sở Công Thương phối hợp).",
     (), [("Trung tâm Xúc tiến đầu tư, thương mại và du lịch", "chủ trì"), ("Sở Công Thương", "phối hợp")]),
    ("Biên tập tài liệu (Công an tỉnh chủ trì phối hợp Sở Tư pháp thực hiện).", (),
     [("Công an tỉnh", "chủ trì"), ("Sở Tư pháp", "phối hợp")]),
    # a label at the start of the line
    ("- Cơ quan thực hiện: Sở Khoa học và Công nghệ; Sở Tư pháp; Báo và Phát thanh, Truyền hình tỉnh.", (),
     [("Sở Khoa học và Công nghệ", "thực hiện"), ("Sở Tư pháp", "thực hiện"),
      ("Báo và Phát thanh, Truyền hình tỉnh", "thực hiện")]),
    ("Đơn vị chủ trì thực hiện: Các Sở, ngành, đơn vị, UBND cấp xã.", (),
     [("Các sở, ban, ngành", "chủ trì"), ("Ủy ban nhân dân cấp xã", "chủ trì")]),
    ("- Cơ quan phối hợp: Bảo hiểm xã hội Thành phố, Chi nhánh Ngân hàng Chính sách xã hội Thành phố.", (),
     [("Bảo hiểm xã hội tỉnh", "phối hợp"), ("Chi nhánh Ngân hàng Chính sách xã hội Thành phố", "phối hợp")]),
    # an agency heading above the task
    ("- Chủ trì, phối hợp Sở Tài chính đề xuất vốn đối ứng.", ("IV. TỔ CHỨC THỰC HIỆN", "10. Sở Xây dựng"),
     [("Sở Xây dựng", "chủ trì"), ("Sở Tài chính", "phối hợp")]),
    ("- Hướng dẫn cơ sở nuôi biển đăng ký nhãn hiệu.", ("IV. TỔ CHỨC THỰC HIỆN", "7. Sở Khoa học và Công nghệ"),
     [("Sở Khoa học và Công nghệ", "thực hiện")]),
    ("- Yêu cầu các cơ quan báo chí dành thời lượng tuyên truyền.", ("4. Sở Văn hóa, Thể thao và Du lịch",),
     [("Sở Văn hóa, Thể thao và Du lịch", "thực hiện"), ("Các cơ quan báo chí, truyền thông", "đề nghị")]),
    ("- Tổ chức tập huấn cho cán bộ.", ("5. Sở Y tế chủ trì, phối hợp với các đơn vị triển khai các nội dung như:",),
     [("Sở Y tế", "chủ trì")]),
    # named, not assigned
    ("- Báo cáo kết quả về Sở Tài chính trước ngày 15/12 hằng năm.", (), []),
    ("a) Tổ chức tập huấn.", ("1. Nâng cao hiệu quả tuyên truyền phòng, chống ma túy",), []),
    ("Kiện toàn Ban Chỉ đạo gồm: Trưởng ban là Phó Chủ tịch UBND tỉnh; thành viên là Sở Tư pháp, Sở Nội vụ.", (), []),
    ("- Sở Nội vụ hướng dẫn khen thưởng.", ("2. Đối với các tập thể: Sở Nội vụ xét khen thưởng, trong đó gồm các "
                                         "nội dung sau đây được nêu rất dài",), [("Sở Nội vụ", "thực hiện")]),
])
def test_roles_in_a_paragraph(text, headings, expected):
    assert [(a.agency, a.role) for a in assignments(para(text, headings))] == expected


@pytest.mark.parametrize("header,row,expected,task", [
    (("TT", "Nội dung thực hiện", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành"),
     "1 | Tổ chức lại Ban Chỉ huy Phòng thủ dân sự | Bộ CHQS tỉnh | Cơ quan, địa phương liên quan | Năm 2025",
     [("Bộ Chỉ huy Quân sự tỉnh", "chủ trì"), ("Các cơ quan, đơn vị liên quan", "phối hợp")],
     "Tổ chức lại Ban Chỉ huy Phòng thủ dân sự"),
    (("STT", "NHIỆM VỤ VÀ GIẢI PHÁP", "CHỦ TRÌ", "PHỐI HỢP", "THỜI GIAN"),
     "2\t Đề xuất giải pháp cải thiện môi trường đầu tư\tSở Tài chính\tSở Công Thương; Ban Quản lý khu kinh tế\t2026",
     [("Sở Tài chính", "chủ trì"), ("Sở Công Thương", "phối hợp"), ("Ban Quản lý khu kinh tế", "phối hợp")],
     "Đề xuất giải pháp cải thiện môi trường đầu tư"),
    (("STT", "Nhiệm vụ", "Đơn vị thực hiện", "Đơn vị phối hợp", "Thời gian thực hiện", "Sản phẩm"),
     "5.7 | Phòng, chống tội phạm công nghệ cao | Công an tỉnh | Các sở, ban, ngành; UBND các phường xã | 2026 | Giải pháp",
     [("Công an tỉnh", "thực hiện"), ("Các sở, ban, ngành", "phối hợp"), ("Ủy ban nhân dân cấp xã", "phối hợp")],
     "Phòng, chống tội phạm công nghệ cao"),
    (("TT", "Chỉ tiêu", "Chủ trì"),
     "2 | Công bố dữ liệu mở | Sở KH&CN chủ trì hướng dẫn, tổng hợp; Các sở, ngành, UBND cấp xã thực hiện công bố.",
     [("Sở Khoa học và Công nghệ", "chủ trì"), ("Các sở, ban, ngành", "thực hiện"), ("Ủy ban nhân dân cấp xã", "thực hiện")],
     "Công bố dữ liệu mở"),
    # a group row taken for the header: the cells that are only agencies still say who does the row
    (("TT", "Chỉ tiêu", "I. Kinh tế số"), "1 | Kinh tế số chiếm 45% GRDP tỉnh. | Sở Tài chính",
     [("Sở Tài chính", "thực hiện")], "Kinh tế số chiếm 45% GRDP tỉnh."),
    # a table without role columns assigns nothing
    (("STT", "Đơn vị", "Số vụ"), "1 | Công an tỉnh | 12", [], None),
])
def test_roles_in_table_columns(header, row, expected, task):
    found = assignments(para(row, kind="table_row", header=header))
    assert [(a.agency, a.role) for a in found] == expected
    assert all(a.task == task and a.source == "table" for a in found)


# --- roles a task gets from the lines around it ------------------------------------------------------

LINES_AFTER = plan([
    ("II", "heading", "II. NỘI DUNG"),
    ("II.1", "item", "1. Tổ chức tập huấn về Luật cho cán bộ, công chức."),
    ("II.1.-1", "item", "- Cơ quan chủ trì: Sở KH&CN."),
    ("II.1.-2", "item", "- Cơ quan phối hợp: Các sở, ngành; UBND các xã, phường."),
    ("II.1.-3", "item", "- Thời gian thực hiện: Quý IV năm 2025."),
    ("II.2", "heading", "2. Về an toàn thông tin"),
    ("II.2.a", "item", "a) Nhiệm vụ:"),
    ("II.2.a.-1", "item", "- Triển khai phương án bảo đảm an toàn thông tin cho cơ sở dữ liệu chuyên ngành."),
    ("II.2.a.-2", "item", "- Hướng dẫn các xã, phường số hóa dữ liệu dân cư."),
    ("II.2.b", "item", "b) Cơ quan thực hiện:"),
    ("II.2.b.-1", "item", "- Đơn vị chủ trì: Công an Thành phố."),
    ("II.2.b.-2", "item", "- Đơn vị phối hợp: Các Sở, ban, ngành."),
    ("II.2.c", "item", "c) Thời gian thực hiện: Thường xuyên."),
    ("II.3", "heading", "3. Kiểm kê tài sản"),
    ("II.3", "body", "Sở Tài chính - Cơ quan thường trực Ban Chỉ đạo"),
    ("II.3", "body", "Tham mưu phân công nhiệm vụ cho các thành viên Ban Chỉ đạo."),
    ("II.3", "body", "Thời gian hoàn thành: Tháng 12/2025."),
    ("II.3.-1", "item", "- Phối hợp với các cơ quan chuyên môn hướng dẫn biểu mẫu kiểm kê."),
    ("II.3.-2", "item", "- Tổng hợp kết quả kiểm kê gửi Bộ Tài chính."),
    ("II.4", "heading", "4. Trung tâm Phát triển quỹ đất tỉnh"),
    ("II.4.-1", "item", "- Đo đạc, cắm mốc các khu đất được giao."),
])


@pytest.mark.parametrize("text,expected", [
    ("1. Tổ chức tập huấn", [("Sở Khoa học và Công nghệ", "chủ trì", "II.1.-1"),
                             ("Các sở, ban, ngành", "phối hợp", "II.1.-2"),
                             ("Ủy ban nhân dân cấp xã", "phối hợp", "II.1.-2")]),
    ("- Triển khai phương án", [("Công an tỉnh", "chủ trì", "II.2.b.-1"), ("Các sở, ban, ngành", "phối hợp", "II.2.b.-2")]),
    ("- Hướng dẫn các xã", [("Công an tỉnh", "chủ trì", "II.2.b.-1"), ("Các sở, ban, ngành", "phối hợp", "II.2.b.-2")]),
    ("Tham mưu phân công", [("Sở Tài chính", "tham mưu", "II.3")]),
    ("- Phối hợp với các cơ quan", [("Sở Tài chính", "phối hợp", "II.3")]),
    ("- Tổng hợp kết quả", [("Sở Tài chính", "chủ trì", "II.3")]),
    ("- Đo đạc, cắm mốc", [("Trung tâm Phát triển quỹ đất tỉnh", "thực hiện", "II.4")]),
    ("c) Thời gian thực hiện", []),
])
def test_a_task_takes_its_agencies_from_the_lines_after_it_or_an_agency_line_above(text, expected):
    p = next(q for q in LINES_AFTER.paragraphs if q.text.startswith(text))
    got = paragraph_assignments(LINES_AFTER, p)
    assert [(a.agency, a.role, q.section) for a, q in got] == expected
    assert all(a.paragraph_id == p.id for a, _ in got)


def test_the_tasks_of_one_agency_in_a_plan():
    tasks = [a.task for a, _ in tasks_of(LINES_AFTER, ["Sở Tài chính"])]
    assert tasks == ["Tham mưu phân công nhiệm vụ cho các thành viên Ban Chỉ đạo.",
                     "- Phối hợp với các cơ quan chuyên môn hướng dẫn biểu mẫu kiểm kê.",
                     "- Tổng hợp kết quả kiểm kê gửi Bộ Tài chính."]
    assert {a.agency for a in document_assignments(LINES_AFTER)} >= {"Sở Khoa học và Công nghệ", "Công an tỉnh",
                                                                     "Sở Tài chính", "Trung tâm Phát triển quỹ đất tỉnh"}


# --- answers ------------------------------------------------------------------------------------------

def _hits(doc, *starts):
    return [Hit(next(p for p in doc.paragraphs if p.text.startswith(s)), doc, 1.0 - n / 100)
            for n, s in enumerate(starts)]


def test_who_leads_names_the_lead_first_cites_the_task_then_the_line_that_names_it():
    hits = _hits(LINES_AFTER, "- Triển khai phương án", "- Hướng dẫn các xã")
    a = _agency("Đơn vị nào chủ trì triển khai phương án bảo đảm an toàn thông tin?", hits, 5, None)
    assert a.answer == "Công an Thành phố (chủ trì); Các sở, ban, ngành (phối hợp)."
    assert a.citations[0].text.startswith("- Triển khai phương án") and a.citations[0].highlight is None
    second = a.citations[1]
    assert second.text == "- Đơn vị chủ trì: Công an Thành phố."
    assert second.text[second.highlight[0]:second.highlight[1]] == "Công an Thành phố"


def test_the_lead_is_highlighted_where_the_task_names_it():
    doc = plan([("1", "item", "1. Sở Y tế chủ trì, phối hợp với Công an tỉnh mở rộng điều trị Methadone.")])
    hits = _hits(doc, "1. Sở Y tế")
    a = _agency("Cơ quan nào chủ trì mở rộng điều trị Methadone?", hits, 5, None)
    assert a.answer == "Sở Y tế (chủ trì); Công an tỉnh (phối hợp)."
    c = a.citations[0]
    assert c.text[c.highlight[0]:c.highlight[1]] == "Sở Y tế"


def test_who_leads_reads_a_lower_hit_that_says_the_role_asked_when_the_close_ones_name_no_agency():
    doc = plan([("II", "heading", "II. NHIỆM VỤ"),
                ("II.4", "item", "4. Số hóa tài liệu mật phải bảo đảm an toàn theo quy định."),
                ("III", "heading", "III. TỔ CHỨC THỰC HIỆN"),
                ("III.3", "heading", "3. Sở Khoa học và Công nghệ"),
                ("III.3.-1", "item", "- Chủ trì, phối hợp với các cơ quan liên quan đẩy mạnh số hóa tài liệu mật.")])
    top, low = _hits(doc, "4. Số hóa", "- Chủ trì")
    hits = [top, Hit(low.paragraph, doc, 0.6)]  # far below the first: not close
    a = _agency("Cơ quan nào chủ trì số hóa tài liệu mật?", hits, 5, None)
    assert a.answer.startswith("Sở Khoa học và Công nghệ (chủ trì)") and a.citations[0].section == "III.3.-1"
    # 'thực hiện' in a question is a plain verb: it does not reach down for a paragraph that says it
    assert _agency("Cơ quan nào kiểm tra việc thực hiện số hóa tài liệu mật?",
                   [top, Hit(plan([("1", "item", "1. Sở Y tế thực hiện số hóa tài liệu mật.")]).paragraphs[0],
                             doc, 0.6)], 5, None) is None


def test_duties_of_an_agency_each_cited_and_a_dissolved_body_answered_with_its_successor():
    hits = _hits(LINES_AFTER, "1. Tổ chức tập huấn")
    a = _duties("Nhiệm vụ của Sở Tài chính là gì?", hits, 5, None)
    assert a.found and a.answer.count("[") == 2 and len(a.citations) == 2  # its own tasks, not the partner's
    assert all("Sở Tài chính" in c.heading or c.section == "II.3" or c.section.startswith("II.3.") for c in a.citations)
    a = _duties("Sở Kế hoạch và Đầu tư có nhiệm vụ gì?", hits, 5, None)
    assert a.answer.startswith("Sở Kế hoạch và Đầu tư nay là Sở Tài chính (Nghị định 45/2025/NĐ-CP")
    old = plan([("1", "item", "1. Sở Kế hoạch và Đầu tư chủ trì thẩm định dự án.")], date="2017-10-25")
    a = _duties("Sở Tài chính có nhiệm vụ gì?", _hits(old, "1. Sở Kế hoạch"), 5, None)
    assert a.found and "Sở Kế hoạch và Đầu tư nay là Sở Tài chính" in a.answer and "thẩm định dự án" in a.answer
    assert _duties("Cơ quan nào chủ trì thẩm định dự án?", _hits(old, "1. Sở Kế hoạch"), 5, None) is None


HEADINGS = plan([
    ("IV", "heading", "IV. KHEN THƯỞNG CUỐI NĂM"),
    ("IV.-1", "item", "- Công an tỉnh; Sở Xây dựng; Sở Y tế mỗi đơn vị đề nghị không quá 01 tập thể, 03 cá nhân."),
    ("V", "heading", "V. TỔ CHỨC THỰC HIỆN"),
    ("V.1", "item", "1. Sở Xây dựng: Chủ trì, phối hợp triển khai các nhiệm vụ số hóa hạ tầng giao thông."),
    ("V.2", "item", "2. Công an tỉnh: Chủ trì, phối hợp triển khai hạ tầng định danh, xác thực điện tử."),
    ("V.3", "item", "3. Sở Y tế:"),
    ("V.3.-1", "item", "- Phối hợp với Công an tỉnh cập nhật dữ liệu khám chữa bệnh."),
    ("V.3.-2", "item", "- Chủ trì xây dựng hồ sơ sức khỏe điện tử cho người dân."),
])


def test_an_agency_line_with_its_own_task_after_the_colon_is_a_task():
    p = next(q for q in HEADINGS.paragraphs if q.section == "V.2")
    assert [(a.agency, a.role) for a, _ in paragraph_assignments(HEADINGS, p)] == [("Công an tỉnh", "chủ trì")]
    assert [a.task[:8] for a, _ in tasks_of(HEADINGS, ["Công an tỉnh"])] == ["- Công a", "2. Công ", "- Phối h"]
    below = next(q for q in HEADINGS.paragraphs if q.section == "V.3.-2")  # '3. Sở Y tế:' heads the tasks below
    assert [(a.agency, a.role) for a, _ in paragraph_assignments(HEADINGS, below)] == [("Sở Y tế", "chủ trì")]


@pytest.mark.parametrize("question,first,found", [
    # its own task before a line that gives the same to several agencies at once
    ("Công an tỉnh Lào Cai được giao nhiệm vụ gì?", "V.2", True),
    # the role the question names first
    ("Sở Y tế chủ trì những nhiệm vụ gì?", "V.3.-2", True),
    # the section the question names first
    ("Sở Xây dựng được giao nhiệm vụ gì trong khen thưởng cuối năm?", "IV.-1", True),
    # an agency the plan gives nothing: said so, not a paragraph about others
    ("Sở Ngoại vụ được giao nhiệm vụ gì?", None, False),
])
def test_duties_the_own_tasks_first_the_asked_role_first_and_none_when_none(question, first, found):
    hits = _hits(HEADINGS, "2. Công an tỉnh", "- Công an tỉnh; Sở Xây dựng")
    a = _duties(question, hits, 5, None)
    assert a.found is found
    assert (a.citations[0].section if found else None) == first


def test_ask_duties_and_who_leads_on_an_index(tmp_path):
    from khsearch.index import build, open_index
    src = tmp_path / "plans"
    src.mkdir()
    (src / "lao-cai-9-2025.txt").write_text(
        "ỦY BAN NHÂN DÂN\nTỈNH LÀO CAI\n\nSố: 9/KH-UBND\n\nLào Cai, ngày 20 tháng 11 năm 2025\n\n"
        "KẾ HOẠCH\nPhát triển dữ liệu số năm 2026\n\nI. NHIỆM VỤ\n"
        "1. Xây dựng kho dữ liệu dùng chung của tỉnh (Sở Khoa học và Công nghệ chủ trì, Sở Tài chính phối hợp).\n"
        "2. Sở Tài chính chủ trì bố trí kinh phí thực hiện Kế hoạch.\n"
        "3. Sở Tài chính hướng dẫn thanh quyết toán kinh phí.\n", encoding="utf-8")
    build([src], tmp_path / "index", embedder="hash")
    index = open_index(tmp_path / "index")
    a = ask(index, "Cơ quan nào chủ trì xây dựng kho dữ liệu dùng chung?")
    assert a.found and a.answer.startswith("Sở Khoa học và Công nghệ (chủ trì)")
    a = ask(index, "Nhiệm vụ của Sở Kế hoạch và Đầu tư là gì?")
    assert a.found and a.answer.startswith("Sở Kế hoạch và Đầu tư nay là Sở Tài chính")
    assert "bố trí kinh phí" in a.answer and len(a.citations) >= 2


def test_the_closing_paragraph_belongs_to_no_section_and_no_agency():
    from khsearch.parse import parse_paragraphs
    text = ("KẾ HOẠCH\nPhát triển dữ liệu số\n\nIV. TỔ CHỨC THỰC HIỆN\n\n1. Sở Tài chính\n\n"
            "- Bố trí kinh phí thực hiện Kế hoạch.\n\n2. Ủy ban nhân dân cấp xã\n\n"
            "- Số hóa hồ sơ đất đai trên địa bàn.\n\n"
            "Trên đây là Kế hoạch phát triển dữ liệu số của tỉnh; đề nghị các sở, ngành triển khai thực hiện.\n")
    paras = parse_paragraphs(text, "d")
    closing = next(p for p in paras if p.plain.startswith("Trên đây"))
    assert closing.section == "" and closing.headings == ()
    doc = Document("d", "/tmp/d.txt", "0", Metadata(province="Lào Cai"), tuple(paras))
    assert "Ủy ban nhân dân cấp xã" not in {a.agency for a, _ in paragraph_assignments(doc, closing)}


def test_a_paragraph_of_partners_does_not_answer_who_leads():
    doc = plan([("IV", "heading", "IV. TỔ CHỨC THỰC HIỆN"),
                ("IV.1", "item", "1. Các chủ đầu tư hạ tầng phối hợp với Sở Xây dựng, Công an tỉnh lắp đặt trạm 5G."),
                ("IV.2", "item", "2. Sở Khoa học và Công nghệ chủ trì hướng dẫn lắp đặt trạm 5G.")])
    partners, lead = _hits(doc, "1. Các chủ đầu tư", "2. Sở Khoa học")
    a = _agency("Cơ quan nào chủ trì lắp đặt trạm 5G?", [partners, lead], 5, None)
    assert a.answer.startswith("Sở Khoa học và Công nghệ (chủ trì)")
    a = _agency("Cơ quan nào chủ trì lắp đặt trạm 5G?", [partners], 5, None)
    assert a.answer.startswith("Đoạn trích dẫn không nêu cơ quan chủ trì") and "Sở Xây dựng" in a.answer
    a = _agency("Cơ quan nào phối hợp lắp đặt trạm 5G?", [partners], 5, None)
    assert a.answer.startswith("Sở Xây dựng, Công an tỉnh (phối hợp)")


@pytest.mark.parametrize("line,role,agency_at", [
    ("- Đơn vị chủ trì tham mưu thực hiện: Sở Tư pháp.", "chủ trì", "Sở Tư pháp."),
    ("Cơ quan phối hợp thực hiện nhiệm vụ này: Công an tỉnh", "phối hợp", "Công an tỉnh"),
    ("Đơn vị chủ trì thực hiện: Sở Y tế", "chủ trì", "Sở Y tế"),
    ("Chủ trì triển khai các nhiệm vụ: Xây dựng cơ chế thử nghiệm", None, None),  # a task, not a label
])
def test_a_label_line_however_long_its_noun_phrase(line, role, agency_at):
    from khsearch.facts import label_of
    found = label_of(line)
    assert (found[0], line[found[1]:].strip()) == (role, agency_at) if role else found is None
