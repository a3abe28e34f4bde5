"""Targets, numbers, units and deadlines as any plan states them, and the questions that ask for them."""
import pytest

from khsearch.answer import _unit_fits, ask, asked_unit, intent
from khsearch.facts import deadlines, deadlines_in, following_deadline, quantities, targets
from khsearch.records import Document, Metadata, Paragraph, Target


def para(text, kind="item", header=(), pid="d:p0001", headings=()):
    return Paragraph(pid, "d", "1", tuple(headings), text, 0, len(text), kind, tuple(header))


# --- numbers and the nouns they count ---------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    # thousands separators and decimal commas
    ("hỗ trợ 1.500.000 đồng/người", [("1.500.000", "đồng/người")]),
    ("tăng trưởng bình quân 2,5%/năm", [("2,5", "%/năm")]),
    ("sản lượng xoài đạt 18.000 tấn", [("18.000", "tấn")]),
    ("diện tích rừng ngập mặn đạt 1.700 ha", [("1.700", "ha")]),
    ("xây dựng 01 mô hình điểm", [("01", "mô hình điểm")]),
    ("kiểm tra 02 lần trong năm", [("02", "lần")]),
    ("tổng thiệt hại ước trên 4.500 tỷ đồng", [("4.500", "tỷ đồng")]),
    ("giá trị xuất khẩu đạt 400 triệu USD", [("400", "triệu USD")]),
    ("gấp 30 lần GRDP", [("30", "lần")]),
    ("định kỳ 06 tháng báo cáo", [("06", "tháng")]),
    ("tỷ lệ đạt 12.5% trở lên", [("12.5", "%")]),
    ("tăng 10 - 13%/năm", [("10 - 13", "%/năm")]),
    # units of many kinds: health, agriculture, transport, digital economy, education, tourism
    ("đầu tư 200 giường bệnh tại bệnh viện tuyến tỉnh", [("200", "giường bệnh")]),
    ("nâng cấp 50 trạm y tế xã, phường", [("50", "trạm y tế xã")]),
    ("làm mới 120 km đường giao thông nông thôn", [("120", "km")]),
    ("cấp 35.000 cuốn sách cho thư viện trường học", [("35.000", "cuốn sách")]),
    ("công bố ít nhất 20 tập dữ liệu mở phục vụ kinh tế số", [("20", "tập dữ liệu mở")]),
    ("hoàn thiện 11 cơ sở dữ liệu quốc gia và chuyên ngành", [("11", "cơ sở dữ liệu quốc gia")]),
    ("đón 2,5 triệu lượt khách du lịch", [("2,5", "triệu lượt khách du lịch")]),
    ("giải quyết trong 03 ngày làm việc", [("03", "ngày làm việc")]),
    ("lấy 12 mẫu nước mỗi đợt quan trắc", [("12", "mẫu nước")]),
    ("300 doanh nghiệp sử dụng nền tảng số", [("300", "doanh nghiệp")]),
    ("kiên cố hóa 45 phòng học", [("45", "phòng học")]),
    ("hỗ trợ 15 nghìn USD cho mỗi dự án", [("15", "nghìn USD")]),
    ("100 phần trăm hộ gia đình", [("100", "%")]),
    ("báo cáo 02 lần/ngày", [("02", "lần/ngày")]),
    ("Cấp 1.000 m² nhà văn hóa", [("1.000", "m²")]),
])
def test_a_number_and_the_noun_it_counts(text, expected):
    assert [(v, u) for _, _, v, u, _ in quantities(text)] == expected


@pytest.mark.parametrize("text", [
    "Thực hiện Nghị quyết 214/NQ-CP của Chính phủ",  # a document number
    "ngày 23/7/2025 và ngày 15/12",  # dates
    "Quyết định số 1899 ngày 04/9/2025 của Thủ tướng",  # 'số' after a document type
    "Kế hoạch số 308 về dữ liệu",
    "phấn đấu đến năm 2030 các xã đạt chuẩn",  # years
    "giai đoạn 2026-2030 các huyện",
    "2026 - 2030 nhiều xã",
    "1. Tổ chức tập huấn cho cán bộ",  # list numbers
    "(2) Ít nhất các xã",
    "theo khoản 1 Điều 4 Luật Quản lý tài sản",  # references
    "gắn với Đề án 06 cải cách thủ tục hành chính",
    "theo tiêu chuẩn TCVN 14423:2025 về an ninh mạng",
    "báo cáo trước 19h00 hằng ngày",  # an hour
    "phủ sóng 5G tại khu công nghiệp",
    "Tỷ lệ = b/a * 100%",  # a formula
    "Đợt 02 dự kiến kéo dài",
])
def test_what_is_not_a_quantity(text):
    assert quantities(text) == []


@pytest.mark.parametrize("text,value,comparator", [
    ("tỷ trọng kinh tế số đạt tối thiểu 30% GRDP", "30", "đạt tối thiểu"),
    ("mỗi đơn vị đề nghị không quá 05 cá nhân", "05", "không quá"),
    ("mỗi năm giúp đỡ ít nhất 01 thanh niên", "01", "ít nhất"),
    ("tổng giá trị giao dịch gấp 30 lần GRDP", "30", "gấp"),
    ("tổng thiệt hại ước trên 4.500 tỷ đồng", "4.500", "ước trên"),
    ("tỷ lệ hộ nghèo giảm còn 1,5%", "1,5", "giảm còn"),
    ("có 28 trạm 5G (chiếm 32,2 %)", "32,2", "chiếm"),
])
def test_comparators(text, value, comparator):
    got = [t for t in targets(para(text)) if t.value == value]
    assert [t.comparator for t in got] == [comparator]


def test_a_target_keeps_its_deadline_and_what_it_counts():
    got = targets(para("Đến năm 2030, tỷ lệ thu gom, xử lý rác thải nhựa tại các bãi biển đạt 100%; "
                       "phấn đấu đến năm 2030 có 200 giường bệnh tuyến xã."))
    assert [(t.value, t.unit, t.comparator, t.deadline) for t in got] == [
        ("100", "%", "đạt", "Đến năm 2030"), ("200", "giường bệnh tuyến xã", "có", "đến năm 2030")]
    assert "rác thải nhựa" in got[0].counted  # a percentage at the end counts what comes before it


# --- tables ---------------------------------------------------------------------------------------

def row(cells, header, sep=" | "):
    return para(sep.join(cells), "table_row", header)


@pytest.mark.parametrize("cells,header,expected", [
    # unit in the header, row number never a value
    (["1", "Xoài", "18.000", "10.000"], ("TT", "Sản phẩm", "Sản lượng (tấn)", "Giá trị (nghìn USD)"),
     [("18.000", "tấn", "Xoài — Sản lượng (tấn)"), ("10.000", "nghìn USD", "Xoài — Giá trị (nghìn USD)")]),
    # a total row is a row like any other; the unit from an 'ĐVT' column; years are columns, not values
    (["I", "Tổng cộng", "Nghìn USD", "240.000", "400.000"], ("STT", "Chỉ tiêu", "ĐVT", "Năm 2026", "Năm 2030"),
     [("240.000", "nghìn USD", "Tổng cộng — Năm 2026"), ("400.000", "nghìn USD", "Tổng cộng — Năm 2030")]),
    (["2", "Diện tích lúa hữu cơ", "ha", "1.500", "1.700"], ("STT", "Chỉ tiêu", "ĐVT", "Năm 2026", "Năm 2030"),
     [("1.500", "ha", "Diện tích lúa hữu cơ — Năm 2026"), ("1.700", "ha", "Diện tích lúa hữu cơ — Năm 2030")]),
    # the counted noun of a 'Số ...' column; a percentage in the cell
    (["3.", "Huyện Kỳ Sơn", "12"], ("STT", "Đơn vị", "Số vụ"), [("12", "vụ", "Huyện Kỳ Sơn — Số vụ")]),
    (["4", "Tỷ lệ trạm y tế có bác sĩ", "95%"], ("TT", "Chỉ tiêu", "Kế hoạch"),
     [("95", "%", "Tỷ lệ trạm y tế có bác sĩ — Kế hoạch")]),
    # a total row whose label spans the 'TT' column keeps its figures under their columns
    (["Tổng cộng", "", "240.000", "", "400.000"],
     ("TT", "Sản phẩm", "Năm 2026 - Lượng (tấn)", "Năm 2026 - Giá trị (nghìn USD)", "Năm 2030 - Lượng (tấn)",
      "Năm 2030 - Giá trị (nghìn USD)"),
     [("240.000", "nghìn USD", "Tổng cộng — Năm 2026 - Giá trị (nghìn USD)"),
      ("400.000", "nghìn USD", "Tổng cộng — Năm 2030 - Giá trị (nghìn USD)")]),
    # a time column holds a deadline, not a value
    (["5", "Xây dựng 02 mô hình", "Sở Y tế", "2026"], ("TT", "Nhiệm vụ", "Chủ trì", "Thời gian"),
     [("02", "mô hình", "mô hình")]),
])
def test_table_rows(cells, header, expected):
    for sep in (" | ", "\t"):
        got = targets(row(cells, header, sep))
        assert [(t.value, t.unit, t.counted) for t in got] == expected


def test_a_year_column_is_the_deadline_of_its_cell():
    got = targets(row(["1", "Sản lượng chè", "Tấn", "64.213", "90.000"], ("TT", "Chỉ tiêu", "ĐVT", "Năm 2026", "Năm 2030")))
    assert [t.deadline for t in got] == ["Năm 2026", "Năm 2030"]


# --- deadlines ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,phrase,shape", [
    ("Báo cáo UBND tỉnh trước ngày 25/5/2022.", "trước ngày 25/5/2022", "date"),
    ("Hoàn thành trước 30/6 hằng năm.", "trước 30/6 hằng năm", "recurring"),
    ("Tổ chức hội nghị trong tháng 11/2025.", "trong tháng 11/2025", "month"),
    ("Hoàn thành Quý IV/2025.", "Quý IV/2025", "quarter"),
    ("Hoàn thành Quí IV-2025.", "Quí IV-2025", "quarter"),
    ("Triển khai từ Quý IV năm 2025.", "từ Quý IV năm 2025", "quarter"),
    ("Tổng kết hằng năm.", "hằng năm", "recurring"),
    ("Gửi báo cáo trước ngày 15/12 hằng năm.", "trước ngày 15/12 hằng năm", "recurring"),
    ("Cập nhật trước ngày 20 hằng tháng.", "trước ngày 20 hằng tháng", "recurring"),
    ("Khắc phục sự cố trong 24 giờ.", "trong 24 giờ", "duration"),
    ("Báo cáo UBND tỉnh trước 19h00’ hằng ngày.", "trước 19h00’ hằng ngày", "hour"),
    ("Định kỳ 06 tháng báo cáo kết quả.", "Định kỳ 06 tháng", "period"),
    ("Rà soát danh mục công trình | Tháng 12 hằng năm", "Tháng 12 hằng năm", "month"),
    ("báo cáo 02 lần/ngày (trước 9h00’ và 16h00’)", "02 lần/ngày", "frequency"),
    ("chậm nhất *ngày\n17 tháng 12.*", "chậm nhất ngày\n17 tháng 12", "date"),  # italics over two lines
    ("Thời gian hoàn thành: Trước ngày 31/5/2026.", "Trước ngày 31/5/2026", "label"),
    ("- Thời gian thực hiện: Quý\nIV năm 2025 và các năm tiếp theo.", "Quý\nIV năm 2025 và các năm tiếp theo", "quarter"),
    ("c) Thời gian thực hiện: Năm 2026.", "Năm 2026", "year"),
    ("Báo cáo kết quả gửi Bộ Tài chính. Thời gian hoàn thành: Trước ngày 31/5/2026.", "Trước ngày 31/5/2026", "date"),
])
def test_deadline_phrases(text, phrase, shape):
    got = deadlines(para(text))
    assert got and got[0].when == " ".join(phrase.split()) and shape in got[0].shapes


@pytest.mark.parametrize("text", [
    "Căn cứ Quyết định số 1899/QĐ-UBND ngày 23/7/2025 của UBND tỉnh",  # a document's date
    "Căn cứ Luật Quy hoạch ngày 24 tháng 11 năm 2017",
    "Thực hiện Kế hoạch số 321-KH/TU ngày 11/4/2025 của Tỉnh ủy",
    "Phấn đấu đạt chuẩn",  # 'đấu' is not 'đầu'
    "phía nam 2 km",
    "đạt 2/3 số xã",  # a fraction
    "trực đường dây nóng 24/7",
])
def test_what_is_not_a_deadline(text):
    assert deadlines_in(text) == []


def test_a_table_row_takes_its_deadline_from_the_time_column():
    p = row(["1", "Tổ chức lại Ban Chỉ huy", "Bộ CHQS tỉnh", "Trước ngày 30/11/2025"],
            ("TT", "Nội dung thực hiện", "Cơ quan chủ trì", "Thời gian hoàn thành"))
    got = deadlines(p)
    assert [(d.when, d.task) for d in got] == [("Trước ngày 30/11/2025", "Tổ chức lại Ban Chỉ huy")]


def _doc(texts):
    paras = tuple(para(t, "heading" if t.startswith("2.") else "item", pid=f"d:p{i:04d}") for i, t in enumerate(texts))
    return Document("d", "/x.txt", "0", Metadata(), paras)


@pytest.mark.parametrize("texts,task,expected", [
    # 'a) Nhiệm vụ' / 'b) Cơ quan thực hiện' / 'c) Thời gian thực hiện' under one heading
    (["a) Nhiệm vụ:", "- Xây dựng kho dữ liệu dùng chung.", "- Kết nối dữ liệu dân cư.", "b) Cơ quan thực hiện:",
      "- Đơn vị chủ trì: Sở Khoa học và Công nghệ.", "c) Thời gian thực hiện: Hoàn thành trong năm 2025.",
      "2. Về nền tảng số"], 1, "Hoàn thành trong năm 2025"),
    (["Thành lập Ban Chỉ đạo kiểm kê cấp xã.", "Thời gian hoàn thành: Trước ngày 15/11/2025."], 0,
     "Trước ngày 15/11/2025"),
    # the next task comes first: no deadline of this one
    (["1. Tuyên truyền Luật.", "2. Rà soát văn bản.", "- Thời gian thực hiện: Quý IV/2025."], 0, None),
    # a task that states its own deadline
    (["- Tổng hợp kết quả. Thời gian hoàn thành: Trước ngày 31/5/2026.", "Thời gian thực hiện: Năm 2026."], 0, None),
])
def test_the_deadline_line_after_a_task(texts, task, expected):
    doc = _doc(texts)
    got = following_deadline(doc, doc.paragraphs[task])
    assert (got[1].when if got else None) == expected


# --- questions ------------------------------------------------------------------------------------

def test_a_deadline_question_finds_its_task_by_the_task_words_and_reads_the_line_after_it():
    from khsearch.answer import _deadline
    from khsearch.records import Hit
    doc = _doc(["- Thành lập Ban Chỉ đạo kiểm kê cấp xã.", "Thời hạn hoàn thành: Trước ngày 15/11/2025.",
                "- Báo cáo danh sách đơn vị kiểm kê.", "Thời hạn hoàn thành: Trước ngày 30/11/2025.",
                "- Thực hiện kiểm kê tài sản do mình đang trực tiếp quản lý.",
                "Thời hạn hoàn thành: Từ ngày 01/01/2026 đến ngày 31/3/2026."])
    hit = lambda i, score: Hit(doc.paragraphs[i], doc, score)
    question = "Các đơn vị phải kiểm kê tài sản do mình quản lý xong trước ngày nào?"
    lines = [hit(1, 0.8), hit(3, 0.8), hit(0, 0.6), hit(2, 0.6)]  # what the deadline words find first
    assert "31/3/2026" not in _deadline(question, lines, 5, None).answer
    a = _deadline(question, lines, 5, None, tasks=[hit(4, 0.9), hit(0, 0.7)])
    assert a.answer.endswith("- Thực hiện kiểm kê tài sản do mình đang trực tiếp quản lý.") and "31/3/2026" in a.answer


@pytest.mark.parametrize("q,kind", [
    ("Hạn chót nộp báo cáo tổng kết là ngày nào?", "deadline"),
    ("han chot hang thang cap nhat len phan mem la ngay nao?", "deadline"),
    ("Các đơn vị phải nộp báo cáo ngày nào?", "deadline"),
    ("Hạn chót tổ chức lại Ban Chỉ huy và ban hành quy chế hoạt động là ngày nào?", "deadline"),
    ("UBND xã phải thành lập Ban Chỉ đạo trước ngày nào?", "deadline"),
    ("Báo cáo kết quả định kỳ bao lâu một lần?", "deadline"),
    ("UBND xã báo cáo tình hình cấp phát mấy lần một ngày?", "deadline"),
    ("Sở Công Thương báo cáo trước mấy giờ mỗi ngày?", "deadline"),
    ("Việc kiểm tra thi hành Luật thực hiện từ năm nào?", "deadline"),
    ("Tuyên truyền về Luật bắt đầu từ thời điểm nào?", "deadline"),
    ("Hạn trình hồ sơ đề nghị khen thưởng là khi nào?", "deadline"),
    ("Kế hoạch 308/KH-UBND được ban hành ngày nào?", "date"),
    ("ke hoach 74 ban hanh ngay nao", "date"),
    ("Kế hoạch 157 ký ngày nào?", "date"),
    ("Kế hoạch 980 ban hành khi nào?", "date"),
    # 'khi nào', 'lúc nào', 'bao giờ' ask for a deadline unless they ask when the plan was issued or signed
    ("Khi nào tổng kết phong trào thi đua?", "deadline"),
    ("cac xa phai so hoa ho so khi nao", "deadline"),
    ("Bao giờ Sở Y tế nộp báo cáo?", "deadline"),
    ("Trạm quan trắc được lắp đặt vào lúc nào?", "deadline"),
    ("Kế hoạch 987 ký bao giờ?", "date"),
    ("Tổng giá trị giao dịch không dùng tiền mặt gấp bao nhiêu lần GRDP?", "target"),
    ("Đợt 2 kéo dài mấy ngày làm việc?", "target"),
])
def test_deadline_or_date_of_issue(q, kind):
    assert intent(q) == kind


@pytest.mark.parametrize("q,unit", [
    ("Sản lượng xoài đạt bao nhiêu tấn?", "tấn"),
    ("tổng giá trị năm 2026 là bao nhiêu nghìn USD?", "USD"),
    ("bac ninh co it nhat bao nhieu tap du lieu mo duoc cong bo?", "tap du lieu mo"),
    ("Đợt 2 kéo dài mấy ngày làm việc?", "ngày làm việc"),
    ("Tỉnh bố trí bao nhiêu tỷ đồng?", "đồng"),
    ("tỷ lệ hộ nghèo giảm còn bao nhiêu?", "%"),
    ("bệnh viện có bao nhiêu giường bệnh?", "giường bệnh"),
    ("diện tích rừng đạt bao nhiêu?", None),
])
def test_asked_unit(q, unit):
    assert asked_unit(q) == unit


def t(value, unit, counted=""):
    return Target(value, unit, "", "", counted or unit, "", "d:p1", "d")


@pytest.mark.parametrize("asked,target,fits", [
    ("tấn", t("18.000", "tấn"), True),
    ("tấn", t("1.700", "ha"), False),
    ("USD", t("240.000", "nghìn USD"), True),
    ("USD", t("4.500", "tỷ đồng"), False),
    ("đồng", t("4.500", "tỷ đồng"), True),
    ("đồng", t("10", "động cơ"), False),  # 'động' is not 'đồng'
    ("tập dữ liệu mở", t("20", "tập dữ liệu mở"), True),
    ("cơ sở dữ liệu quốc gia", t("11", "cơ sở dữ liệu quốc gia"), True),
    ("cơ sở dữ liệu", t("5", "cơ sở giáo dục"), False),
    ("thanh thiếu niên", t("01", "thanh niên"), True),
    ("người nghiện ngoài cộng", t("10", "người nghiện ma túy", "người nghiện ma túy ngoài cộng đồng"), True),
    ("người", t("20.000", "hộ"), False),
    ("xã", t("50", "%", "địa bàn cấp xã"), True),
    ("%", t("30", "%/năm"), True),
    ("%", t("30", "lần"), False),
    (None, t("3", "ngày làm việc"), True),
])
def test_unit_fits(asked, target, fits):
    assert _unit_fits(asked, target) == fits


# --- answers on a plan none of the rules was written for ------------------------------------------

PLAN = """ỦY BAN NHÂN DÂN
TỈNH LÀO CAI

Số: 45/KH-UBND

Lào Cai, ngày 12 tháng 3 năm 2025

KẾ HOẠCH
Phát triển y tế cơ sở và nông nghiệp hữu cơ giai đoạn 2026 - 2030

I. MỤC TIÊU
1. Đến năm 2030, đầu tư thêm 250 giường bệnh tại các trung tâm y tế khu vực.
2. Phấn đấu đến năm 2030 diện tích chè hữu cơ đạt 3.200 ha; sản lượng chè xuất khẩu đạt 15.000 tấn.
II. NHIỆM VỤ
1. Nâng cấp trạm y tế xã vùng cao.
a) Nhiệm vụ: Sửa chữa, nâng cấp 40 trạm y tế xã vùng cao.
b) Cơ quan chủ trì: Sở Y tế.
c) Thời gian thực hiện: Quý II/2026.
2. Sở Nông nghiệp và Môi trường tổng hợp, báo cáo UBND tỉnh kết quả thực hiện trước ngày 10/12 hằng năm.
III. PHỤ LỤC

| TT | Sản phẩm | Sản lượng (tấn) | Giá trị (nghìn USD) |
| 1 | Chè | 15.000 | 45.000 |
| 2 | Quế | 8.000 | 20.000 |
| | Tổng cộng | 23.000 | 65.000 |
"""


@pytest.fixture(scope="module")
def plan_index(tmp_path_factory):
    from khsearch.index import build, open_index
    folder = tmp_path_factory.mktemp("plans")
    (folder / "lao-cai-45-2025.txt").write_text(PLAN, encoding="utf-8")
    root = tmp_path_factory.mktemp("index")
    build([folder], root, embedder="hash")
    return open_index(root)


@pytest.mark.parametrize("q,found,needle", [
    ("Lào Cai đầu tư thêm bao nhiêu giường bệnh đến năm 2030?", True, "250 giường bệnh"),
    ("Sản lượng chè xuất khẩu của Lào Cai đến năm 2030 đạt bao nhiêu tấn?", True, "15.000 tấn"),
    ("Diện tích chè hữu cơ của Lào Cai đạt bao nhiêu ha?", True, "3.200 ha"),
    ("Lào Cai bố trí bao nhiêu tỷ đồng để nâng cấp trạm y tế?", False, ""),  # no amount in đồng
    ("Lào Cai xuất khẩu bao nhiêu tấn sầu riêng?", False, ""),  # not a product of the plan
    ("Theo phụ lục, tổng giá trị xuất khẩu của Lào Cai là bao nhiêu nghìn USD?", True, "65.000"),
    ("Sản lượng quế của Lào Cai là bao nhiêu tấn?", True, "8.000"),
    ("Hạn chót hằng năm để Sở Nông nghiệp và Môi trường Lào Cai báo cáo kết quả là khi nào?", True, "10/12"),
    ("Lào Cai nâng cấp trạm y tế xã vùng cao trong thời gian nào?", True, "Quý II/2026"),
    ("Kế hoạch 45/KH-UBND của Lào Cai ban hành ngày nào?", True, "12/3/2025"),
])
def test_answers(plan_index, q, found, needle):
    a = ask(plan_index, q)
    assert a.found == found, a.answer
    assert needle in a.answer
    for c in a.citations:
        assert open(c.path, encoding="utf-8").read()[c.start:c.end] == c.text


def test_a_deadline_on_the_next_line_is_cited_with_its_task(plan_index):
    a = ask(plan_index, "Lào Cai nâng cấp trạm y tế xã vùng cao trong thời gian nào?")
    c = a.citations[0]
    assert "Thời gian thực hiện: Quý II/2026" in c.text and "trạm y tế xã vùng cao" in c.text
    assert c.text[c.highlight[0]:c.highlight[1]] == "Quý II/2026"
