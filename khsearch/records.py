"""The records every pipeline step speaks: documents, paragraphs, hits, citations, answers, facts."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from typing import Optional

from .markup import plain
from .normalize import read_table


@dataclass(frozen=True)
class Source:
    """A file as read: its decoded text (universal newlines) is what paragraph offsets count into."""

    path: str  # absolute
    text: str
    sha256: str  # of the raw bytes
    format: str  # "txt" | "docx" | "pdf" | "html"
    encoding: str  # "utf-8", "utf-8-sig", "utf-16", "windows-1258", "tcvn3", "vni", ... ("" for docx/pdf)
    native: bool  # open(path, encoding="utf-8").read() == text, so citations can point at `path` itself
    warnings: tuple[str, ...] = ()  # what the reader had to repair, for the user


@dataclass(frozen=True)
class Metadata:
    """What a plan says about itself; a field the text does not give is None."""

    province: Optional[str] = None
    number: Optional[str] = None  # số hiệu, e.g. "100/KH-UBND"
    date: Optional[str] = None  # ISO 8601, "2017-10-25" or "2017-03" when the day is unreadable
    type: Optional[str] = None  # "Kế hoạch"
    title: Optional[str] = None
    signer: Optional[str] = None
    issuer: Optional[str] = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Paragraph:
    """One citable block of a plan: `source[start:end] == text` always holds."""

    id: str  # "<doc_id>:p0042", stable while the source text is unchanged
    doc_id: str
    section: str  # "IV.4.a"; "" before the first numbered part
    headings: tuple[str, ...]  # ("IV. PHÂN CÔNG TRÁCH NHIỆM", "4. Sở Y tế")
    text: str
    start: int
    end: int
    kind: str  # see parse.KINDS
    table_header: tuple[str, ...] = ()  # column names, for table rows

    @property
    def heading(self) -> str:
        return self.headings[-1] if self.headings else ""

    @cached_property
    def plain(self) -> str:
        """The text with Markdown markup masked by spaces: what facts, answers and search read (same offsets)."""
        return plain(self.text)

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}  # asdict() deep-copies: slow at 100k rows
        return {**d, "headings": list(self.headings), "table_header": list(self.table_header)}

    @classmethod
    def from_dict(cls, d: dict) -> "Paragraph":
        return cls(**{**d, "headings": tuple(d["headings"]), "table_header": tuple(d.get("table_header", ()))})


@dataclass(frozen=True)
class Document:
    """A parsed plan: where it came from, what it says about itself, and its paragraphs."""

    doc_id: str
    path: str  # absolute path of the source file
    sha256: str  # of the source bytes
    metadata: Metadata
    paragraphs: tuple[Paragraph, ...] = ()
    text_path: Optional[str] = None  # UTF-8 text the offsets count into, when `path` is not plain UTF-8 text

    @property
    def label(self) -> str:
        """How a citation names the plan: "Kế hoạch 100/KH-UBND ngày 25/10/2017"."""
        m = self.metadata
        parts = [m.type or "Văn bản"]
        carrier = _carrier(m)
        if carrier:  # a plan promulgated by a decision is cited with the decision's number
            parts.append(f"kèm theo {carrier} {m.number}")
        elif m.number:
            parts.append(m.number)
        if m.date:
            bits = m.date.split("-")
            parts.append("ngày " + "/".join(str(int(b)) if i else b for i, b in reversed(list(enumerate(bits))))
                         if len(bits) == 3 else "tháng " + "/".join(reversed(bits)))
        elif not m.number:
            parts.append(self.doc_id)
        return " ".join(parts)

    @property
    def year(self) -> Optional[int]:
        return int(self.metadata.date[:4]) if self.metadata.date else None

    def to_dict(self, with_paragraphs: bool = False) -> dict:
        d = {"doc_id": self.doc_id, "path": self.path, "sha256": self.sha256,
             "metadata": self.metadata.to_dict(), "text_path": self.text_path}
        if with_paragraphs:
            d["paragraphs"] = [p.to_dict() for p in self.paragraphs]
        return d

    @classmethod
    def from_dict(cls, d: dict, paragraphs: tuple[Paragraph, ...] = ()) -> "Document":
        return cls(d["doc_id"], d["path"], d["sha256"], Metadata(**d["metadata"]), paragraphs, d.get("text_path"))


def _carrier(m: Metadata) -> Optional[str]:
    """The type of the document whose number a plan carries ('Quyết định' for 2954/QĐ-UBND), when not its own."""
    if not (m.number and m.type):
        return None
    abbreviation = m.number.split("/")[-1].split("-")[0]
    named = next((row[0] for row in read_table("doc_types.tsv") if row[1] == abbreviation), None)
    return named if named and named != m.type else None


@dataclass(frozen=True)
class Citation:
    """A paragraph as shown to a user, in the JSON contract of the command-line tool."""

    doc_id: str
    province: str
    document: str
    section: str
    heading: str
    text: str
    path: str
    start: int
    end: int
    score: float
    paragraph_id: str = ""
    kind: str = ""
    year: Optional[int] = None
    highlight: Optional[tuple[int, int]] = None  # the answering span, relative to `text`

    @property
    def plain(self) -> str:
        """The paragraph as pages show it: Markdown markup masked by spaces (same offsets as `text`)."""
        return plain(self.text)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["score"] = round(float(self.score), 4)
        d["highlight"] = list(self.highlight) if self.highlight else None
        return d


@dataclass(frozen=True)
class Hit:
    """A retrieved paragraph with its fused score and the per-ranker scores behind it."""

    paragraph: Paragraph
    document: Document
    score: float
    scores: dict = field(default_factory=dict, compare=False, hash=False)

    def citation(self, highlight: Optional[tuple[int, int]] = None) -> Citation:
        p, d = self.paragraph, self.document
        return Citation(doc_id=d.doc_id, province=d.metadata.province or "", document=d.label,
                        section=p.section, heading=p.heading, text=p.text,
                        path=d.text_path or d.path, start=p.start, end=p.end, score=self.score,
                        paragraph_id=p.id, kind=p.kind, year=d.year, highlight=highlight)


@dataclass(frozen=True)
class Assignment:
    """Who is given a task in a plan, and in what role."""

    agency: str  # canonical name from data/agencies.tsv
    role: str  # "chủ trì" | "phối hợp" | "thực hiện" | "đề nghị"
    task: str
    paragraph_id: str
    doc_id: str
    source: str = ""  # "heading" | "parenthesis" | "subject" | "table"
    mention: str = ""  # the agency as written

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Target:
    """A quantified aim of a plan: value, unit, comparator, deadline, what is counted."""

    value: str  # as written: "80", "01", "2/3"
    unit: str  # "%", "xã", "vụ", "người", ...
    comparator: str  # "đạt" | "trên" | "ít nhất" | "dưới" | "tăng" | ... | ""
    deadline: str  # "2020", "30/6/2022", "hằng năm", ""
    counted: str  # what is counted, from the surrounding clause
    phrase: str  # the clause that states it, verbatim
    paragraph_id: str
    doc_id: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Deadline:
    """When a task is due or how often it recurs, as a plan says it: 'trước ngày 15/12 hằng năm'."""

    when: str  # the phrase, re-flowed: "trước ngày 31/5/2026", "Quý IV/2025", "định kỳ 06 tháng"
    task: str  # the clause or table row it belongs to ("" for a 'Thời gian thực hiện: ...' line)
    paragraph_id: str
    doc_id: str
    start: int  # span of `when` in the paragraph's text
    end: int
    shapes: tuple[str, ...] = ()  # what it states: "date", "hour", "month", "quarter", "year", "recurring", ...

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """A short answer to a question, with the paragraphs that support it."""

    question: str
    found: bool
    answer: str
    citations: tuple[Citation, ...] = ()
    intent: str = "general"
    province: Optional[str] = None
    assignments: tuple[Assignment, ...] = ()
    targets: tuple[Target, ...] = ()

    def to_dict(self) -> dict:
        return {"question": self.question, "found": self.found, "answer": self.answer,
                "citations": [c.to_dict() for c in self.citations], "intent": self.intent,
                "province": self.province, "assignments": [a.to_dict() for a in self.assignments],
                "targets": [t.to_dict() for t in self.targets]}
