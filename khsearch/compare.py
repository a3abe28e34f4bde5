"""How plans compare on a topic: per plan, the responsible agencies, the targets, and where they are said."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from .answer import coverage
from .agencies import canonical_agency
from .facts import ROLES, assignments, targets
from .index import Index
from .records import Assignment, Citation, Target
from .retrieve import search

MIN_COVERAGE = 0.6  # share of the topic's words a paragraph must hold to count as speaking of it


@dataclass(frozen=True)
class ComparisonRow:
    """What one plan says on a topic."""

    province: str
    document: str
    year: int | None
    found: bool
    summary: str
    assignments: tuple[Assignment, ...] = ()
    targets: tuple[Target, ...] = ()
    citations: tuple[Citation, ...] = ()

    def to_dict(self) -> dict:
        return {"province": self.province, "document": self.document, "year": self.year, "found": self.found,
                "summary": self.summary, "assignments": [a.to_dict() for a in self.assignments],
                "targets": [t.to_dict() for t in self.targets], "citations": [c.to_dict() for c in self.citations]}


def compare(index: Index, topic: str, provinces: list[str] | None = None, per_plan: int = 3) -> list[ComparisonRow]:
    """One row per plan: who is responsible for `topic` (with roles), its targets, and the paragraphs."""
    rows = []
    for doc in sorted(index.documents.values(), key=lambda d: (d.metadata.province or "", d.doc_id)):
        if provinces and doc.metadata.province not in provinces:
            continue
        hits = [h for h in search(index, topic, 10, doc_id=doc.doc_id) if coverage(topic, h.paragraph) >= MIN_COVERAGE]
        hits = hits[:per_plan]
        found_a = tuple(a for h in hits for a in assignments(h.paragraph))
        found_t = tuple(t for h in hits for t in targets(h.paragraph))
        if hits:
            summary = _summary(found_a, found_t)
        else:
            summary = f"Kế hoạch không đề cập '{topic}'."
        rows.append(ComparisonRow(doc.metadata.province or "", doc.label, doc.year, bool(hits), summary,
                                  found_a, found_t, tuple(h.citation() for h in hits)))
    return rows


def _summary(found_a, found_t) -> str:
    by_role: dict[str, list[str]] = {}
    for a in found_a:
        if a.agency not in by_role.setdefault(a.role, []):
            by_role[a.role].append(a.agency)
    parts = [f"{r}: {', '.join(by_role[r])}" for r in ROLES if r in by_role]
    parts += [f"chỉ tiêu: {t.comparator + ' ' if t.comparator else ''}{t.value}{'' if t.unit == '%' else ' '}{t.unit}"
              + (f" ({t.deadline})" if t.deadline else "") for t in found_t[:3]]
    return "; ".join(parts) or "Có đề cập, không nêu cơ quan hay chỉ tiêu cụ thể."


def plan_facts(index: Index, province: str | None = None, agency: str | None = None
               ) -> tuple[list[Assignment], list[Target]]:
    """Every assignment and target of the indexed plans, optionally of one province or agency."""
    wanted = canonical_agency(agency) or agency if agency else None
    out_a, out_t = [], []
    for doc in index.documents.values():
        if province and doc.metadata.province != province:
            continue
        found_a, found_t = index.facts(doc.doc_id)  # read when the plan was indexed
        out_a += [a for a in found_a if not wanted or a.agency == wanted]
        if not wanted:
            out_t += found_t
    return out_a, out_t


def rows_to_csv(rows: list[ComparisonRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["province", "document", "year", "found", "summary", "sections"])
    for r in rows:
        w.writerow([r.province, r.document, r.year or "", "yes" if r.found else "no", r.summary,
                    " ".join(c.section for c in r.citations)])
    return buf.getvalue()


def rows_to_markdown(rows: list[ComparisonRow]) -> str:
    lines = ["| Tỉnh | Văn bản | Năm | Nội dung | Mục |", "|---|---|---|---|---|"]
    for r in rows:
        cells = [r.province, r.document, str(r.year or ""), r.summary, ", ".join(c.section for c in r.citations)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
