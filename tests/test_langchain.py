"""The LangChain retriever inside an LCEL chain, and LLM phrasing whose citation markers are checked."""
import pytest

pytest.importorskip("langchain_core")
from langchain_core.language_models.fake_chat_models import FakeListChatModel, ParrotFakeChatModel  # noqa: E402
from langchain_core.output_parsers import StrOutputParser  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate  # noqa: E402
from langchain_core.runnables import RunnableLambda, RunnablePassthrough  # noqa: E402

from khsearch.langchain import (INSTRUCTIONS, NO_CITATIONS, KhsearchRetriever, check_markers,  # noqa: E402
                                format_citations, phrase_answer)
from khsearch.records import Citation  # noqa: E402
from khsearch.retrieve import search  # noqa: E402

QUESTION = "Cơ quan nào chủ trì mở rộng điều trị Methadone ở Cà Mau?"
CITATION_FIELDS = set(Citation.__dataclass_fields__)


def _chain(retriever, model, seen):
    def fmt(docs):
        seen.extend(docs)
        return format_citations(docs)
    prompt = ChatPromptTemplate.from_messages([("system", INSTRUCTIONS),
                                               ("human", "Câu hỏi: {question}\n\nTrích dẫn:\n{context}")])
    return {"context": retriever | RunnableLambda(fmt), "question": RunnablePassthrough()} | prompt | model \
        | StrOutputParser()


def test_retriever_in_an_lcel_chain_carries_citation_metadata(hash_index):
    seen = []
    model = FakeListChatModel(responses=["Sở Y tế chủ trì mở rộng điều trị Methadone [1]."])
    out = _chain(KhsearchRetriever(index=str(hash_index.root), k=3), model, seen).invoke(QUESTION)
    assert out == "Sở Y tế chủ trì mở rộng điều trị Methadone [1]."
    assert len(seen) == 3 and set(seen[0].metadata) == CITATION_FIELDS
    first = seen[0].metadata
    assert first["province"] == "Cà Mau" and first["section"] == "IV.4.a" and "Methadone" in seen[0].page_content
    assert first["paragraph_id"] == search(hash_index, QUESTION, 1)[0].paragraph.id
    source = open(first["path"], encoding="utf-8").read()
    assert source[first["start"]:first["end"]] == seen[0].page_content  # the citation points at its text


def test_the_prompt_holds_the_numbered_citations(hash_index):
    prompt_seen = _chain(KhsearchRetriever(index=hash_index, k=2), ParrotFakeChatModel(), []).invoke(QUESTION)
    assert prompt_seen.startswith(f"Câu hỏi: {QUESTION}")
    assert "[1] Cà Mau — Kế hoạch 100/KH-UBND ngày 25/10/2017, mục IV.4.a:\na) Chủ trì" in prompt_seen
    assert "[2] Cà Mau" in prompt_seen and "[3]" not in prompt_seen


def test_province_filter(hash_index):
    docs = KhsearchRetriever(index=hash_index, k=4, province="Nghệ An").invoke("công tác cai nghiện ma túy")
    assert docs and {d.metadata["province"] for d in docs} == {"Nghệ An"}


def test_phrase_answer_keeps_valid_markers(hash_index):
    cites = [h.citation() for h in search(hash_index, QUESTION, 3)]
    model = FakeListChatModel(responses=["Sở Y tế chủ trì [1], phối hợp với Công an tỉnh [1][3]."])
    assert phrase_answer(model, QUESTION, cites) == "Sở Y tế chủ trì [1], phối hợp với Công an tỉnh [1][3]."


def test_phrase_answer_drops_and_flags_a_marker_naming_no_citation(hash_index):
    cites = [h.citation() for h in search(hash_index, QUESTION, 3)]
    model = FakeListChatModel(responses=["Sở Y tế chủ trì [1], Bộ Y tế hướng dẫn [7]."])
    out = phrase_answer(model, QUESTION, cites)
    assert out.startswith("Sở Y tế chủ trì [1], Bộ Y tế hướng dẫn.")
    assert "[7]" in out.split("\n\n", 1)[1] and "Đã bỏ tham chiếu" in out


def test_phrase_answer_flags_an_answer_without_markers_and_needs_citations(hash_index):
    cites = [h.citation() for h in search(hash_index, QUESTION, 2)]
    out = phrase_answer(FakeListChatModel(responses=["Sở Y tế chủ trì."]), QUESTION, cites)
    assert out.startswith("Sở Y tế chủ trì.") and "không dẫn trích dẫn nào" in out
    assert phrase_answer(FakeListChatModel(responses=["x [1]"]), QUESTION, []) == NO_CITATIONS


def test_phrase_answer_sends_the_citations_to_the_model(hash_index):
    docs = KhsearchRetriever(index=hash_index, k=2).invoke(QUESTION)  # Documents work as well as Citations
    echoed = phrase_answer(ParrotFakeChatModel(), QUESTION, docs)
    assert "Methadone" in echoed and "[1] Cà Mau" in echoed and "Đã bỏ" not in echoed


def test_check_markers():
    assert check_markers("A [1, 2]; B [0] [3].", 2) == ("A [1][2]; B.", [1, 2], [0, 3])


def test_missing_langchain_core_gives_the_install_command(monkeypatch):
    import importlib
    import sys
    monkeypatch.setitem(sys.modules, "langchain_core.retrievers", None)
    monkeypatch.delitem(sys.modules, "khsearch.langchain")
    with pytest.raises(ImportError, match=r"pip install -e '\.\[langchain\]'"):
        importlib.import_module("khsearch.langchain")
