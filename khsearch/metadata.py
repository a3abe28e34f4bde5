"""What a plan says about itself (province, number, date, type, title, signer, issuer), found in its text."""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import fields, replace
from functools import lru_cache
from pathlib import Path

from .normalize import fold, read_table
from .parse import CONTENT_KINDS, doc_types, looks_like_name
from .records import Metadata, Paragraph

_NUMBER = re.compile(r"\bS[ốo]\s*(?:hiệu)?\s*:\s*(\d{1,5})\s*/\s*([A-ZĐ][A-ZĐa-z0-9&.\-]*(?:/[A-ZĐ0-9&.\-]+)?)")
_ATTACHED = re.compile(r"K[èe]m\s+theo\s+(?P<type>[^\d\n]{2,30}?)\s+s[ốo]\s*(?P<n>\d{1,5})\s*/\s*(?P<suffix>[A-ZĐ][A-ZĐ0-9&.\-]*)"
                       r"(?:\s+ngày\s+(?P<d>\d{1,2})\s*/\s*(?P<m>\d{1,2})\s*/\s*(?P<y>\d{4}))?", re.IGNORECASE)
_LONG_DATE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"th\w{0,3}ng\s*(\d{1,2})\s+n\w{0,2}m\s+(\d{4})", re.IGNORECASE)
_SITE_DATE = re.compile(r"Ngày\s+ban\s+hành\s*:\s*(\d{1,2})/(\d{1,2})/(\d{4})")
_SITE_SIGNER = re.compile(r"Người\s+ký\s*:\s*([^\n:]+?)\s*$", re.MULTILINE)
_SITE_PLACE = re.compile(r"Nơi\s+ban\s+hành\s*:\s*([^\n]+?)(?:\s+Người\s+ký|$)", re.MULTILINE)
_ISSUER_START = re.compile(r"(ỦY|UỶ)\s+BAN|HỘI\s+ĐỒNG|SỞ\s|BAN\s+CHỈ\s+ĐẠO|UBND", re.IGNORECASE)
_ISSUER_SIGNED = re.compile(r"TM\.\s*(ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN|HỘI ĐỒNG NHÂN DÂN)", re.IGNORECASE)
_ISSUER_SAID = re.compile(r"(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+(tỉnh|thành phố)\b[^.;\n]{0,30}?\s(?:ban hành|xây dựng)\s+Kế hoạch")


@lru_cache(maxsize=None)
def provinces() -> dict[str, tuple[str, str]]:
    """Folded spelling -> (canonical name, level 'tỉnh' | 'thành phố'), from data/provinces.tsv."""
    out = {}
    for name, level, *rest in read_table("provinces.tsv"):
        for spelling in [name, *filter(None, (rest[0] if rest else "").split("|"))]:
            out[fold(spelling)] = (name, level)
    return out


@lru_cache(maxsize=None)
def _province_pattern() -> re.Pattern:
    names = sorted(provinces(), key=len, reverse=True)
    return re.compile(r"(?<![\w])(" + "|".join(re.escape(n) for n in names) + r")(?![\w])")


def find_provinces(text: str) -> list[str]:
    """Canonical names of the provinces a text names, in order of mention, accents optional."""
    return [provinces()[m] [0] for m in _province_pattern().findall(fold(text))]


def province_level(name: str) -> str:
    return provinces().get(fold(name), (name, "tỉnh"))[1]


def _iso(y, m, d=None) -> str:
    return f"{int(y):04d}-{int(m):02d}" + (f"-{int(d):02d}" if d else "")


def _valid(y, m, d=None) -> bool:
    return 1945 <= int(y) <= 2100 and 1 <= int(m) <= 12 and (d is None or 1 <= int(d) <= 31)


def extract(paragraphs: list[Paragraph], text: str) -> Metadata:
    """Metadata of a plan from its paragraphs; a field that the text does not give stays None."""
    by_kind = lambda *kinds: [p for p in paragraphs if p.kind in kinds]
    header = by_kind("header")
    place_date = next(iter(by_kind("place_date")), None)
    titles = by_kind("title")
    closing = by_kind("signature")
    head_text = "\n".join(p.text for p in header)
    attached = next((m for p in paragraphs if p.kind in CONTENT_KINDS for m in [_ATTACHED.search(p.text)] if m), None)

    number = date = None
    if m := _NUMBER.search(head_text):
        number = f"{m[1]}/{m[2].rstrip('.')}"
    elif attached:
        number = f"{attached['n']}/{attached['suffix']}"
    if place_date and (m := _LONG_DATE.search(place_date.text)) and _valid(m[3], m[2], m[1]):
        date = _iso(m[3], m[2], m[1])
    elif place_date and (m := _MONTH_YEAR.search(place_date.text)) and _valid(m[2], m[1]):
        date = _iso(m[2], m[1])
    elif (m := _SITE_DATE.search(head_text)) and _valid(m[3], m[2], m[1]):
        date = _iso(m[3], m[2], m[1])
    elif attached and attached["y"] and _valid(attached["y"], attached["m"], attached["d"]):
        date = _iso(attached["y"], attached["m"], attached["d"])

    doc_type = None
    types = doc_types()
    if titles and fold(titles[0].text).strip() in types:
        doc_type = types[fold(titles[0].text).strip()]
    elif number:
        abbreviation = number.split("/", 1)[1].split("-")[0]
        doc_type = next((row[0] for row in read_table("doc_types.tsv") if row[1] == abbreviation), None)
    title = " ".join(" ".join(p.text.split()) for p in titles[1:2]) or None

    signer = next((" ".join(p.text.split()) for p in reversed(closing) if looks_like_name(p.text.strip())), None)
    if signer is None and (m := _SITE_SIGNER.search(head_text)):
        signer = m[1].strip()

    issuer_caps = _issuer_lines(header)
    province = _province(issuer_caps, place_date, head_text, paragraphs)
    issuer = _issuer(issuer_caps, province, closing, paragraphs, number)
    return Metadata(province, number, date, doc_type, title, signer, issuer)


def _issuer_lines(header: list[Paragraph]) -> str:
    """The issuing body as printed in the header, before the national motto: 'ỦY BAN NHÂN DÂN TỈNH CÀ MAU'."""
    lines, taking = [], False
    for p in header:
        flat = " ".join(p.text.split())
        if fold(flat).startswith("cong hoa"):
            break
        if _ISSUER_START.match(flat) and flat.isupper():
            lines, taking = [flat], True
        elif taking and flat.isupper():
            lines.append(flat)
        else:
            taking = False
    return " ".join(lines)


def _province(issuer_caps, place_date, head_text, paragraphs) -> str | None:
    for text in (issuer_caps, place_date.text.split(",")[0] if place_date else "",
                 m[1] if (m := _SITE_PLACE.search(head_text)) else ""):
        if found := find_provinces(text):
            return found[0]
    body = " ".join(p.text for p in paragraphs if p.kind in CONTENT_KINDS)
    counts = Counter(find_provinces(body))
    return counts.most_common(1)[0][0] if counts else None


def _issuer(issuer_caps, province, closing, paragraphs, number) -> str | None:
    if issuer_caps:
        out = issuer_caps.lower()
        out = out[0].upper() + out[1:]
        if province:
            out = out.replace(province.lower(), province)
        return out
    if not province:
        return None
    body = " ".join(p.text for p in paragraphs)
    signed = any(_ISSUER_SIGNED.search(p.text) for p in closing)
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
