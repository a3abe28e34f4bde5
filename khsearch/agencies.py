"""Agencies named in text: found by their shape (a head word and the name after it, data/agency_words.tsv) and
named by the alias table (data/agencies.tsv); an agency no table knows is named as written."""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from .normalize import fold_aligned, read_table, unify_tones


def key(name: str) -> str:
    """How two spellings of a name compare: folded, separators and '&' dropped."""
    return " ".join(re.findall(r"[a-z0-9]+", fold_aligned(name)))


# --- the alias table ------------------------------------------------------------------------------

_SEP = r"[\s,\-]+"


def _alias_units(alias: str) -> list[str]:
    """One spelling as pattern units: accents optional, letters with diacritics may be lost, separators loose."""
    units: list[str] = []
    for word in re.split(r"[\s,\-–]+", alias.strip()):
        if not word:
            continue
        if units:
            units.append(_SEP)
        if fold_aligned(word) == "va":
            units += ["v", "a"]
            continue
        units += [re.escape(fold_aligned(c)) + ("?" if not c.isascii() and c.isalpha() else "")
                  for c in word if fold_aligned(c).strip()]
    return units


def _alias_regex(alias: str) -> str:
    return "".join(_alias_units(alias))


def _trie_regex(spellings) -> str:
    """One pattern for many spellings that shares their common beginnings (fast), preferring the longest."""
    trie: dict = {}
    for sp in spellings:
        node = trie
        for u in _alias_units(sp):
            node = node.setdefault(u, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alts = [u + emit(child) for u, child in node.items() if u] + ([""] if "" in node else [])
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return emit(trie)


@lru_cache(maxsize=None)
def _aliases() -> dict[str, str]:
    """Every spelling of the alias table -> its canonical name."""
    spellings: dict[str, str] = {}
    for row in read_table("agencies.tsv"):
        for a in [row[0], *filter(None, (row[1] if len(row) > 1 else "").split("|"))]:
            spellings[a] = row[0]
    return spellings


@lru_cache(maxsize=None)
def _agency_table() -> tuple[re.Pattern, tuple[tuple[re.Pattern, str, bool], ...]]:
    """One pattern for all spellings, and per spelling (longest first): its own pattern, its canonical name,
    and whether it is written with a capital head ('Báo tỉnh' is a name, 'báo tỉnh' in a sentence is not)."""
    spellings = _aliases()
    pattern = re.compile(rf"(?<![a-z0-9]){_trie_regex(spellings)}(?![a-z0-9])")
    ordered = sorted(spellings, key=len, reverse=True)
    return pattern, tuple((re.compile(_alias_regex(a)), spellings[a], _head_at(_word_list(a.split()), 0) is not None)
                          for a in ordered)


@lru_cache(maxsize=4096)
def _spelling(folded: str) -> tuple[str, bool]:
    """(canonical, capital head) of the spelling a matched piece of folded text is."""
    return next((c, cap) for p, c, cap in _agency_table()[1] if p.fullmatch(folded))


@lru_cache(maxsize=None)
def _keys() -> dict[str, str]:
    return {key(a): c for a, c in _aliases().items()}


# --- shape: head words, places, words that end a name -----------------------------------------------

@lru_cache(maxsize=None)
def _words(category: str) -> dict[str, str]:
    rows = [(r[1], r[2] if len(r) > 2 else "") for r in read_table("agency_words.tsv") if r[0] == category]
    if category == "document":  # a document type after a name starts a citation of it ('Bộ Chính trị Kết luận')
        rows += [(r[0], "") for r in read_table("doc_types.tsv")]
    return {unify_tones(p).lower(): v for p, v in rows}


@lru_cache(maxsize=None)
def _phrases(category: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    """Phrases of one category as word tuples, longest first."""
    return tuple(sorted(((tuple(p.split()), v) for p, v in _words(category).items()), key=lambda x: -len(x[0])))


@lru_cache(maxsize=65536)
def _plain_word(w: str) -> str:
    return unify_tones(unicodedata.normalize("NFC", w)).lower()


class _Words(list):
    """The words of a text, and whether to compare them folded (the text was typed without diacritics)."""

    folded = False


def _same(word: str, want: str, folded: bool) -> bool:
    """A text word equals a table word: with diacritics, or folded when the whole text has none."""
    w = _plain_word(word)
    return w == want or (folded and w == fold_aligned(want))


@lru_cache(maxsize=None)
def _by_first(category: str, folded: bool) -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    out: dict[str, list] = {}
    for phrase, value in _phrases(category):
        out.setdefault(fold_aligned(phrase[0]) if folded else phrase[0], []).append((phrase, value))
    return {k: tuple(v) for k, v in out.items()}


def _phrase_at(words: _Words, i: int, category: str) -> tuple[int, str] | None:
    """(length, value) of the longest phrase of a category starting at word i."""
    if i >= len(words):
        return None
    first = _plain_word(words[i])
    for phrase, value in _by_first(category, False).get(first, ()) + (
            _by_first(category, True).get(first, ()) if words.folded else ()):
        if i + len(phrase) <= len(words) and all(_same(words[i + k], p, words.folded) for k, p in enumerate(phrase)):
            return len(phrase), value
    return None


def _head_at(words: _Words, i: int) -> tuple[int, str] | None:
    """A head word at word i, written with a capital as names are (a title in capitals, 'BAN HÀNH', is not
    a name; an abbreviation, 'UBND', is): (length, what must follow it)."""
    if i >= len(words) or not words[i][:1].isupper():
        return None
    found = _phrase_at(words, i, "head")
    if found and len(words[i]) > 1 and words[i].isupper() and _plain_word(words[i]) not in _abbreviated_heads():
        return None
    return found


@lru_cache(maxsize=None)
def _abbreviated_heads() -> frozenset[str]:
    return frozenset(_plain_word(r[1]) for r in read_table("agency_words.tsv") if r[0] == "head" and r[1].isupper())


def _word_list(words, folded: bool = False) -> _Words:
    out = _Words(words)
    out.folded = folded
    return out


_TOKEN = re.compile(r"[A-ZĐ]{1,4}\.[A-ZĐ]{2,}|[^\W_]+(?:[&\-/][^\W_]+)*")
_ROMAN = re.compile(r"[IVXL]{1,6}")
_HARD_STOP = re.compile(r"[.;:()\[\]|\t!?\"“”]")


@dataclass(frozen=True)
class _Token:
    text: str
    start: int
    end: int

    @property
    def cap(self) -> bool:
        return self.text[:1].isupper()

    @property
    def abbr(self) -> bool:  # 'UBND', 'KH&CN', 'TP.HCM'; not a word of a title in capitals ('CÁC', 'HỘI')
        return sum(c.isupper() for c in self.text) >= 2 and fold_aligned(self.text) == self.text.lower().replace(
            "đ", "d")

    @property
    def number(self) -> bool:
        return self.text.isdigit() or bool(_ROMAN.fullmatch(self.text))


def _tokens(text: str) -> list[_Token]:
    return [_Token(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


MAX_LOWER = 4  # lower-case words a name may run on after its last capitalised word ('Phát triển quỹ đất tỉnh')
_TRIM = ("và", "các", "cấp", "của")


def _name_end(toks: list[_Token], text: str, i: int, head_len: int, needs: str) -> int | None:
    """Index after the last token of the agency name whose head starts at token i, or None if no name follows."""
    words = _word_list([t.text for t in toks], fold_aligned(text) == text.lower())
    j = end = i + head_len
    named = needs == "self"  # the head has what it needs after it: a capitalised word, or a level for 'place'
    bare = True  # nothing but the head so far: a second head is part of the name ('Văn phòng UBND tỉnh')
    at_level = False  # the name has reached its level ('... tỉnh', '... Tỉnh ủy'): 'và' no longer continues it
    lower_run, cap_end, closed = 0, None, False
    while j < len(toks):
        tok, sep = toks[j], text[toks[j - 1].end:toks[j].start]
        w = _plain_word(tok.text)
        if _HARD_STOP.search(sep) or re.search(r"\n\s*\n|\n\s*[-+•*]", sep):  # a new paragraph or list item
            break
        head, place = _head_at(words, j), _phrase_at(words, j, "place")
        if head and j == i + head_len and w == _plain_word(words[i]):  # 'Sở Sở Công thương'
            j = end = j + 1
            continue
        if "," in sep:
            after_place = _phrase_at(words, j - 1, "place") or (j >= 2 and _phrase_at(words, j - 2, "place"))
            if tok.cap and not tok.abbr and not head and named and not bare and not after_place \
                    and _listed_name(toks, text, words, i, j):
                pass  # 'Sở Văn hóa, Thể thao và Du lịch', 'Báo và Phát thanh, Truyền hình'
            elif place and after_place and not tok.cap and (w not in ("các", "cấp") or place[0] > 1):
                pass  # 'UBND các xã, phường, đặc khu'
            elif not tok.cap and named and not toks[j - 1].cap and _lower_list(toks, text, words, j):
                j = end = _lower_list(toks, text, words, j)  # 'Trung tâm Xúc tiến đầu tư, thương mại và du lịch'
                break
            else:
                break
        elif re.search(r"[-–]", sep) and (not (tok.cap or tok.abbr or tok.number)
                                          or _role_label(text[tok.start:tok.start + 40])):
            break  # not 'Sở Tài chính - Cơ quan thường trực'
        if _phrase_at(words, j, "document") and not bare:  # 'Văn phòng Chính phủ Kết luận ...'
            break
        if head and not (place and not bare and place[0] >= head[0]):  # 'Chi nhánh' heads a name, or is a level
            if bare or head[1] == "self":  # 'Văn phòng UBND', 'Bộ Công an', 'Ban Tuyên giáo Tỉnh ủy'
                j = end = j + head[0]
                named, bare, lower_run, cap_end = True, False, 0, j
                at_level = head[1] == "self"
                continue
            break
        if tok.cap or tok.abbr or tok.number:
            if place and not tok.abbr:  # 'Thành phố', 'Các'
                pass
            else:
                if tok.number and not named:
                    break
                j = end = j + 1
                named, bare, lower_run, cap_end = True, False, 0, None if tok.number else j
                at_level = False
                continue
        if w == "và":
            if _phrase_at(words, j, "end"):  # 'và các'
                break
            nxt = toks[j + 1] if j + 1 < len(toks) else None
            once = not any(_plain_word(w) == "và" for w in words[i:j])  # one 'và' to a name
            if once and (named or bare) and not at_level and nxt and (nxt.cap or nxt.abbr) \
                    and not _head_at(words, j + 1) and not _HARD_STOP.search(text[tok.end:nxt.start]):
                j += 1
                continue
            k = once and lower_run > 1 and nxt and not nxt.cap and _lower_list(toks, text, words, j + 1, False)
            if k:
                j = end = k  # 'Ban Quản lý các Khu chế xuất và công nghiệp (Thành phố)'
                closed = True
                continue
            break
        if place:
            if w == "các" and not bare and j + 1 < len(toks) and not (
                    toks[j + 1].cap or _phrase_at(words, j + 1, "place")):
                break
            j = end = j + place[0]
            at_level = w not in ("các", "cấp") and place[1] != "noun"
            named = named or needs == "place" or place[1] == "noun" or not bare
            if w != "các":
                bare = False
            continue
        if cap_end is None or closed or at_level or _phrase_at(words, j, "end"):  # after a capital, not a level
            break
        lower_run += 1
        if lower_run > MAX_LOWER:  # a verb phrase no table knows: keep the capitalised word and one syllable
            end = cap_end + 1 if cap_end is not None and cap_end < end else end
            break
        j = end = j + 1
    if not named:
        return None
    while end > i + head_len and _plain_word(words[end - 1]) in _TRIM:
        end -= 1
    return end


def _listed_name(toks: list[_Token], text: str, words: _Words, i: int, j: int) -> bool:
    """Whether the words after a comma in a name carry on the name: they reach 'và' and a capitalised word
    ('Văn hóa, Thể thao và Du lịch'), or the name before had its 'và' ('Báo và Phát thanh, Truyền hình')."""
    k = j
    while k < len(toks) and (k == j or not re.search(r"[,.;:()|]", text[toks[k - 1].end:toks[k].start])):
        if k > j and not toks[k].cap and (_phrase_at(words, k, "end") or (
                _plain_word(words[k]) == "và" and not (k + 1 < len(toks) and toks[k + 1].cap))):
            break
        k += 1
    segment = [_plain_word(w) for w in words[j:k]]
    if any(w == "và" and n < len(segment) - 1 and words[j + n + 1][:1].isupper() for n, w in enumerate(segment)):
        return True
    if "và" not in (_plain_word(w) for w in words[i:j]) or len(segment) > 4:
        return False
    run, leveled = 0, False  # name words: a capital and at most one more syllable each, then only places
    for n in range(j, k):
        if toks[n].cap or toks[n].abbr:
            run = 0
        elif _phrase_at(words, n, "place"):
            leveled = True
        elif leveled or (run := run + 1) > 1:
            return False
    return True


@lru_cache(maxsize=None)
def _head_start() -> re.Pattern:
    """The first words of all heads, folded: a quick test that a text may name an agency."""
    firsts = {fold_aligned(p[0]) for p, _ in _phrases("head")} | {fold_aligned(h) for h in _abbreviated_heads()}
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(sorted(map(re.escape, firsts), key=len, reverse=True))
                      + r")(?![a-z0-9])")


def _lower_list(toks: list[_Token], text: str, words: _Words, j: int, need_and: bool = True) -> int | None:
    """Where lower-case name words after a comma (or after 'và') end, when they are part of the name: a few
    words (with 'và' after a comma), then a verb, a full stop or the end ('..., thương mại và du lịch chủ trì',
    '... Khu chế xuất và công nghiệp thực hiện')."""
    k, seen_and = j, not need_and
    while k < len(toks) and k - j < 7:
        sep = text[toks[k - 1].end:toks[k].start]
        if k > j and (re.search(r"[^\s,]", sep) or ("," in sep and not need_and)):
            break
        if toks[k].cap or _phrase_at(words, k, "end"):
            break
        seen_and = seen_and or _plain_word(words[k]) == "và"
        k += 1
    if k < len(toks):
        sep = text[toks[k - 1].end:toks[k].start]
        if not re.search(r"[.;:()|]", sep) and (re.search(r"[,\-–]", sep) or not (
                _phrase_at(words, k, "end") or _phrase_at(words, k, "place"))):
            return None
    return k if seen_and and k > j + (1 if need_and else 0) and _plain_word(words[k - 1]) != "và" else None


@lru_cache(maxsize=None)
def _role_label_pattern() -> re.Pattern:
    phrases = sorted({fold_aligned(r[1]) for r in read_table("agency_words.tsv") if r[0] in ("role", "label")},
                     key=len, reverse=True)
    return re.compile("(?:" + "|".join(map(re.escape, phrases)) + r")(?![a-z])")


def _role_label(text: str) -> bool:
    """Whether a text starts with a role or label phrase ('Cơ quan thường trực ...')."""
    return bool(_role_label_pattern().match(fold_aligned(text)))


def _shape_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the agency names a text holds, found by head word and name shape."""
    folded = fold_aligned(text) == text.lower()
    if not folded and not any(text[m.start()].isupper() for m in _head_start().finditer(fold_aligned(text))):
        return []
    toks = _tokens(text)
    words = _word_list([t.text for t in toks], folded)
    spans, i = [], 0
    not_names = _phrases("not")
    while i < len(toks):
        head = _head_at(words, i)
        if head and not any(all(_same(w, p, words.folded) for w, p in zip(words[i:i + len(ph)], ph))
                            and len(words) - i >= len(ph) for ph, _ in not_names):
            end = _name_end(toks, text, i, *head)
            if end:
                spans.append((toks[i].start, toks[end - 1].end))
                i = end
                continue
        i += 1
    return spans


# --- one name per agency ---------------------------------------------------------------------------

def clean(name: str) -> str:
    """A name as written, for display: white space collapsed, markup and stray punctuation dropped."""
    name = re.sub(r"[*_`#\\]+", " ", name)
    return " ".join(name.split()).strip(" ,;:.-–")


_LEVEL = re.compile(r"\b(?:thành phố|tp)\b", re.IGNORECASE)


@lru_cache(maxsize=4096)
def canonical_agency(name: str) -> str | None:
    """The canonical form of an agency name (as written in a plan or typed by a user), or None if no table knows it."""
    name = clean(name)
    if not name:
        return None
    words = name.split()
    deduped = " ".join(w for k, w in enumerate(words) if not k or _plain_word(w) != _plain_word(words[k - 1]))
    tries = [name, deduped, _LEVEL.sub("tỉnh", deduped)]
    m = re.match(r"(.*\b(?:tỉnh|thành phố|Thành phố|TP))\s+[A-ZĐÀ-Ỹ].*$", deduped)
    if m:  # 'Công an tỉnh Nghệ An'
        tries += [m.group(1), _LEVEL.sub("tỉnh", m.group(1))]
    if where := _province_at_end(deduped):  # 'Tỉnh đoàn Bắc Ninh', 'Sở GD&ĐT TP.HCM': the agency of that place
        tries.append(deduped[:where].rstrip(" ,-"))
    keys = _keys()
    for t in tries:
        if key(t) in keys:
            return keys[key(t)]
    pattern = _agency_table()[0]
    for t in tries:
        if pattern.fullmatch(fold_aligned(t)):
            return _spelling(fold_aligned(t))[0]
    return _near(key(deduped))


def is_agency(name: str, typed: str) -> bool:
    """Whether an agency named `name` (as facts name it) is the one a user typed: the same canonical agency
    ('so y te' for 'Sở Y tế'), or, when no table knows what was typed, a name holding its words ('Công an' for
    'Công an tỉnh' and 'Công an xã')."""
    wanted = canonical_agency(typed)
    if wanted:
        return name == wanted or canonical_agency(name) == wanted
    return bool(key(typed)) and f" {key(typed)} " in f" {key(name)} "


def _province_at_end(name: str) -> int | None:
    """Where a province named at the end of an agency's name starts, when words come before it; the name
    before it is tried against the tables ('Trường Đại học Cần Thơ' keeps its place: no table knows
    'Trường Đại học')."""
    from .places import mentions as places  # places reads agency names too; imported where it is needed
    found = places(unicodedata.normalize("NFC", name))
    if found and found[-1][2] == len(name) and found[-1][1] > 0:
        return found[-1][1]
    return None


@lru_cache(maxsize=None)
def _by_head() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for k in _keys():
        out.setdefault(k.split()[0], []).append(k)
    return {h: tuple(v) for h, v in out.items()}


def _near(key: str) -> str | None:
    """A known name one or two letters away from a long enough name ('Sở Sây dựng' is 'Sở Xây dựng')."""
    if len(key) < 10 or not key.split():
        return None
    best = difflib.get_close_matches(key, _by_head().get(key.split()[0], ()), n=1, cutoff=0.9)
    return _keys()[best[0]] if best else None


def display_name(canonical: str, written: str) -> str:
    """How an answer names an agency: the canonical name at the level the plan wrote ('Công an Thành phố')."""
    w = fold_aligned(written)
    if re.search(r"\b(?:thanh pho|tp)\b|^thanh (?:doan|uy)\b", w) and re.search(r"\btỉnh\b|^Tỉnh", canonical):
        if canonical.startswith("Tỉnh "):
            return "Thành " + canonical[5:]
        return re.sub(r"\btỉnh\b", "Thành phố", canonical)
    return canonical


# --- agencies in a text ----------------------------------------------------------------------------

def agencies_in(text: str, question: bool = False) -> list[tuple[str, int, int]]:
    """(agency, start, end) for every agency a text names, in order: the canonical name when the alias table
    knows it, else the name as written. A question may write names in lower case ('so tai chinh')."""
    pattern = _agency_table()[0]
    found: list[tuple[str, int, int]] = []
    shapes = _shape_spans(text)
    for m in pattern.finditer(fold_aligned(text)):
        canonical, capital = _spelling(m.group(0))
        if capital and not question and not text[m.start()].isupper():
            continue  # 'báo tỉnh' in a sentence is not 'Báo tỉnh'
        s, e = m.start(), m.end()
        wider = next(((a, b) for a, b in shapes if a <= s and e <= b and (a, b) != (s, e)), None)
        if wider and _wider_is_better(text, (s, e), wider):
            continue
        found.append((canonical, s, e))
    taken = [(s, e) for _, s, e in found]
    for s, e in shapes:
        if any(a < e and s < b for a, b in taken):
            continue
        written = clean(text[s:e])
        found.append((canonical_agency(written) or written, s, e))
    return sorted(found, key=lambda x: x[1])


def _wider_is_better(text: str, alias: tuple[int, int], shape: tuple[int, int]) -> bool:
    """Whether a name found by shape around an alias is the real name ('Chi cục Hải quan khu vực V' around
    'Hải quan'), rather than the alias followed by words that are not part of it."""
    if shape[0] < alias[0]:
        return True
    tail = _tokens(text[alias[1]:shape[1]])
    words = _word_list([t.text for t in tail])
    return any(t.cap or t.number or _phrase_at(words, k, "place") for k, t in enumerate(tail))


def mentions(text: str, question: bool = False) -> list[tuple[str, str, int, int]]:
    """(agency, as written, start, end) for every agency a text names."""
    return [(a, clean(text[s:e]), s, e) for a, s, e in agencies_in(text, question)]


def spellings(agency: str) -> list[str]:
    """Every spelling the alias table knows for an agency (its canonical name first), or the name itself."""
    name = canonical_agency(agency) or clean(agency)
    return [name] + [a for a, c in _aliases().items() if c == name and a != name]
