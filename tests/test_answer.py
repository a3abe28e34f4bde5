"""Questions as users ask them: intents, provinces, agencies, targets, document facts, refusals."""
import pytest

from khsearch.answer import ask, asked_unit, intent
from khsearch.agencies import agencies_in, canonical_agency
from khsearch.facts import assignments, targets
from khsearch.records import Paragraph
from khsearch.retrieve import scope, search


def para(text, headings=()):
    return Paragraph("d:p0001", "d", "1", tuple(headings), text, 0, len(text), "item")


@pytest.mark.parametrize("q,kind", [
    ("Ai ký Kế hoạch 172/KH-UBND về Luật Việc làm?", "signer"),
    ("ke hoach 159 ve truyen thong giam ngheo ban hanh ngay nao", "date"),
    ("Tỷ lệ doanh nghiệp nhỏ và vừa ứng dụng công nghệ số là bao nhiêu?", "target"),
    ("co quan nao chu tri huong dan khen thuong dot thi dua", "agency"),
    ("Những xã nào được hỗ trợ lúa giống?", "general"),
])
def test_intent(q, kind):
    assert intent(q) == kind


def test_asked_unit_reads_the_words_after_bao_nhieu():
    assert asked_unit("bao nhiêu phần trăm trường học") == "%"
    assert asked_unit("bao nhiêu vụ vi phạm trong đợt vận động") == "vụ vi phạm"  # 'động' is not 'đồng'
    assert asked_unit("bố trí bao nhiêu tỷ đồng") == "đồng"
    assert asked_unit("là bao nhiêu?") is None


def test_agency_aliases_and_scrape_defects():
    assert canonical_agency("S Tài chính") == "Sở Tài chính"
    assert canonical_agency("Sở LĐTB&XH") == "Sở Lao động - Thương binh và Xã hội"
    assert canonical_agency("Sở Lao động, Thương binh và Xã hội") == "Sở Lao động - Thương binh và Xã hội"
    assert canonical_agency("Đoàn TNCS Hồ Chí Minh tỉnh") == "Tỉnh đoàn"
    assert canonical_agency("ban chi huy bo doi bien phong tinh") == "Bộ Chỉ huy Bộ đội Biên phòng tỉnh"
    assert [a for a, _, _ in agencies_in("Công an tỉnh, Sở Y tế và Cục Hải quan tỉnh")] == \
        ["Công an tỉnh", "Sở Y tế", "Cục Hải quan tỉnh"]


def test_assignments_from_parenthesis_subject_and_heading():
    got = assignments(para("2.1. Biên tập tài liệu (Công an tỉnh chủ trì phối hợp với Sở Thông tin và "
                           "Truyền thông, Ủy ban nhân dân các địa phương thực hiện)."))
    assert [(a.agency, a.role) for a in got] == [
        ("Công an tỉnh", "chủ trì"), ("Sở Thông tin và Truyền thông", "phối hợp"),
        ("Ủy ban nhân dân các huyện, thị xã, thành phố", "phối hợp")]
    got = assignments(para("- Đề nghị Tỉnh đoàn tổ chức tuyên truyền mạnh mẽ."))
    assert [(a.agency, a.role, a.source) for a in got] == [("Tỉnh đoàn", "đề nghị", "subject")]
    got = assignments(para("a) Chủ trì, phối hợp Sở Tài chính đề xuất vốn.", ["IV. PHÂN CÔNG", "10. Sở Kế hoạch và Đầu tư"]))
    assert [(a.agency, a.role) for a in got] == [("Sở Kế hoạch và Đầu tư", "chủ trì"), ("Sở Tài chính", "phối hợp")]
    assert assignments(para("a) Tổ chức tập huấn.", ["1. Nâng cao hiệu quả tuyên truyền phòng, chống ma túy"])) == []


def test_targets_value_unit_comparator_deadline():
    got = targets(para("Đến năm 2020, tỷ lệ số người nghiện có hồ sơ quản lý được điều trị đạt 80%; "
                       "mỗi năm giúp đỡ ít nhất 01 thanh niên; Nghị định số 94/2010/NĐ-CP."))
    assert [(t.value, t.unit, t.comparator) for t in got] == [("80", "%", "đạt"), ("01", "thanh niên", "ít nhất")]
    # each target reads the deadline and the words of its own clause (facts.clauses splits at ';')
    assert [(t.deadline, t.phrase) for t in got] == [
        ("Đến năm 2020", "Đến năm 2020, tỷ lệ số người nghiện có hồ sơ quản lý được điều trị đạt 80%"),
        ("mỗi năm", "mỗi năm giúp đỡ ít nhất 01 thanh niên")]
    got = targets(para("Phấn đấu đến năm 2025 đạt 90% số xã đạt tiêu chí sạch ma túy; 100% trường học tổ chức "
                       "tuyên truyền."))
    assert [(t.value, t.deadline, t.phrase) for t in got] == [
        ("90", "đến năm 2025", "Phấn đấu đến năm 2025 đạt 90% số xã đạt tiêu chí sạch ma túy"),
        ("100", "", "100% trường học tổ chức tuyên truyền.")]  # no deadline borrowed from the clause before


def test_province_in_the_question_narrows_the_search(store_index):
    sc = scope(store_index, "co quan nao chu tri o khanh hoa")
    assert sc.provinces == ("Khánh Hòa",)
    assert sc.docs == ("khanh-hoa-2017",)
    hits = search(store_index, "tập huấn cán bộ xác định tình trạng nghiện ở Cà Mau", 5)
    assert hits and all(h.document.metadata.province == "Cà Mau" for h in hits)


def test_ask_agency_target_fact_and_refusals(store_index):
    a = ask(store_index, "Cà Mau giao cơ quan nào tổ chức thanh tra việc quản lý thuốc tân dược gây nghiện tại các "
                        "nhà thuốc?")
    assert a.found and "Sở Y tế" in a.answer and a.citations[0].section == "IV.4.c"
    c = a.citations[0]
    assert open(c.path, encoding="utf-8").read()[c.start:c.end] == c.text
    a = ask(store_index, "Hằng năm Cà Mau phấn đấu ít nhất bao nhiêu phần trăm cơ quan, doanh nghiệp tại các khu công "
                        "nghiệp xây dựng mô hình an toàn về ANTT?")
    assert a.found and "80%" in a.answer and a.intent == "target" and a.citations[0].section == "IV.13.b"
    a = ask(store_index, "Kế hoạch 74/KH-UBND của Thái Bình do ai ký?")
    assert a.found and "Lại Văn Hoàn" in a.answer and "Lại Văn Hoàn" in a.citations[0].text
    a = ask(store_index, "Ai ký kế hoạch của Khánh Hòa?")
    assert not a.found  # the plan has no signer: say so, never guess
    a = ask(store_index, "Giá vé tàu hỏa từ Hải Phòng đi Huế là bao nhiêu?")
    assert not a.found and "Hải Phòng" in a.answer and not a.citations
    for q in ["", "   ", "?!…", "😀😀", "x" * 10000, "\x00\x07 ma túy", "What is the weather in Paris today?"]:
        a = ask(store_index, q)
        assert isinstance(a.found, bool) and a.answer


def test_cli_ask_and_search_json_contract(hash_index, capsys):
    import json
    from khsearch.cli import main
    assert main(["ask", "--json", "--index", str(hash_index.root),
                 "Cơ quan nào chủ trì bố trí kinh phí thực hiện Kế hoạch ở Thái Bình?"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"question", "found", "answer", "citations"}
    c = out["citations"][0]
    assert set(c) >= {"doc_id", "province", "document", "section", "heading", "text", "path", "start", "end", "score"}
    assert c["document"] == "Kế hoạch 74/KH-UBND ngày 11/4/2024" and c["section"] == "III.9"
    assert out["found"] and "Sở Tài chính" in out["answer"]
    assert main(["search", "--json", "--index", str(hash_index.root), "-k", "3",
                 "tuyen truyen phong chong ma tuy trong truong hoc thai binh"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["hits"]) == 3 and all(h["province"] == "Thái Bình" for h in out["hits"])
