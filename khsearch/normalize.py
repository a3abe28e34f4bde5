"""Normalised and accent-folded forms of Vietnamese text, for matching only (citations keep the original)."""
from __future__ import annotations

import csv
import re
import sys
import unicodedata
from functools import lru_cache
from importlib import resources

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u00ad"), "-")
_QUOTES = {**dict.fromkeys(map(ord, "\u201c\u201d\u201e\u201f\u00ab\u00bb"), '"'),
           **dict.fromkeys(map(ord, "\u2018\u2019\u201a\u201b"), "'")}
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\u200a\u3000\t"), " ")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_LOOKALIKES = {ord("\u00d0"): "Đ", ord("\u0110"): "Đ", ord("\u0189"): "Đ"}
_TABLE = {**_DASHES, **_QUOTES, **_SPACES, **_INVISIBLE, **_LOOKALIKES}

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
# What underthesea's table leaves (it lists common words, not every syllable): in an open 'oa', 'oe', 'uy'
# syllable ending the word the mark goes on the first vowel, as underthesea writes it (hoà -> hòa,
# thuỷ -> thủy); 'qu' is a consonant, so 'quý' keeps its mark. Checked on decomposed text.
_TONE_MOVE = re.compile(rf"(?<![qQ])([oOuU])([aAeEyY])([{_TONES}])(?![\w\u0300-\u036f])")
_LETTERS = re.compile(r"[^\W\d_]+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# Importing underthesea also imports its optional pipelines whose libraries are installed; the translator
# loads transformers (4-8 s on two cores when torch is there). khsearch uses none of them.
_UNUSED_PIPELINES = ("translate", "classification", "sentiment", "lang_detect", "dependency_parse")


@lru_cache(maxsize=None)
def underthesea():
    """The underthesea package, imported on first use without its optional pipelines."""
    blocked = [f"underthesea.pipeline.{m}" for m in _UNUSED_PIPELINES] + ["underthesea.agent", "underthesea.address"]
    blocked = [m for m in blocked if m not in sys.modules]
    for m in blocked:
        sys.modules[m] = None  # an import of it fails at once, which underthesea takes as "not installed"
    try:
        import underthesea as package
    finally:
        for m in blocked:
            if sys.modules.get(m, 0) is None:
                del sys.modules[m]  # an explicit import later still works
    return package


@lru_cache(maxsize=100_000)
def _word(word: str) -> str:
    """One word in underthesea's spelling: its text_normalize table, then the open-syllable rule."""
    out = nfc(underthesea().text_normalize(word, tokenizer="space"))
    if " " in out or any(unicodedata.combining(c) for c in out):
        out = word  # the table also rewrites rare misspellings into broken forms ('bíết'): keep those as typed
    d = unicodedata.normalize("NFD", out)
    return nfc(_TONE_MOVE.sub(lambda m: m[1] + m[3] + m[2], d))


def unify_tones(text: str) -> str:
    """One spelling of each syllable (underthesea's): 'hoà' and 'hòa', 'thuỷ' and 'thủy' compare equal."""
    return nfc(_LETTERS.sub(lambda m: _word(m[0]), nfc(text)))  # a stray mark after a moved one composes anew


_SURROGATE = re.compile("[\ud800-\udfff]")


def normalize(text: str) -> str:
    """NFC, underthesea's spelling of each syllable, plain dashes, quotes and spaces (length may change)."""
    text = _SURROGATE.sub("\ufffd", text)  # a lone surrogate (bad bytes in argv) cannot be encoded or printed
    return unify_tones(nfc(text).translate(_TABLE))


def fold(text: str) -> str:
    """Accent-folded lower case: 'Cơ quan nào chủ trì' -> 'co quan nao chu tri'."""
    d = unicodedata.normalize("NFD", normalize(text).lower().replace("đ", "d"))
    return "".join(c for c in d if not unicodedata.combining(c))


@lru_cache(maxsize=8192)
def _fold_char(c: str) -> str:
    f = fold(c)
    return f if len(f) == 1 else (f[:1] or " ")


def fold_aligned(text: str) -> str:
    """fold(text) with one character per character of the (NFC) text, so match offsets carry over."""
    return "".join(map(_fold_char, text))


def has_diacritics(text: str) -> bool:
    return fold(text) != normalize(text).lower()


_WORD = re.compile(r"[^\W_]+(?:[&/][^\W_]+)*", re.UNICODE)


def syllables(text: str) -> list[str]:
    """Lower-cased syllables (words between spaces and punctuation), normalised."""
    return _WORD.findall(normalize(text).lower())


def loose(text: str) -> str:
    """Case-folded, punctuation and white space collapsed: how two renderings of a phrase compare."""
    return " ".join(_WORD.findall(normalize(text).casefold()))


class Matcher:
    """A question's words as cue phrases are matched: with diacritics when it has them ('mấy' is not
    'máy', 'giao' is not 'giáo'), folded only when it has none; whole words, tone placement ignored."""

    def __init__(self, text: str):
        self.accents = has_diacritics(text)
        words = syllables(text)
        self.words = words if self.accents else fold(" ".join(words)).split()
        self._joined = " " + " ".join(self.words) + " "
        self._raw = text

    def form(self, phrase: str) -> str:
        """A phrase as this text is compared: its syllables, folded when the text has no diacritics."""
        p = " ".join(syllables(phrase))
        return p if self.accents else fold(p)

    def has(self, phrase: str) -> bool:
        p = self.form(phrase)
        return f" {p} " in self._joined if p else bool(phrase.strip()) and phrase.strip() in self._raw

    def without(self, phrases) -> list[str]:
        """The words left when every occurrence of the phrases is taken out, longest phrase first."""
        words = list(self.words)
        for p in sorted({self.form(p) for p in phrases} - {""}, key=lambda x: -len(x.split())):
            n = len(p.split())
            i = 0
            while i + n <= len(words):
                if " ".join(words[i:i + n]) == p:
                    words[i:i + n] = []
                else:
                    i += 1
        return words


@lru_cache(maxsize=None)
def _vietnamese_syllables() -> frozenset[str]:
    """Folded syllables of underthesea's Vietnamese word list (empty if the list is not installed)."""
    try:
        text = resources.files("underthesea").joinpath("corpus", "data", "Viet74K.txt").read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError):
        return frozenset()
    return frozenset(fold(text).split())


def is_vietnamese(text: str) -> bool:
    """Whether a text reads as Vietnamese: diacritics, or most of its words are Vietnamese syllables."""
    if has_diacritics(text):
        return True
    words = fold(" ".join(syllables(text))).split()
    known = _vietnamese_syllables()
    return not known or not words or sum(w in known for w in words) * 2 >= len(words)


# --- reviewed tables -------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def read_table(name: str) -> tuple[tuple[str, ...], ...]:
    """Rows of a tab-separated table in khsearch/data, without comments and blank lines (read once)."""
    text = resources.files("khsearch").joinpath("data").joinpath(name).read_text(encoding="utf-8")
    rows = csv.reader((l for l in text.splitlines() if l.strip() and not l.startswith("#")), delimiter="\t")
    return tuple(tuple(c.strip() for c in row) for row in rows)


@lru_cache(maxsize=None)
def cues(category: str) -> tuple[tuple[str, str], ...]:
    """(phrase, value) rows of one category of data/cues.tsv, longest phrase first."""
    rows = [(r[1], r[2] if len(r) > 2 else "") for r in read_table("cues.tsv") if r[0] == category]
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


@lru_cache(maxsize=None)
def abbreviations() -> dict[str, str]:
    """Abbreviation as written (any case of its letters) -> full form, from data/abbreviations.tsv."""
    return {row[0]: row[1] for row in read_table("abbreviations.tsv")}


@lru_cache(maxsize=None)
def _abbr_pattern() -> re.Pattern:
    keys = sorted(abbreviations(), key=len, reverse=True)
    return re.compile(r"(?<![\w&-])(" + "|".join(re.escape(k) for k in keys) + r")(?![\w&])")


def expand_abbreviations(text: str) -> str:
    """The full forms of the abbreviations a text uses, space-joined (for matching, not display)."""
    table = abbreviations()
    return " ".join(table[m] for m in _abbr_pattern().findall(normalize(text)))


# --- tokens for lexical search ---------------------------------------------------------------------

def words(text: str) -> list[str]:
    """underthesea word segmentation of normalised lower-cased text: ['cai_nghiện', 'ma', 'túy', ...]."""
    flat = " ".join(syllables(text))
    return [w.replace(" ", "_") for w in underthesea().word_tokenize(flat)] if flat else []


def folded_terms(text: str) -> list[str]:
    """Accent-folded syllables and syllable pairs: 'cai nghien' matches whichever way it is typed."""
    sy = fold(" ".join(syllables(text))).split()
    return sy + [a + "_" + b for a, b in zip(sy, sy[1:])]
