"""LangChain integration: the index as a retriever, and optional LLM phrasing checked against its citations.

Needs the `langchain` extra: pip install -e '.[langchain]' in the khsearch clone.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Optional, Sequence, Union

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict, PrivateAttr
except ImportError:
    raise ImportError("khsearch.langchain needs langchain-core: pip install -e '.[langchain]' in your khsearch "
                      "clone") from None

from .stores import Store, open_index
from .records import Citation
from .retrieve import search

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Bạn trả lời câu hỏi về các kế hoạch của Ủy ban nhân dân các tỉnh. Chỉ dùng thông tin trong các trích dẫn "
    "được đánh số bên dưới, không dùng hiểu biết riêng. Sau mỗi ý, ghi số trích dẫn làm căn cứ trong ngoặc "
    "vuông, ví dụ [1] hoặc [1][2]. Nếu các trích dẫn không trả lời được câu hỏi, hãy nói: "
    "\"Các kế hoạch được trích không nêu điều này.\" Trả lời ngắn gọn bằng tiếng Việt."
)
NO_CITATIONS = "Không có trích dẫn nào để trả lời câu hỏi này."
_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")


class KhsearchRetriever(BaseRetriever):
    """The paragraphs of a khsearch index that best match a query, as LangChain Documents.

    `page_content` is the paragraph with its Markdown markup masked by spaces (what a model should read);
    `metadata` holds every Citation field (province, document, section, path, start, end, score, ...), and
    `metadata["text"]` is the verbatim slice `open(path).read()[start:end]`.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: Union[str, Path, Any]  # an index folder, a store address ('qdrant://...'), or an opened store
    k: int = 5
    province: Optional[str] = None
    _loaded: Optional[Store] = PrivateAttr(default=None)

    def _index(self) -> Store:
        if not isinstance(self.index, (str, Path)):
            return self.index
        if self._loaded is None:
            self._loaded = open_index(store=str(self.index))
        return self._loaded

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        return [to_document(h.citation()) for h in search(self._index(), query, self.k, self.province)]


def to_document(c: Citation) -> Document:
    return Document(page_content=c.plain, metadata=c.to_dict())  # metadata["text"] is the verbatim slice


def _fields(item: Citation | Document) -> dict:
    return item.to_dict() if isinstance(item, Citation) else {**item.metadata, "text": item.page_content}


def format_citations(items: Sequence[Citation | Document]) -> str:
    """Numbered citations as a model reads them: '[1] Cà Mau — Kế hoạch 100/KH-UBND ..., mục IV.4.a: <text>'."""
    blocks = []
    for n, item in enumerate(items, 1):
        c = _fields(item)
        where = ", ".join(x for x in (c.get("document"), f"mục {c['section']}" if c.get("section") else "") if x)
        blocks.append(f"[{n}] {c.get('province') or 'Chưa rõ tỉnh'} — {where}:\n{' '.join(c['text'].split())}")
    return "\n\n".join(blocks)


def _text(out: Any) -> str:
    """The text of a chat model's message, an LLM's string, or a list of content blocks."""
    content = getattr(out, "content", out)
    if isinstance(content, list):
        content = "".join(b if isinstance(b, str) else b.get("text", "") for b in content)
    return str(content)


def check_markers(text: str, count: int) -> tuple[str, list[int], list[int]]:
    """(text without markers that name no citation, valid numbers used, invalid numbers dropped)."""
    valid, invalid = [], []

    def keep(m: re.Match) -> str:
        nums = [int(x) for x in re.split(r"[,;]", m[1])]
        good = [n for n in nums if 1 <= n <= count]
        invalid.extend(n for n in nums if not 1 <= n <= count)
        valid.extend(n for n in good if n not in valid)
        return "".join(f"[{n}]" for n in good)
    cleaned = _MARKER.sub(keep, text)
    cleaned = re.sub(r"[ \t]+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()
    return cleaned, valid, invalid


def phrase_answer(llm, question: str, citations: Sequence[Citation | Document]) -> str:
    """An answer phrased by `llm` from the numbered citations only; markers naming no citation are dropped
    and flagged, and an answer that cites nothing is flagged."""
    if not citations:
        return NO_CITATIONS
    from langchain_core.messages import HumanMessage, SystemMessage
    prompt = [SystemMessage(INSTRUCTIONS),
              HumanMessage(f"Câu hỏi: {question}\n\nTrích dẫn:\n{format_citations(citations)}")]
    text, valid, invalid = check_markers(_text(llm.invoke(prompt)), len(citations))
    if invalid:
        log.warning("the model cited %s, but there are only %d citations", sorted(set(invalid)), len(citations))
        text += "\n\n(Đã bỏ tham chiếu không khớp trích dẫn nào: " + \
                ", ".join(f"[{n}]" for n in sorted(set(invalid))) + ".)"
    if not valid:
        text += "\n\n(Câu trả lời không dẫn trích dẫn nào; hãy đối chiếu với các đoạn trích.)"
    return text
