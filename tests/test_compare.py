"""Comparing plans on a topic, and the facts of a province or agency, with names as users type them."""
import pytest

from khsearch.compare import ComparisonRow, compare, plan_facts, rows_to_markdown
from khsearch.retrieve import best_by_plan, search


@pytest.mark.parametrize("topic", ["cai nghiện", "tuyên truyền phòng, chống ma túy", "kinh phí thực hiện",
                                   "kiểm tra, giám sát"])
def test_one_ranking_grouped_by_plan_is_each_plan_searched_alone(store_index, topic):
    """compare ranks once; each plan's hits are still those, in that order, of a search of that plan alone."""
    docs = list(store_index.documents.values())
    grouped = best_by_plan(store_index, topic, docs, k=5)
    for d in docs:
        alone = [h.paragraph.id for h in search(store_index, topic, 5, doc_id=d.doc_id)]
        assert [h.paragraph.id for h in grouped.get(d.doc_id, [])] == alone, d.doc_id


def test_provinces_are_resolved_as_typed(store_index):
    """'thai binh' and 'Cà Mau' pick those plans; a province with no plan is an error that names it."""
    rows = compare(store_index, "cai nghiện", ["Cà Mau", "thai binh"])
    assert [r.province for r in rows] == ["Cà Mau", "Thái Bình"]
    assert rows[0].found and rows[0].citations and "cai nghiện" in rows[0].citations[0].text.lower()
    with pytest.raises(ValueError, match="Hà Giang.*holds plans of: Cà Mau"):
        compare(store_index, "cai nghiện", ["Cà Mau", "Hà Giang"])


def test_a_plan_silent_on_the_topic_says_so(store_index):
    rows = {r.province: r for r in compare(store_index, "Buprenorphine")}
    silent = [r for r in rows.values() if not r.found]
    assert rows["Nghệ An"].found and "Buprenorphine" in rows["Nghệ An"].citations[0].text and len(silent) == 4
    assert all(not r.citations and "không đề cập" in r.summary for r in silent)


def test_facts_of_a_province_and_an_agency_as_typed(store_index):
    assert plan_facts(store_index, "quang ninh") == plan_facts(store_index, "Quảng Ninh")
    assert plan_facts(store_index, "quang ninh")[0]
    police, _ = plan_facts(store_index, "Quảng Ninh", "Công an")  # a head word alone: every Công an
    assert police and all(a.agency.startswith("Công an") for a in police)
    health, targets = plan_facts(store_index, agency="so y te")
    assert health and {a.agency for a in health} == {"Sở Y tế"} and targets == []
    with pytest.raises(ValueError, match="'Hà Giang'"):
        plan_facts(store_index, "Hà Giang")


def test_markdown_rows_stay_one_line_each():
    row = ComparisonRow("Cà Mau", "Kế hoạch 1/KH-UBND", 2024, True, "chủ trì: Sở Y tế;\nphối hợp: Sở Tài chính | UBND")
    lines = rows_to_markdown([row, row]).splitlines()
    assert len(lines) == 4 and all(l.startswith("|") and l.endswith("|") for l in lines)
    assert "Sở Y tế; phối hợp: Sở Tài chính \\| UBND" in lines[2]
