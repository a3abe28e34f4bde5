"""Where a text names a province or centrally-run city, read in context; the 2025 mergers."""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from .normalize import fold, fold_aligned, has_diacritics, nfc, normalize, read_table

MERGED_ON = "2025-07-01"  # Nghị quyết 202/2025/QH15: 34 provinces and cities from this day
_NAME_WORD = re.compile(r"[^\W\d_]+")


def _key(spelling: str) -> str:
    """One form of a spelling for look-up: 'TP. Hồ Chí Minh' -> 'tp.hồ chí minh' (case and spacing dropped)."""
    return re.sub(r"\s*([-.])\s*", r"\1", " ".join(normalize(spelling).lower().split()))


@lru_cache(maxsize=None)
def _table() -> tuple[dict[str, tuple[str, str]], dict[str, frozenset[str]], frozenset[str]]:
    """(folded key -> (name, level), name -> keys with diacritics, folded keys that need a place word)."""
    by_fold, spelt, cued = {}, {}, set()
    for name, level, *rest in read_table("provinces.tsv"):
        aliases = [a for a in (rest[0] if rest else "").split("|") if a]
        only_cued = [a for a in (rest[1] if len(rest) > 1 else "").split("|") if a]
        for spelling in [name, *aliases, *only_cued]:
            by_fold[fold(_key(spelling))] = (name, level)
            spelt.setdefault(name, set()).add(_key(spelling))
        cued.update(fold(_key(a)) for a in only_cued)
    return by_fold, {n: frozenset(s) for n, s in spelt.items()}, frozenset(cued)


@lru_cache(maxsize=None)
def provinces() -> dict[str, tuple[str, str]]:
    """Folded spelling -> (canonical name, level 'tỉnh' | 'thành phố'), from data/provinces.tsv."""
    return dict(_table()[0])


@lru_cache(maxsize=4096)  # asked once per plan and question when a search is narrowed to a province
def canonical(name: str) -> str | None:
    """The table's name of a province however it is spelt ('khanh hoa', 'TP.HCM'), or None."""
    hit = _table()[0].get(fold(_key(name or "")))
    return hit[0] if hit else None


def province_level(name: str) -> str:
    return _table()[0].get(fold(_key(name)), (name, "tỉnh"))[1]


# --- the 2025 mergers -----------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _mergers() -> dict[str, str]:
    return {canonical(old) or old: canonical(new) or new for old, new in read_table("mergers.tsv")}


def merged_into(name: str) -> str | None:
    """The province a former province joined in 2025 ('Thái Bình' -> 'Hưng Yên'), or None."""
    return _mergers().get(canonical(name) or name)


def absorbed(name: str) -> tuple[str, ...]:
    """The former provinces that joined this one in 2025 ('Hưng Yên' -> ('Thái Bình',))."""
    name = canonical(name) or name
    return tuple(old for old, new in _mergers().items() if new == name)


def describe(name: str) -> str:
    """A province as an answer names it: 'Thái Bình, nay thuộc tỉnh Hưng Yên' for a former one."""
    new = merged_into(name)
    if not new:
        return name
    level = province_level(new)
    return f"{name}, nay thuộc {new if new.lower().startswith(level) else f'{level} {new}'}"


# --- finding names in text ------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _cues() -> dict[str, dict[str, str]]:
    """Category of data/place_cues.tsv -> {phrase with diacritics, lower case: strength}."""
    out: dict[str, dict[str, str]] = {}
    for row in read_table("place_cues.tsv"):
        out.setdefault(row[0], {})[normalize(row[1]).lower()] = row[2] if len(row) > 2 else ""
    return out


@lru_cache(maxsize=None)
def _cue_pattern(category: str, folded: bool, at_end: bool) -> re.Pattern | None:
    """The phrases of a category, ending the text before a name (at_end) or starting the text after it."""
    phrases = {fold(p) if folded else p for p in _cues().get(category, {})}
    if not phrases:
        return None
    alt = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<!\w)({alt})[\s.]*$" if at_end else rf"^[\s*]*({alt})(?!\w)")


@lru_cache(maxsize=None)
def _pattern() -> re.Pattern:
    def flexible(key: str) -> str:
        return re.escape(key).replace(r"\-", r"\s*-\s*").replace(r"\.", r"\.\s*").replace(r"\ ", r"\s+")
    keys = sorted(_table()[0], key=len, reverse=True)
    return re.compile(r"(?<!\w)(" + "|".join(flexible(k) for k in keys) + r")(?!\w)")


@lru_cache(maxsize=None)
def _surnames() -> frozenset[str]:
    return frozenset(r[0] for r in read_table("surnames.tsv"))


@lru_cache(maxsize=None)
def _false_friends() -> tuple[str, ...]:
    return tuple(fold(p) for p in _cues().get("false_friend", {}))


def mentions(text: str, body: bool = False) -> list[tuple[str, int, int]]:
    """(canonical name, start, end) of each place the text names, in order; offsets index nfc(text).

    A question names a place with a place word ('tỉnh X', 'ở X', 'của X', 'X giao', 'X:'), at its start
    or end, or as a capitalised name that agrees with the diacritics; typed without diacritics, only
    where no ordinary word reads the same. `body=True` reads a plan's text: capitalised names and place
    words only, and a former province marked '(cũ)' or '(nay là ...)' is not counted.
    """
    t = nfc(text or "")
    f = fold_aligned(t)
    found, accented = [], has_diacritics(t)
    for m in _pattern().finditer(f):
        name = _table()[0].get(_fold_key(m[0]))
        if name and _is_place(t, f, m.start(), m.end(), name[0], body, accented):
            found.append((name[0], m.start(), m.end()))
    return found


def find_provinces(text: str, body: bool = False) -> list[str]:
    """Canonical names of the provinces a text names as places, in order of mention (see `mentions`)."""
    return [name for name, _, _ in mentions(text, body)]


def main_province(text: str, date: str | None = None) -> str | None:
    """The province a plan's body names most; from 1/7/2025 on, provinces merged away do not count."""
    names = find_provinces(text, body=True)
    if date and date >= MERGED_ON:
        names = [n for n in names if not merged_into(n)]
    counts = Counter(names)
    return counts.most_common(1)[0][0] if counts else None


def _fold_key(matched: str) -> str:
    return re.sub(r"\s*([-.])\s*", r"\1", " ".join(matched.split()))


def _is_place(t: str, f: str, s: int, e: int, name: str, body: bool, accented: bool) -> bool:
    span = t[s:e]
    key = _fold_key(f[s:e])
    exact = _key(span) in _table()[1][name]
    if not exact and has_diacritics(span):
        return False  # 'diễn biến' is not 'Điện Biên', 'nghề an' is not 'Nghệ An'
    before, after = t[max(0, s - 40):s], t[e:e + 30]
    folded = not (exact and accented)  # the words around are read the way the text is typed
    form = fold if folded else (lambda x: normalize(x).lower())
    if body and re.match(r"\s*\(?\s*(cũ|nay là|nay thuộc)(?!\w)", normalize(after).lower()):
        return False  # 'tỉnh Phú Yên (cũ)' in a plan of Đắk Lắk
    cue = _cue(before, form, folded)
    strong = key.startswith(("tinh ", "thanh pho ", "tp")) or cue == "strong"
    if key in _table()[2]:  # 'Hồ Chí Minh' bare is the person, 'Sài Gòn' a company
        return strong or (not body and not re.search(r"\w", t[:s]) and after.lstrip()[:1] in (":", ","))
    if strong:
        return True
    if exact and (p := _cue_pattern("not_before", False, True)) and p.search(form(before)):
        return False  # 'xã Hòa Bình', 'đường Hà Nội'
    if _inside_false_friend(f, s, e, key):
        return False  # 'nghe an toan' reads 'nghề an toàn'
    words = _NAME_WORD.findall(span)
    capital = all(w[:1].isupper() for w in words)
    if exact and capital:
        return not _longer_name(before, after, span)
    if body:
        return False
    weak = cue == "weak" or bool(re.match(r"\s*:", after)) or \
        bool((p := _cue_pattern("after", folded, False)) and p.match(form(after)))
    weak = weak or _after_agency(t[max(0, s - 60):s])  # 'doan thanh nien thai binh': the Đoàn of Thái Bình
    edge = not re.search(r"\w", t[:s]) or not re.search(r"\w", t[e:])
    ordinary = key in _false_friends()  # 'hoa binh' is also 'hòa bình'
    return weak or (capital and not ordinary) or (edge and not ordinary)


def _cue(before: str, form, folded: bool) -> str | None:
    p = _cue_pattern("before", folded, True)
    m = p.search(form(before)) if p else None
    if not m:
        return None
    table = _cues()["before"]
    return next((v for k, v in table.items() if (fold(k) if folded else k) == " ".join(m[1].split())), "weak")


def _after_agency(before: str) -> bool:
    """Whether an agency's name ends right before ('Sở Y tế', 'doan thanh nien'): its province follows."""
    from .agencies import agencies_in  # agencies read the place words; imported here, where it is needed

    head = before.rstrip(" \t")
    return len(head) < len(before) and any(e == len(head) for _, _, e in agencies_in(head, question=True))


def _inside_false_friend(f: str, s: int, e: int, key: str) -> bool:
    """Whether an ordinary word other than the name itself runs over the name ('an toan' over 'nghe an')."""
    window_start = max(0, s - 20)
    window = f[window_start:e + 20]
    for word in _false_friends():
        if word == key:
            continue
        for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", window):
            a, b = m.start() + window_start, m.end() + window_start
            if a < e and b > s:
                return True
    return False


def _longer_name(before: str, after: str, span: str) -> bool:
    """Whether a capitalised name is part of a longer one: a person ('Nguyễn Thị Huế'), 'Thái Bình Dương'."""
    if not span.isupper():
        nxt = re.match(r"[ \t]+([^\W\d_]+)", after)
        if nxt and nxt[1][:1].isupper() and not nxt[1].isupper():
            return True
    run = re.search(r"((?:[^\W\d_]+[ \t]+)+)$", before)
    words = run[1].split() if run else []
    capitalised = []
    for w in reversed(words):
        if not w[:1].isupper():
            break
        capitalised.insert(0, w)
    return bool(capitalised) and len(capitalised) <= 3 and capitalised[0] in _surnames() \
        and not any(w.isupper() and len(w) > 1 for w in capitalised)
