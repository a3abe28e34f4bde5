"""What a plan says about itself (province, number, date, type, title, signer, issuer), found in its text."""
from __future__ import annotations

import json
import re
from dataclasses import fields, replace
from pathlib import Path

from .normalize import fold, read_table
from .parse import CONTENT_KINDS, doc_types, looks_like_name
from .places import find_provinces, main_province, province_level
from .records import Metadata, Paragraph

_SUFFIX = r"[A-ZĐ][A-ZĐa-z0-9&.\-]*?(?:-[A-ZĐ0-9&.]+)*"
_NUMBER = re.compile(rf"\bS[ốo]\s*(?:hiệu)?\s*:?\s*(\d{{1,5}}(?:/\d{{4}})?)\s*/\s*({_SUFFIX})(?![\w-])")
_BARE_NUMBER = re.compile(rf"^\s*(\d{{1,5}}(?:/\d{{4}})?)\s*/\s*([A-ZĐ]{{1,6}}(?:-[A-ZĐ0-9]{{1,10}})+)(?![\w/-])", re.MULTILINE)
_ATTACHED = re.compile(r"K[èe]m\s+theo\s+(?P<type>[^\d\n]{2,30}?)\s+s[ốo]\s*(?P<n>\d{1,5})\s*/\s*(?P<suffix>[A-ZĐ][A-ZĐ0-9&.\-]*)"
                       r"(?:\s+ngày\s+(?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})\s*/\s*(?P<y>\d{4}))?", re.IGNORECASE)
_LONG_DATE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_SHORT_DATE = re.compile(r"ngày\s+(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"th\w{0,3}ng\s*(\d{1,2})\s+n\w{0,2}m\s+(\d{4})", re.IGNORECASE)
_SITE_DATE = re.compile(r"Ngày\s+ban\s+hành\s*:\s*(\d{1,2})/(\d{1,2})/(\d{4})")
_SITE_SIGNER = re.compile(r"Người\s+ký\s*:\s*([^\n:]+?)\s*$", re.MULTILINE)
_SITE_PLACE = re.compile(r"Nơi\s+ban\s+hành\s*:\s*([^\n]+?)(?:\s+Người\s+ký|$)", re.MULTILINE)
_ISSUER_START = re.compile(r"(ỦY|UỶ)\s+BAN|HỘI\s+ĐỒNG|SỞ\s|BAN\s+CHỈ\s+ĐẠO|UBND", re.IGNORECASE)
_ISSUER_SIGNED = re.compile(r"TM\.\s*(ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN|HỘI ĐỒNG NHÂN DÂN)", re.IGNORECASE)
_ISSUER_SAID = re.compile(r"(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+(tỉnh|thành phố)\b[^.;\n]{0,30}?\s(?:ban hành|xây dựng)\s+Kế hoạch")
_GAP = re.compile(r"\t+| {3,}")  # between the two cells of a line of a two-column layout copied as text


def _iso(y, m, d=None) -> str:
    return f"{int(y):04d}-{int(m):02d}" + (f"-{int(d):02d}" if d else "")


def _valid(y, m, d=None) -> bool:
    return 1945 <= int(y) <= 2100 and 1 <= int(m) <= 12 and (d is None or 1 <= int(d) <= 31)


def extract(paragraphs: list[Paragraph], text: str) -> Metadata:
    """Metadata of a plan from its paragraphs; a field that the text does not give stays None."""
    by_kind = lambda *kinds: [p for p in paragraphs if p.kind in kinds]
    left, right = _two_columns(_lines(by_kind("header"), text))
    head = left + right  # a header printed side by side is read one column after the other
    place_date = next(iter(by_kind("place_date")), None)
    place_line = place_date.plain if place_date else next((l for l in head if "," in l and _date_in(l)), "")
    titles = by_kind("title")
    signed = _two_columns(_lines(by_kind("recipients", "signature"), text))[1]  # beside the recipients, if so
    closing = _lines(by_kind("signature"), text)
    head_text = "\n".join(head)
    site_text = "\n".join(p.plain for p in by_kind("chrome", "header"))
    attached = next((m for p in paragraphs if p.kind in CONTENT_KINDS for m in [_ATTACHED.search(p.plain)] if m), None)

    number = date = None
    if m := _NUMBER.search(head_text) or _BARE_NUMBER.search(head_text):
        number = f"{m[1]}/{m[2].rstrip('.')}"
    elif attached:
        number = f"{attached['n']}/{attached['suffix']}"
    for source in (place_line, head_text):
        if date := _date_in(source):
            break
    if not date and (m := _SITE_DATE.search(site_text)) and _valid(m[3], m[2], m[1]):
        date = _iso(m[3], m[2], m[1])
    if not date and attached and attached["y"] and _valid(attached["y"], attached["m"], attached["d"]):
        date = _iso(attached["y"], attached["m"], attached["d"])

    doc_type, title = _type_and_title(titles, number)
    signer = signer_in("\n".join(signed)) or signer_in("\n".join(closing))
    if signer is None and (m := _SITE_SIGNER.search(site_text)):
        signer = m[1].strip()

    issuer_caps = _issuer_lines(head)
    province = _province(issuer_caps, place_line, site_text, paragraphs, date)
    issuer = _issuer(issuer_caps, province, signed + closing, paragraphs, number)
    return Metadata(province, number, date, doc_type, title, signer, issuer)


def _lines(paragraphs: list[Paragraph], text: str) -> list[str]:
    """The paragraphs' lines as printed, the first with its indentation (which column a lone cell is in)."""
    out = []
    for p in paragraphs:
        indent = text[text.rfind("\n", 0, p.start) + 1:p.start]
        out += ((indent if indent.isspace() else "") + p.plain).split("\n")
    return [line for line in out if line.strip()]


def _two_columns(lines: list[str]) -> tuple[list[str], list[str]]:
    """The cells of a block laid out in two columns and copied as text (a header, a closing): the left column's,
    then the right column's. A wide gap parts a line's cells; a lone cell nearer the right column's start than
    the margin is on the right. Lines without a wide gap are one column."""
    rows = []
    for line in lines:
        cells, shown = _GAP.split(line.strip()), line.expandtabs(8).rstrip()
        rows.append((len(shown) - len(shown.lstrip()), len(shown) - len(cells[-1]), cells))
    starts = sorted(right for _, right, cells in rows if len(cells) > 1)
    if not starts:
        return [line.strip() for line in lines], []
    middle = starts[len(starts) // 2] / 2
    left = [cells[0] for indent, _, cells in rows if len(cells) > 1 or indent < middle]
    right = [" ".join(cells[1:]) or cells[0] for indent, _, cells in rows if len(cells) > 1 or indent >= middle]
    return left, right


def _date_in(text: str) -> str | None:
    """The ISO date a place-date line or header gives: 'ngày 20 tháng 11 năm 2025', 'ngày 05/3/2024',
    or 'tháng 3 năm 2017' when the day is unreadable."""
    for pattern in (_LONG_DATE, _SHORT_DATE):
        if (m := pattern.search(text)) and _valid(m[3], m[2], m[1]):
            return _iso(m[3], m[2], m[1])
    if (m := _MONTH_YEAR.search(text)) and _valid(m[2], m[1]):
        return _iso(m[2], m[1])
    return None


def _type_and_title(titles: list[Paragraph], number: str | None) -> tuple[str | None, str | None]:
    """The document's type and title. A Quyết định that promulgates a plan is the plan it carries: its type
    line and title come after the decision's signature."""
    types = doc_types()
    lines = [(i, types.get(fold(p.plain).strip())) for i, p in enumerate(titles)]
    typed = [(i, t) for i, t in lines if t]
    flat = lambda p: " ".join(p.plain.split())
    if typed:
        i, doc_type = typed[-1] if len(typed) > 1 and typed[0][1] == "Quyết định" else typed[0]
        title = flat(titles[i + 1]) if i + 1 < len(titles) and not lines[i + 1][1] else None
        return doc_type, title
    if number:
        abbreviation = number.split("/")[-1].split("-")[0]
        doc_type = next((row[0] for row in read_table("doc_types.tsv") if row[1] == abbreviation), None)
        return doc_type, (flat(titles[0]) if titles else None)
    return None, (flat(titles[0]) if titles else None)


def signer_in(text: str) -> str | None:
    """The name under a signature block: its last line that is a person's name, in capitals or not."""
    for line in reversed([l.strip() for l in text.split("\n") if l.strip()]):
        if looks_like_name(line):
            return line.title() if line.isupper() else " ".join(line.split())
    return None


def _issuer_lines(head: list[str]) -> str:
    """The issuing body as printed in the header, before the national motto: 'ỦY BAN NHÂN DÂN TỈNH CÀ MAU'."""
    lines, taking = [], False
    for line in head:
        flat = " ".join(line.split())
        if fold(flat).startswith("cong hoa"):
            break
        if _ISSUER_START.match(flat) and flat.isupper():
            lines, taking = [flat], True
        elif taking and flat.isupper():
            lines.append(flat)
        else:
            taking = False
    return " ".join(lines)


def _province(issuer_caps, place_line, site_text, paragraphs, date) -> str | None:
    for text in (issuer_caps, place_line.split(",")[0],
                 m[1] if (m := _SITE_PLACE.search(site_text)) else ""):
        if found := find_provinces(text):
            return found[0]
    return main_province(" ".join(p.plain for p in paragraphs if p.kind in CONTENT_KINDS), date)


def _issuer(issuer_caps, province, closing, paragraphs, number) -> str | None:
    if issuer_caps:
        out = issuer_caps.lower()
        out = out[0].upper() + out[1:]
        if province:
            out = out.replace(province.lower(), province)
        return out
    if not province:
        return None
    body = " ".join(p.plain for p in paragraphs)
    signed = any(_ISSUER_SIGNED.search(line) for line in closing)
    said = _ISSUER_SAID.search(body)
    if signed or said or (number and number.endswith("-UBND")):
        return f"Ủy ban nhân dân {province_level(province)} {province}"
    return None


def apply_sidecar(meta: Metadata, path: Path) -> Metadata:
    """Fields from '<file>.meta.json' beside the source override what the text gave."""
    side = sidecar_path(path)
    if not side.exists():
        return meta
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ValueError(f"{side}: not a readable JSON object ({e})") from None
    known = {f.name for f in fields(Metadata)}
    if not isinstance(data, dict) or set(data) - known:
        raise ValueError(f"{side}: expected a JSON object with fields among {sorted(known)}")
    return replace(meta, **data)


def sidecar_path(path: Path) -> Path:
    return Path(str(path) + ".meta.json")
