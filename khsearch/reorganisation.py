"""The 2025 reorganisation of provincial government (data/reorganisation.tsv): which body holds a former
body's duties at a plan's date, and which former bodies a new one absorbed."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .agencies import canonical_agency, clean, key
from .normalize import has_diacritics, read_table, syllables


@dataclass(frozen=True)
class Transfer:
    """A duty that moved from a former body to its successor."""

    former: str
    successor: str
    duty: str
    whole: bool  # the former body ceased to exist
    new: bool  # the successor was created by the change
    date: str  # ISO date the change took effect
    act: str
    comment: str = ""

    def sentence(self) -> str:
        """'Sở Kế hoạch và Đầu tư nay là Sở Tài chính (Nghị định 45/2025/NĐ-CP ngày 28/02/2025, từ 01/3/2025)'."""
        d = "/".join(str(int(x)) for x in reversed(self.date.split("-")))
        why = f"{self.act}, từ {d}" if self.act else f"từ {d}"
        what = "" if self.duty == "toàn bộ" else f" (phần {self.duty})"
        return f"{self.former}{what} nay là {self.successor} ({why})"


@lru_cache(maxsize=None)
def transfers() -> tuple[Transfer, ...]:
    rows = read_table("reorganisation.tsv")
    return tuple(Transfer(r[0], r[1], r[2], r[3] == "yes", r[4] == "yes", r[5], r[6] if len(r) > 6 else "",
                          r[7] if len(r) > 7 else "") for r in rows)


def successors(agency: str, date: str | None = None) -> list[Transfer]:
    """The bodies that took over a former agency's duties by `date` (ISO; None = today), main successor first;
    [] when the agency still exists then."""
    name = canonical_agency(agency) or clean(agency)
    return [t for t in transfers() if t.former == name and t.whole and (date is None or date[:10] >= t.date)]


def successor(agency: str, date: str | None = None) -> str | None:
    """The body that now holds a former agency's duties (its main successor), or None if it still exists."""
    found = successors(agency, date)
    return found[0].successor if found else None


def predecessors(agency: str, date: str | None = None) -> list[Transfer]:
    """The former bodies whose duties an agency took over by `date` (all of them when date is None)."""
    name = canonical_agency(agency) or clean(agency)
    return [t for t in transfers() if t.successor == name and (date is None or date[:10] >= t.date)]


def as_of(agency: str, date: str | None, duty: str = "") -> tuple[list[str], list[Transfer]]:
    """The agencies whose names a plan of `date` uses for an agency's duties, and the transfers that say why.
    A body gone by then is its successor (the one whose duty the words `duty` name most, else the main one); a body
    that took over duties after the plan is itself and the former bodies it absorbed whole (or for `duty`).
    ([agency], []) when nothing changed."""
    name = canonical_agency(agency) or clean(agency)
    if not date:
        return [name], []
    accents = has_diacritics(duty)  # compare with diacritics when the question has them ('tế' is not 'tệ')

    def terms(text: str) -> set[str]:  # syllables and syllable pairs ('trợ cấp' tells 'bảo trợ xã hội' apart)
        out = set()
        for part in text.split(","):
            words = [w for w in (syllables(part) if accents else key(part).split()) if w not in ("và", "va")]
            out |= set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])}
        return out
    asked = terms(duty)  # the caller leaves the agency's own name out

    def fits(t: Transfer) -> int:
        return sum(1 + (" " in w) for w in asked & terms(t.duty))
    later = successors(name, date)
    if later:
        best = max(later, key=fits)
        chosen = best if fits(best) else later[0]
        return [chosen.successor], [chosen]
    earlier = [t for t in predecessors(name) if date[:10] < t.date and (t.duty == "toàn bộ" or fits(t)
                                                                          or not existed(name, date))]
    return [name] + list(dict.fromkeys(t.former for t in earlier)), earlier


def existed(agency: str, date: str) -> bool:
    """Whether a body existed at a date (one created by the 2025 reorganisation did not before it)."""
    name = canonical_agency(agency) or clean(agency)
    return not any(t.successor == name and t.new and date[:10] < t.date for t in transfers())
