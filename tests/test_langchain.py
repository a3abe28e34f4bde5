"""The LangChain retriever on a small index of its own: the Documents it returns are the plans' paragraphs, with
metadata that says where each one is; the province filter and k hold. Then LLM phrasing, whose citation markers
are checked."""
import codecs
import shutil

import pytest

pytest.importorskip("langchain_core")
from langchain_core.language_models.fake_chat_models import FakeListChatModel, ParrotFakeChatModel  # noqa: E402
from langchain_core.output_parsers import StrOutputParser  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate  # noqa: E402
from langchain_core.runnables import RunnableLambda, RunnablePassthrough  # noqa: E402

from conftest import LAO_CAI_PLAN, PLANS  # noqa: E402
from khsearch.langchain import (INSTRUCTIONS, NO_CITATIONS, KhsearchRetriever, check_markers,  # noqa: E402
                                format_citations, phrase_answer)
from khsearch.records import Citation  # noqa: E402

CITATION_FIELDS = set(Citation.__dataclass_fields__)
# A Markdown plan as web pages give them: bold markers and hard-wrapped lines inside a paragraph.
LANG_SON_PLAN = """**ỦY BAN NHÂN DÂN**
**TỈNH LẠNG SƠN**

Số: 27/KH-UBND

Lạng Sơn, ngày 14 tháng 5 năm 2025

**KẾ HOẠCH**
**Phòng, chống buôn lậu qua biên giới năm 2025**

**I. MỤC TIÊU**

1. Phấn đấu đến hết năm 2025 giảm 20% số vụ buôn lậu qua các lối mở
so với năm 2024.

**II. NHIỆM VỤ**

1. **Cục Hải quan tỉnh** chủ trì, phối hợp với Bộ Chỉ huy Bộ đội Biên phòng
tỉnh kiểm soát hàng hóa qua cửa khẩu Hữu Nghị; Công an tỉnh điều tra các
đường dây buôn lậu.

2. Sở Công Thương chủ trì kiểm tra các chợ biên giới.
"""
PATROL = "2. Bộ Chỉ huy Bộ đội Biên phòng tỉnh chủ trì tuần tra, kiểm soát đường mòn, lối mở trên tuyến biên giới."
BORDER_GATE = ("1. **Cục Hải quan tỉnh** chủ trì, phối hợp với Bộ Chỉ huy Bộ đội Biên phòng\ntỉnh kiểm soát hàng hóa qua "
               "cửa khẩu Hữu Nghị; Công an tỉnh điều tra các\nđường dây buôn lậu.")
QUESTION = "Đơn vị nào chủ trì tuần tra đường mòn, lối mở trên tuyến biên giới Lào Cai?"


@pytest.fixture(scope="module")
def small_index(tmp_path_factory):
    """Cà Mau's plan (UTF-8 text), Lào Cai's (UTF-16: cited through a UTF-8 copy) and Lạng Sơn's (Markdown)."""
    from khsearch.index import build, open_index
    root = tmp_path_factory.mktemp("langchain")
    plans = root / "plans"
    plans.mkdir()
    shutil.copy(PLANS["Cà Mau"], plans)
    (plans / "lao-cai-12-2024.txt").write_bytes(codecs.BOM_UTF16_LE + LAO_CAI_PLAN.encode("utf-16-le"))
    (plans / "lang-son-27-2025.md").write_text(LANG_SON_PLAN, encoding="utf-8")
    assert build([plans], root / "index", embedder="hash").ok
    return open_index(root / "index")


def _slice(doc):
    m = doc.metadata
    return open(m["path"], encoding="utf-8").read()[m["start"]:m["end"]]


def test_a_document_is_the_paragraph_and_says_where_it_is(small_index):
    docs = KhsearchRetriever(index=small_index, k=3).invoke("tuần tra, kiểm soát đường mòn, lối mở")
    first, m = docs[0], docs[0].metadata
    assert first.page_content == PATROL
    assert (m["doc_id"], m["province"], m["section"], m["heading"], m["document"], m["kind"]) == (
        "lao-cai-12-2024", "Lào Cai", "II.2", "II. NHIỆM VỤ", "Kế hoạch 12/KH-UBND ngày 5/3/2024", "item")
    assert m["paragraph_id"].startswith("lao-cai-12-2024:") and m["year"] == 2024 and 0 < m["score"] <= 1
    assert LAO_CAI_PLAN[m["start"]:m["end"]] == PATROL  # offsets count characters of the decoded source
    assert _slice(first) == m["text"] == PATROL  # and slice the UTF-8 file that `path` names
    for d in docs:
        assert set(d.metadata) == CITATION_FIELDS and _slice(d) == d.metadata["text"]
        assert d.metadata["doc_id"] in small_index.documents


def test_a_markdown_paragraph_keeps_its_markup_in_the_metadata_only(small_index):
    doc = KhsearchRetriever(index=small_index, k=2).invoke("kiểm soát hàng hóa qua cửa khẩu Hữu Nghị")[0]
    m = doc.metadata
    assert (m["doc_id"], m["province"], m["section"]) == ("lang-son-27-2025", "Lạng Sơn", "II.1")
    assert _slice(doc) == m["text"] == BORDER_GATE  # the verbatim source, markup and line breaks included
    assert "*" not in doc.page_content and len(doc.page_content) == m["end"] - m["start"]  # markup masked in place
    assert " ".join(doc.page_content.split()) == " ".join(BORDER_GATE.replace("**", "").split())


@pytest.mark.parametrize("province,doc_id", [("Lào Cai", "lao-cai-12-2024"), ("lao cai", "lao-cai-12-2024"),
                                             ("Lạng Sơn", "lang-son-27-2025"), ("Cà Mau", "ca-mau-100-kh-ubnd-2017")])
def test_the_province_filter_keeps_that_provinces_paragraphs(small_index, province, doc_id):
    query = "chủ trì kiểm soát trên tuyến biên giới"
    everywhere = KhsearchRetriever(index=small_index, k=10).invoke(query)
    assert len({d.metadata["province"] for d in everywhere}) > 1  # without the filter the plans mix
    docs = KhsearchRetriever(index=small_index, k=10, province=province).invoke(query)
    assert docs and {d.metadata["doc_id"] for d in docs} == {doc_id}


def test_k_documents_best_first(small_index):
    query = "chủ trì điều trị nghiện ma túy"
    ranked = KhsearchRetriever(index=small_index, k=6).invoke(query)
    assert len(ranked) == 6 and len({d.metadata["paragraph_id"] for d in ranked}) == 6
    scores = [d.metadata["score"] for d in ranked]
    assert scores == sorted(scores, reverse=True)
    for k in (1, 2, 4):
        got = KhsearchRetriever(index=small_index, k=k).invoke(query)
        assert [d.metadata["paragraph_id"] for d in got] == [d.metadata["paragraph_id"] for d in ranked[:k]]
    # a province with fewer paragraphs than k gives what it has, each once
    lao_cai = KhsearchRetriever(index=small_index, k=50, province="Lào Cai").invoke(query)
    assert 0 < len(lao_cai) <= len(small_index.documents["lao-cai-12-2024"].paragraphs)
    assert len({d.metadata["paragraph_id"] for d in lao_cai}) == len(lao_cai)


def test_an_index_folder_gives_the_same_documents(small_index):
    by_path = KhsearchRetriever(index=str(small_index.root), k=3).invoke(QUESTION)
    by_object = KhsearchRetriever(index=small_index, k=3).invoke(QUESTION)
    assert [(d.page_content, d.metadata["paragraph_id"]) for d in by_path] == \
        [(d.page_content, d.metadata["paragraph_id"]) for d in by_object]
    assert by_path[0].page_content == PATROL


def _chain(retriever, model, seen):
    def fmt(docs):
        seen.extend(docs)
        return format_citations(docs)
    prompt = ChatPromptTemplate.from_messages([("system", INSTRUCTIONS),
                                               ("human", "Câu hỏi: {question}\n\nTrích dẫn:\n{context}")])
    return {"context": retriever | RunnableLambda(fmt), "question": RunnablePassthrough()} | prompt | model \
        | StrOutputParser()


def test_an_lcel_chain_puts_the_retrieved_paragraphs_in_the_prompt(small_index):
    seen = []
    prompt_seen = _chain(KhsearchRetriever(index=small_index, k=2), ParrotFakeChatModel(), seen).invoke(QUESTION)
    assert len(seen) == 2 and seen[0].page_content == PATROL
    assert prompt_seen.startswith(f"Câu hỏi: {QUESTION}")
    assert f"[1] Lào Cai — Kế hoạch 12/KH-UBND ngày 5/3/2024, mục II.2:\n{PATROL}" in prompt_seen
    assert "[2] " in prompt_seen and "[3]" not in prompt_seen


def _citations(index, n):
    from khsearch.retrieve import search
    return [h.citation() for h in search(index, QUESTION, n)]


def test_phrase_answer_keeps_valid_markers(small_index):
    model = FakeListChatModel(responses=["Bộ Chỉ huy Bộ đội Biên phòng tỉnh chủ trì [1], phối hợp [1][3]."])
    assert phrase_answer(model, QUESTION, _citations(small_index, 3)) == \
        "Bộ Chỉ huy Bộ đội Biên phòng tỉnh chủ trì [1], phối hợp [1][3]."


def test_phrase_answer_drops_and_flags_a_marker_naming_no_citation(small_index):
    model = FakeListChatModel(responses=["Biên phòng tỉnh chủ trì [1], Bộ Quốc phòng hướng dẫn [7]."])
    out = phrase_answer(model, QUESTION, _citations(small_index, 3))
    assert out.startswith("Biên phòng tỉnh chủ trì [1], Bộ Quốc phòng hướng dẫn.")
    assert "[7]" in out.split("\n\n", 1)[1] and "Đã bỏ tham chiếu" in out


def test_phrase_answer_flags_an_answer_without_markers_and_needs_citations(small_index):
    out = phrase_answer(FakeListChatModel(responses=["Biên phòng tỉnh chủ trì."]), QUESTION, _citations(small_index, 2))
    assert out.startswith("Biên phòng tỉnh chủ trì.") and "không dẫn trích dẫn nào" in out
    assert phrase_answer(FakeListChatModel(responses=["x [1]"]), QUESTION, []) == NO_CITATIONS


def test_phrase_answer_sends_the_citations_to_the_model(small_index):
    docs = KhsearchRetriever(index=small_index, k=2).invoke(QUESTION)  # Documents work as well as Citations
    echoed = phrase_answer(ParrotFakeChatModel(), QUESTION, docs)
    assert PATROL in echoed and "[1] Lào Cai" in echoed and "Đã bỏ" not in echoed


def test_check_markers():
    assert check_markers("A [1, 2]; B [0] [3].", 2) == ("A [1][2]; B.", [1, 2], [0, 3])


def test_missing_langchain_core_gives_the_install_command(monkeypatch):
    import importlib
    import sys
    monkeypatch.setitem(sys.modules, "langchain_core.retrievers", None)
    monkeypatch.delitem(sys.modules, "khsearch.langchain")
    with pytest.raises(ImportError, match=r"pip install -e '\.\[langchain\]'"):
        importlib.import_module("khsearch.langchain")
