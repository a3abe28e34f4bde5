"""How plans compare on a topic: per plan, the responsible agencies, the targets, and where they are said."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from .answer import coverage
from .agencies import is_agency
from .facts import ROLES, assignments, targets
from .stores import Store
from .records import Assignment, Citation, Target
from .retrieve import best_by_plan, plans_of

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


def compare(index: Store, topic: str, provinces: list[str] | None = None, per_plan: int = 3) -> list[ComparisonRow]:
    """One row per plan (of `provinces`, as users spell them, or all): who is responsible for `topic` (with
    roles), its targets, and the paragraphs. Raises ValueError naming a province that has no plan here."""
    docs, unknown = plans_of(index, provinces) if provinces else (list(index.documents.values()), [])
    if unknown:
        raise ValueError(_no_plans(index, unknown))
    found = best_by_plan(index, topic, docs)
    rows = []
    for doc in sorted(docs, key=lambda d: (d.metadata.province or "", d.doc_id)):
        hits = [h for h in found.get(doc.doc_id, []) if coverage(topic, h.paragraph) >= MIN_COVERAGE][:per_plan]
        found_a = tuple(a for h in hits for a in assignments(h.paragraph))
        found_t = tuple(t for h in hits for t in targets(h.paragraph))
        summary = _summary(found_a, found_t) if hits else f"Kế hoạch không đề cập '{topic}'."
        rows.append(ComparisonRow(doc.metadata.province or "", doc.label, doc.year, bool(hits), summary,
                                  found_a, found_t, tuple(h.citation() for h in hits)))
    return rows


def _no_plans(index: Store, names: list[str]) -> str:
    held = sorted({d.metadata.province for d in index.documents.values() if d.metadata.province})
    return (f"no indexed plan of {', '.join(repr(n) for n in names)}; the index holds plans of: "
            f"{', '.join(held) or 'no province'}")


def _summary(found_a, found_t) -> str:
    by_role: dict[str, list[str]] = {}
    for a in found_a:
        if a.agency not in by_role.setdefault(a.role, []):
            by_role[a.role].append(a.agency)
    parts = [f"{r}: {', '.join(by_role[r])}" for r in ROLES if r in by_role]
    parts += [f"chỉ tiêu: {t.comparator + ' ' if t.comparator else ''}{t.value}{'' if t.unit == '%' else ' '}{t.unit}"
              + (f" ({t.deadline})" if t.deadline else "") for t in found_t[:3]]
    return "; ".join(parts) or "Có đề cập, không nêu cơ quan hay chỉ tiêu cụ thể."


def plan_facts(index: Store, province: str | None = None, agency: str | None = None
               ) -> tuple[list[Assignment], list[Target]]:
    """Every assignment and target of the indexed plans, optionally of one province (as users spell it) or of one
    agency (then no targets). Raises ValueError naming a province that has no plan here."""
    docs, unknown = plans_of(index, [province]) if province else (list(index.documents.values()), [])
    if unknown:
        raise ValueError(_no_plans(index, unknown))
    out_a, out_t = [], []
    for doc in docs:
        found_a, found_t = index.facts(doc.doc_id)  # read when the plan was indexed
        out_a += [a for a in found_a if not agency or is_agency(a.agency, agency)]
        if not agency:
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
        lines.append("| " + " | ".join(" ".join(c.split()).replace("|", "\\|") for c in cells) + " |")  # one line a row
    return "\n".join(lines)
