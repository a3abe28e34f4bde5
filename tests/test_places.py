"""Provinces read in context: place words, diacritics, ordinary words that look like names, the 2025 mergers."""
from types import SimpleNamespace

import pytest

from khsearch.answer import ask
from khsearch.places import absorbed, canonical, describe, find_provinces, main_province, merged_into, provinces
from khsearch.retrieve import scope, strip_places


@pytest.mark.parametrize("text", [
    "Theo dõi diễn biến tình hình ma túy trên địa bàn",  # diễn biến / Điện Biên
    "theo doi dien bien tinh hinh ma tuy tren dia ban",
    "dien bien phuc tap cua toi pham",  # at the start, but 'diễn biến' reads the same
    "Tuyên truyền giữ gìn hòa bình, ổn định",  # lower case inside a sentence: peace
    "Vì hòa bình",
    "thời thái bình thịnh trị",
    "Đoàn TNCS Hồ Chí Minh tỉnh phối hợp tổ chức",  # the youth union, not the city
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "Kỷ niệm ngày sinh Chủ tịch Hồ Chí Minh",
    "Đào tạo nghề an toàn lao động cho công nhân",  # nghề an toàn / Nghệ An
    "dao tao nghe an toan lao dong cho cong nhan",
    "Xây dựng nhà văn hóa đa năng",
    "xay dung trung tam da nang",
    "khuyen khich tham gia lai cong tac",  # tham gia lại / Gia Lai
    "Đồng chí Nguyễn Thị Huế, Phó Giám đốc",  # a person
    "tàu cá hoạt động trên Thái Bình Dương",
    "Ủy ban nhân dân xã Hòa Bình",  # a commune of that name
    "Phường Phú Yên, Xã Xuân Phước",
    "an ninh trật tự, an sinh xã hội",
    "What is the weather in Paris today?",
])
def test_words_that_only_look_like_a_province_are_not_one(text):
    assert find_provinces(text) == []


@pytest.mark.parametrize("text,want", [
    ("Kế hoạch của UBND tỉnh hòa bình", ["Hòa Bình"]),  # 'tỉnh X', even in lower case
    ("thành phố Cần Thơ giao sở nào", ["Cần Thơ"]),
    ("Thành phố Huế có bao nhiêu phường?", ["Huế"]),
    ("TP Đà Nẵng có bao nhiêu xã?", ["Đà Nẵng"]),  # 'TP X', 'TP.X'
    ("Sở Y tế TP.Cần Thơ chủ trì gì?", ["Cần Thơ"]),
    ("Ở TP.HCM, ai phụ trách?", ["Thành phố Hồ Chí Minh"]),
    ("Cơ quan nào chủ trì ở Điện Biên?", ["Điện Biên"]),  # 'ở X'
    ("co quan nao chu tri o dien bien", ["Điện Biên"]),
    ("Tổ chức hội nghị tại Lào Cai", ["Lào Cai"]),  # 'tại X'
    ("to chuc hoi nghi tai lao cai", ["Lào Cai"]),
    ("kế hoạch của Sơn La về xuất khẩu", ["Sơn La"]),  # 'của X'
    ("ke hoach cua dien bien ve du lich", ["Điện Biên"]),
    ("Hòa Bình giao sở nào quản lý?", ["Hòa Bình"]),  # 'X giao'
    ("hoa binh giao so nao quan ly", ["Hòa Bình"]),
    ("thai binh: ai ky ke hoach", ["Thái Bình"]),  # 'X:' at the start
    ("bac giang phan dau bao nhieu xa dat chuan", ["Bắc Giang"]),  # start of the question
    ("ty le ho ngheo nam 2025 la bao nhieu, lang son", ["Lạng Sơn"]),  # end of the question
    ("Đến năm 2030 Hà Giang phấn đấu bao nhiêu xã?", ["Hà Giang"]),  # a capitalised name with its diacritics
    ("Sở Y tế bến tre chủ trì nhiệm vụ gì", ["Bến Tre"]),  # after an agency
    ("ke hoach cua khanh hoa va Cà Mau", ["Khánh Hòa", "Cà Mau"]),
    ("UBND TỈNH KHÁNH HOÀ", ["Khánh Hòa"]),  # tone placement and case
    ("Sở Công Thương Sơn La báo cáo", ["Sơn La"]),
    ("Đoàn Thanh niên Cộng sản Hồ Chí Minh tỉnh Đồng Nai", ["Đồng Nai"]),
])
def test_places_named_as_places_are_found(text, want):
    assert find_provinces(text) == want


def test_strip_places_takes_out_only_the_place():
    assert strip_places("Theo dõi diễn biến ở Điện Biên") == "Theo dõi diễn biến ở"
    assert strip_places("co quan nao o ca mau") == "co quan nao o"


@pytest.mark.parametrize("body,date,want", [
    ("Đoàn TNCS Hồ Chí Minh tỉnh phối hợp. Ủy ban nhân dân tỉnh Đồng Nai chủ trì.", None, "Đồng Nai"),
    ("Quyết định của UBND tỉnh Phú Yên (cũ) và Kế hoạch của UBND tỉnh Phú Yên (cũ). Tỉnh Đắk Lắk triển khai.",
     None, "Đắk Lắk"),
    # after the merger a province that no longer exists is named in passing, however often
    ("Kế hoạch của tỉnh Tiền Giang, tỉnh Tiền Giang, tỉnh Tiền Giang; nay UBND tỉnh Đồng Tháp ban hành.",
     "2025-11-20", "Đồng Tháp"),
    ("Kế hoạch của tỉnh Tiền Giang, tỉnh Tiền Giang, tỉnh Tiền Giang; học tập tỉnh Đồng Tháp.", "2024-05-02",
     "Tiền Giang"),
    ("Đồng chí Nguyễn Thị Huế phụ trách; học tập tư tưởng Hồ Chí Minh.", None, None),
])
def test_body_scan(body, date, want):
    assert main_province(body, date) == want


def test_merger_table_both_directions():
    assert merged_into("Thái Bình") == merged_into("thai binh") == "Hưng Yên"
    assert merged_into("Bình Dương") == "Thành phố Hồ Chí Minh"
    assert merged_into("Hưng Yên") is None and merged_into("Hà Nội") is None
    assert absorbed("Hưng Yên") == ("Thái Bình",)
    assert set(absorbed("Phú Thọ")) == {"Vĩnh Phúc", "Hòa Bình"}
    assert set(absorbed("tphcm")) == {"Bình Dương", "Bà Rịa - Vũng Tàu"}
    assert absorbed("Nghệ An") == ()
    assert describe("Thái Bình") == "Thái Bình, nay thuộc tỉnh Hưng Yên"
    assert describe("Bình Dương") == "Bình Dương, nay thuộc Thành phố Hồ Chí Minh"
    assert describe("Nghệ An") == "Nghệ An"
    names = {name for name, _ in provinces().values()}
    assert len(names) == 63 and len({n for n in names if not merged_into(n)}) == 34  # Nghị quyết 202/2025/QH15
    assert all(merged_into(n) in names and not merged_into(merged_into(n)) for n in names if merged_into(n))
    assert canonical("TP.HCM") == "Thành phố Hồ Chí Minh" and canonical("Thừa Thiên Huế") == "Huế"


def _index(*plans):
    """A stand-in index: (doc_id, province, date[, title]) per plan, two rows each."""
    docs = {d: SimpleNamespace(doc_id=d, year=int(date[:4]),
                               metadata=SimpleNamespace(province=p, date=date, number=None, title=title[0] if title else None))
            for d, p, date, *title in plans}
    return SimpleNamespace(documents=docs)


def _docs(index, sc):
    return None if sc.docs is None else set(sc.docs)


def test_scope_follows_the_mergers():
    idx = _index(("tb-2024", "Thái Bình", "2024-04-11"), ("hy-2025", "Hưng Yên", "2025-11-20"),
                 ("hy-2024", "Hưng Yên", "2024-03-01"), ("cm-2017", "Cà Mau", "2017-10-25"))
    # a former province: its own plans, and those its new province wrote after the merger
    assert _docs(idx, scope(idx, "Ở Thái Bình, ai chủ trì?")) == {"tb-2024", "hy-2025"}
    # a province that absorbed others: its plans and theirs
    assert _docs(idx, scope(idx, "Hưng Yên giao sở nào?")) == {"hy-2025", "hy-2024", "tb-2024"}
    # Bạc Liêu joined Cà Mau, but Cà Mau's plan of 2017 does not speak for it
    assert scope(idx, "Bạc Liêu giao sở nào?").missing == ("Bạc Liêu",)


def test_scope_narrows_to_the_plan_whose_title_the_question_names():
    idx = _index(("na-321", "Nghệ An", "2022-05-21", "Phòng, chống ma túy năm 2022"),
                 ("na-1026", "Nghệ An", "2025-11-26", "Triển khai công tác bảo vệ bí mật nhà nước trong tình hình mới"),
                 ("na-987", "Nghệ An", "2025-11-20", "Phát triển sóng 5G tại các khu công nghiệp Nghệ An đến năm 2030"),
                 ("dl-0125", "Đắk Lắk", "2025-11-18", "Tổ chức phong trào thi đua bảo vệ bí mật nhà nước"))
    assert _docs(idx, scope(idx, "Hạn báo cáo kế hoạch bảo vệ bí mật nhà nước của Nghệ An là khi nào?")) == {"na-1026"}
    # no title named: the province's plans; two titles named as well: both
    assert _docs(idx, scope(idx, "Nghệ An giao sở nào báo cáo?")) == {"na-321", "na-1026", "na-987"}
    assert _docs(idx, scope(idx, "Các tỉnh làm gì để bảo vệ bí mật nhà nước?")) is None
    # its place and a year do not name a plan: 'đến năm 2030', 'Nghệ An' are in many titles
    assert len(_docs(idx, scope(idx, "Đến năm 2030 Nghệ An đạt bao nhiêu phần trăm?"))) == 3


def test_scope_filter_contradicted_by_the_question():
    idx = _index(("tb-2024", "Thái Bình", "2024-04-11"), ("cm-2017", "Cà Mau", "2017-10-25"))
    sc = scope(idx, "Ở Thái Bình, ai chủ trì?", province="Cà Mau")
    assert sc.overridden == "Cà Mau" and sc.provinces == ("Thái Bình",) and _docs(idx, sc) == {"tb-2024"}
    assert "Cà Mau" in sc.note() and "Thái Bình" in sc.note()
    sc = scope(idx, "Ở Thái Bình, ai chủ trì?", province="Hưng Yên")  # related by the merger: no contradiction
    assert sc.overridden is None
    sc = scope(idx, "Theo dõi diễn biến tình hình", province="Cà Mau")  # no place named: the filter holds
    assert sc.overridden is None and _docs(idx, sc) == {"cm-2017"}


def test_answers_say_what_the_scope_changed(store_index):
    typed = "  Cơ quan nào chủ trì  điều trị Methadone ở Cà Mau? "
    a = ask(store_index, typed, province="Khánh Hòa")
    assert a.question == typed  # echoed as typed
    assert a.answer.startswith("Bộ lọc tỉnh là Khánh Hòa") and "Sở Y tế" in a.answer
    assert a.citations[0].province == "Cà Mau"
    a = ask(store_index, "Ở Hưng Yên, cơ quan nào chủ trì tuyên truyền phòng, chống ma túy trong trường học?")
    assert a.citations[0].province == "Thái Bình" and "Thái Bình, nay thuộc tỉnh Hưng Yên" in a.answer
    a = ask(store_index, "Ở Bạc Liêu, cơ quan nào chủ trì điều trị Methadone?")
    assert not a.found and "Bạc Liêu (nay thuộc tỉnh Cà Mau)" in a.answer


def test_questions_in_english_are_searched(store_index):
    a = ask(store_index, "Which agency leads methadone treatment in Ca Mau?")
    assert a.found and a.citations[0].province == "Cà Mau" and "Methadone" in a.citations[0].text
    assert not ask(store_index, "What is the weather in Paris today?").found
