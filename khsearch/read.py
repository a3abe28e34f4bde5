"""Read a plan file into text: .txt in the encodings Vietnamese offices use, .docx, .pdf with a text layer, .html."""
from __future__ import annotations

import codecs
import hashlib
import io
import re
import unicodedata
from functools import lru_cache
from itertools import groupby
from pathlib import Path

from .normalize import read_table
from .records import Source

SUFFIXES = (".txt", ".md", ".markdown", ".docx", ".pdf", ".html", ".htm")
MAX_BYTES = 64 * 2**20  # a plan is a few MB; indexing takes about 80 times its size in memory (RELIABILITY.md)
BINARY = "binary file, not text"
LEGACY = ("looks like a legacy Vietnamese encoding (TCVN3/VNI/Windows-1258), but which one is unclear; "
          "convert it to Unicode (e.g. with Unikey) and save it as UTF-8")
_HINTS = {".doc": "old Word format: open it in Word or LibreOffice and save it as .docx"}


class ReadError(Exception):
    """A file that cannot be read, with the reason in words a user can act on."""

    def __init__(self, path, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"{path}: {reason}")


class _Unreadable(Exception):
    """Raised by a format reader; `read` adds the path and turns it into ReadError."""


def discover(paths, ignored: list | None = None) -> list[Path]:
    """The plan files named by `paths`, folders searched recursively, in a stable order.

    Files of a folder that are not plans are appended to `ignored` as (path, reason): other file types and
    Word's lock files; hidden files and folders (names starting with '.') and sidecar '.meta.json' files
    are passed over without a word. A file named explicitly is always returned: reading it says what is wrong.
    """
    found = []
    for p in map(Path, paths):
        if not p.is_dir():
            found.append(p)
            continue
        for f in sorted(f for f in p.rglob("*") if f.is_file()):
            if any(part.startswith(".") for part in f.relative_to(p).parts) or f.name.endswith(".meta.json"):
                continue
            if f.name.startswith("~$"):
                reason = "Word's lock file beside an open document"
            elif f.suffix.lower() not in SUFFIXES:
                reason = _HINTS.get(f.suffix.lower()) or f"not a plan file type ('{f.suffix or '(none)'}')"
            else:
                found.append(f)
                continue
            if ignored is not None:
                ignored.append((str(f), reason))
    return found


def read(path) -> Source:
    """Read one file; raises ReadError naming the file and the reason."""
    path = Path(path).resolve()
    suffix = path.suffix.lower()
    try:
        if path.is_dir():
            raise ReadError(path, "is a folder, not a file")
        size = path.stat().st_size
        if suffix not in SUFFIXES:
            raise ReadError(path, _HINTS.get(suffix) or f"unsupported file type '{suffix or '(none)'}' "
                                                        f"(expected one of {', '.join(SUFFIXES)})")
        if size > MAX_BYTES:
            raise ReadError(path, f"the file is {size / 2**20:.1f} MB, over the {MAX_BYTES / 2**20:.0f} MB limit")
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ReadError(path, "no such file") from None
    except PermissionError:
        raise ReadError(path, "permission denied") from None
    except OSError as e:
        raise ReadError(path, f"cannot read: {e.strerror or e}") from None
    if not raw:
        raise ReadError(path, "the file is empty")
    fmt = {".htm": "html", ".md": "txt", ".markdown": "txt"}.get(suffix, suffix[1:])
    try:
        text, encoding, native, warnings = _READERS[fmt](raw)
    except _Unreadable as e:
        raise ReadError(path, str(e)) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # what open() does in universal-newline mode
    if not text.replace("\ufeff", "").strip():
        raise ReadError(path, "the file is empty (only white space)" if fmt == "txt" else "no text in the file")
    return Source(str(path), text, hashlib.sha256(raw).hexdigest(), fmt, encoding, native, tuple(warnings))


# --- plain text ------------------------------------------------------------------------------------

def _read_txt(raw: bytes):
    """(text, encoding, native, warnings) of a text file: BOMs, UTF-16 without one, UTF-8, then guesses."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16", False, ()
        except UnicodeDecodeError:
            raise _Unreadable("starts with a UTF-16 byte-order mark but is not valid UTF-16") from None
    if b"\x00" in raw:
        order = _utf16_order(raw)
        text = _decode_or_none(raw, order) if order else None
        if text is None or _looks_binary(text):
            raise _Unreadable(BINARY)
        return text, order, False, ("no byte-order mark: read as UTF-16 from the pattern of NUL bytes",)
    try:
        text = raw.decode("utf-8")  # a BOM stays as U+FEFF, as open(encoding="utf-8") keeps it
        return text, "utf-8-sig" if text.startswith("\ufeff") else "utf-8", True, ()
    except UnicodeDecodeError:
        return _guess(raw)


def _utf16_order(raw: bytes):
    """'utf-16-le' or 'utf-16-be' when the NUL bytes fall on one side of the byte pairs, as in UTF-16 text."""
    half, even, odd = len(raw) // 2, raw[0::2].count(0), raw[1::2].count(0)
    for order, nuls, others in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if not len(raw) % 2 and nuls >= 0.3 * half and others <= 0.02 * half:
            return order
    return None


def _decode_or_none(raw: bytes, encoding: str):
    """The decoded text, or None when the bytes are not valid in `encoding`."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff]")


def _looks_binary(text: str) -> bool:
    """Control characters in more than 1% of a guessed decoding: the bytes were not text."""
    sample = text[:100_000]
    return "\x00" in sample or len(_CONTROL.findall(sample)) > 0.01 * len(sample)


def _guess(raw: bytes):
    """Decode bytes that are not UTF-8: a damaged UTF-8 file, TCVN3, VNI, Windows-1258, else a guess."""
    repaired = raw.decode("utf-8", "replace")
    bad = repaired.count("\ufffd")
    if len(repaired) - len(repaired.encode("ascii", "ignore")) - bad >= 20 * bad:  # a few broken bytes in UTF-8
        return repaired, "utf-8", False, (f"{bad} invalid UTF-8 byte(s) replaced by U+FFFD",)
    sample = raw[:200_000]
    if _looks_binary(_surface(sample)):
        raise _Unreadable(BINARY)
    name, close = _best_reading({name: _decode_as(sample, name) for name in _CONVERTED})
    if name:
        return _decode_as(raw, name), name, False, (_CONVERTED[name],)
    if close:
        raise _Unreadable(LEGACY)
    from charset_normalizer import from_bytes  # lazy: only for files no Vietnamese reading fits
    best = from_bytes(raw, cp_exclusion=["utf_16", "utf_16_le", "utf_16_be", "utf_32"]).best()  # no NULs: not UTF-16
    if best is None or _looks_binary(str(best)):
        raise _Unreadable("cannot tell the text encoding; save the file as UTF-8")
    return str(best), best.encoding, False, (f"guessed the text encoding ({best.encoding}); "
                                             "check the text, or save the file as UTF-8",)


_CONVERTED = {"tcvn3": "converted from the TCVN3 (ABC, .VnTime) font encoding to Unicode NFC; "
                       "capitals set in .VnTimeH fonts come out lower case",
              "vni": "converted from the VNI (VNI-Times) font encoding to Unicode NFC",
              "windows-1258": "decoded as Windows-1258 and its separate tone marks composed to NFC"}


# --- legacy Vietnamese encodings ---------------------------------------------------------------------

_CP1252 = {b: bytes([b]).decode("cp1252") for b in range(0x80, 0xA0) if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}


def _surface(raw: bytes) -> str:
    """Bytes as Windows-1252 characters: how a legacy-font file looks, and what the tables are keyed on."""
    return raw.decode("latin-1").translate(_CP1252)


@lru_cache(maxsize=None)
def _legacy_tables() -> dict[str, tuple[re.Pattern, dict[str, str]]]:
    """Encoding -> (pattern of its byte sequences, longest first; sequence -> letter), from data/legacy_fonts.tsv."""
    tables: dict[str, dict[str, str]] = {}
    for encoding, hex_bytes, _seen_as, letter in read_table("legacy_fonts.tsv"):
        tables.setdefault(encoding, {})[_surface(bytes.fromhex(hex_bytes))] = letter
    return {enc: (re.compile("|".join(map(re.escape, sorted(t, key=len, reverse=True)))), t)
            for enc, t in tables.items()}


def _decode_as(raw: bytes, encoding: str) -> str:
    """Bytes read as one of the Vietnamese 8-bit encodings, in Unicode NFC."""
    if encoding == "windows-1258":
        return unicodedata.normalize("NFC", raw.decode("cp1258", "replace"))
    return _convert(_surface(raw), encoding)


def _convert(surface: str, encoding: str) -> str:
    """Text in a legacy font encoding (as Windows-1252 characters) -> Unicode NFC."""
    pattern, table = _legacy_tables()[encoding]
    return unicodedata.normalize("NFC", pattern.sub(lambda m: table[m[0]], surface))


_NUCLEI = sorted("a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ua uâ uê ui uô uơ uy "
                 "ưa ưi ưu ươ yê iêu oai oao oay oeo uây uôi uya uyê uyu ươi ươu yêu".split(), key=len, reverse=True)
_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
                       rf"(?:{'|'.join(_NUCLEI)})(?:ch|ng|nh|[cmnpt])?")
_TONE_MARKS = dict.fromkeys(map(ord, "\u0300\u0301\u0303\u0309\u0323"))
_LETTERS = re.compile(r"[^\W\d_]+")


def _is_syllable(word: str) -> bool:
    """A Vietnamese syllable: initial, vowel nucleus, final, and at most one tone mark."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    bare = decomposed.translate(_TONE_MARKS)
    return len(decomposed) - len(bare) <= 1 and bool(_SYLLABLE.fullmatch(unicodedata.normalize("NFC", bare)))


def _syllable_share(text: str) -> tuple[float, int]:
    """Of the words of 2+ letters with a non-ASCII one, the share that are Vietnamese syllables, and their count."""
    words = [w for w in _LETTERS.findall(unicodedata.normalize("NFC", text[:200_000]))
             if len(w) > 1 and not w.isascii()]
    return (sum(map(_is_syllable, words)) / len(words), len(words)) if words else (0.0, 0)


def _best_reading(readings: dict[str, str]) -> tuple[str | None, bool]:
    """(the reading that is clearly Vietnamese, or None; whether some reading comes close)."""
    scored = sorted(((*_syllable_share(text), name) for name, text in readings.items()), reverse=True)
    (best, count, name), runner_up = scored[0], (scored[1][0] if len(scored) > 1 else 0.0)
    if count >= 3 and best >= 0.8 and best - runner_up >= 0.2:
        return name, True
    return None, count >= 3 and best >= 0.5


def _repair_legacy(text: str) -> tuple[str, tuple[str, ...]]:
    """Text extracted from a document set in a TCVN3 or VNI font, converted; any other text unchanged."""
    sample = text[:200_000]
    name, _ = _best_reading({"unicode": sample, **{name: _convert(sample, name) for name in _legacy_tables()}})
    return (_convert(text, name), (_CONVERTED[name],)) if name in _legacy_tables() else (text, ())


# --- documents ---------------------------------------------------------------------------------------

def _read_docx(raw: bytes):
    import docx  # lazy: lxml and python-docx are only needed for .docx
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise _Unreadable("an old Word .doc file named .docx: open it in Word or LibreOffice and save it as .docx")
    try:
        blocks = [_docx_block(item) for item in docx.Document(io.BytesIO(raw)).iter_inner_content()]
    except Exception as e:  # python-docx raises many kinds of error on a damaged package
        raise _Unreadable(f"not a readable .docx file ({type(e).__name__}: {e})") from None
    text, warnings = _repair_legacy("\n\n".join(b for b in blocks if b.strip()))
    return text, "", False, warnings


_LAYOUT = re.compile(r"C[ỘO]NG\s+H[ÒO]A|N[ơo]i\s+nh[ậa]n|(?:^|\n)\s*(?:TM|KT|TL|TUQ)\s*\.|Độc\s+lập", re.IGNORECASE)


def _docx_block(item) -> str:
    """A paragraph's text; a table as rows of cells joined by ' | ', one row per line; a layout table (the
    header or the signature block of the government template) as its cells, one block each, lines kept."""
    if not hasattr(item, "rows"):
        return item.text
    grid = [list({id(cell._tc): cell for cell in row.cells}.values()) for row in item.rows]  # merged cells once
    if len(grid) <= 3 and any(_LAYOUT.search(cell.text) for row in grid for cell in row):
        cells = ["\n".join(line.strip() for line in cell.text.splitlines() if line.strip()) for row in grid for cell in row]
        return "\n\n".join(c for c in cells if c)
    rows = [" | ".join(" ".join(cell.text.split()) for cell in row) for row in grid]
    return "\n".join(r for r in rows if r.replace("|", "").strip())


def _read_pdf(raw: bytes):
    from pypdf import PdfReader  # lazy
    from pypdf.errors import DependencyError, FileNotDecryptedError
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("needs a password")
        pages = [_pdf_page(page).strip() for page in reader.pages]
    except (FileNotDecryptedError, DependencyError):  # AES without a password also needs 'cryptography'
        raise _Unreadable("the PDF is encrypted (password-protected): save an unprotected copy") from None
    except Exception as e:  # pypdf raises many kinds of error on a damaged file
        raise _Unreadable(f"not a readable PDF ({type(e).__name__}: {e})") from None
    if not any(pages):
        raise _Unreadable("no text layer (scanned PDF?): it needs OCR before indexing" if pages
                          else "the PDF has no pages")
    text, warnings = _repair_legacy("\n\f\n".join(p for p in pages if p))  # a form feed marks each page break
    return text, "", False, warnings


def _pdf_page(page) -> str:
    """A page's text as pypdf reads it, with a table's rows one a line and their cells parted by ' | ': pypdf joins
    cells with a space and breaks a row where a cell wraps, but each cell starts its own text runs at its column."""
    runs: list[tuple[str, float]] = []  # (text, x where it starts on the page)
    text = page.extract_text(visitor_text=lambda t, cm, tm, font, size: runs.append((t, tm[4] * cm[0] + cm[4])))
    if not text or "".join(t for t, _ in runs) != text:
        return text or ""  # the runs do not add up to the text: keep pypdf's reading
    lines: list[list[tuple[str, float | None]]] = [[]]
    for t, x in runs:
        for k, part in enumerate(t.split("\n")):
            if k:
                lines.append([])
            if part:
                lines[-1].append((part, x if k == 0 and part.strip() else None))
    out: list = []  # a line of text, or a table row: ([x, cell text] pairs, the table's columns)
    for line, columns in zip(lines, _pdf_columns(lines)):
        if not columns:
            out.append("".join(t for t, _ in line))
            continue
        cells = _pdf_cells(line, columns)
        row = out[-1][0] if out and not isinstance(out[-1], str) else None
        if row and cells[0][0] >= row[-1][0] - 1:  # a later cell of the row, or a cell's next line
            if abs(cells[0][0] - row[-1][0]) <= 1:
                row[-1][1] += " " + cells.pop(0)[1]
            row += cells
        else:
            out.append((cells, columns))
    return "\n".join(r if isinstance(r, str) else _pdf_row(*r) for r in out)


def _pdf_row(cells: list[list], columns: set) -> str:
    """A row's cells parted by ' | ', an empty cell for each column the row leaves blank between two filled ones
    ('Tổng cộng | | 3.000'), as a Word table is read."""
    out = [cells[0][1]]
    for (x0, _), (x1, t) in zip(cells, cells[1:]):
        out += [""] * sum(x0 + 1 < c < x1 - 1 for c in columns) + [t]
    return " | ".join(out)


def _pdf_columns(lines: list[list[tuple[str, float | None]]]) -> list[set]:
    """For each line, the x positions where the cells of its table start (empty outside a table). Two lines near
    each other that start three or more runs at two or more of the same places (after the first) are rows of one
    table; its columns are the places where runs of two of its lines start, and a line next to it whose runs all
    start there (a cell that wrapped, a total row with fewer cells filled) is part of it, unless it is one run at
    the first column: a paragraph's line at the margin."""
    starts = [[round(x) for _, x in line if x is not None] for line in lines]
    near = lambda x, xs: any(abs(x - y) <= 1 for y in xs)
    out: list[set] = [set() for _ in lines]
    for i, a in enumerate(starts):
        for j in range(i + 1, min(i + 4, len(lines))):
            b = starts[j]
            shared = {x for x in a[1:] if near(x, b[1:])}
            if len(a) >= 3 and len(b) >= 3 and len(shared) >= max(2, 0.6 * min(len(a), len(b)) - 1):
                span = range(i, j + 1)
                seen = [x for k in span for x in set(starts[k])]
                columns = {x for x in seen if sum(near(x, set(starts[k])) for k in span) >= 2}
                for k in span:
                    out[k] |= columns
    for i in list(range(1, len(lines))) + list(range(len(lines) - 2, -1, -1)):  # the lines next to a table
        for j in (i - 1, i + 1):
            if 0 <= j < len(lines) and out[j] and not out[i] and starts[i] and all(near(x, out[j]) for x in starts[i]) \
                    and (len(starts[i]) > 1 or starts[i][0] > min(out[j]) + 1):  # not a line of text at the margin
                out[i] = set(out[j])
    return out


def _pdf_cells(line: list[tuple[str, float | None]], columns: set) -> list[list]:
    """A table line's runs joined into cells, [x, text] each: a run starts a cell at a column other than the one of
    the cell before it (a run at the same column is that cell's next line, 'doanh' / 'nghiệp')."""
    cells: list[list] = []
    for t, x in line:
        if x is not None and (not cells or abs(x - cells[-1][0]) > 1) and any(abs(round(x) - c) <= 1 for c in columns):
            cells.append([x, ""])
        if cells:
            cells[-1][1] += t
        else:
            cells.append([x or 0.0, t])
    for c in cells:
        c[1] = " ".join(c[1].split())
    return cells


# --- web pages ---------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)


def _read_html(raw: bytes):
    html, encoding, warnings = _decode_html(raw)
    import trafilatura  # lazy: heavy, and only web pages need it
    try:
        main = trafilatura.extract(html, include_tables=True, favor_recall=True, include_comments=False,
                                   deduplicate=False)
    except Exception as e:  # lxml can fail on badly broken markup
        raise _Unreadable(f"cannot parse the HTML page ({type(e).__name__}: {e})") from None
    if not main or not main.strip():
        raise _Unreadable("no main text found in the HTML page")
    text, fixed = _repair_legacy(_html_blocks(main))
    return text, encoding, False, (*warnings, *fixed)


def _decode_html(raw: bytes) -> tuple[str, str, tuple[str, ...]]:
    """The page as text: a BOM first, then the <meta> charset, then the same guesses as for .txt."""
    declared = _META_CHARSET.search(raw[:8192])
    has_bom = raw.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    codec = _codec(declared[1]) if declared and not has_bom else None
    if codec is None:
        text, encoding, _native, warnings = _read_txt(raw)
        return text.lstrip("\ufeff"), encoding, warnings
    text, warnings = _decode_or_none(raw, codec), ()
    if text is None:
        text, warnings = raw.decode(codec, "replace"), (f"bytes that are not valid {codec} replaced by U+FFFD",)
    if codec == "cp1258":
        return unicodedata.normalize("NFC", text), "windows-1258", (_CONVERTED["windows-1258"], *warnings)
    return text, codec, warnings


def _codec(charset: bytes):
    """Python's name for a declared charset, or None when it names no text encoding."""
    try:
        codec = codecs.lookup(charset.decode("ascii", "replace")).name
        b"".decode(codec)  # 'rot13' and the like are codecs but not text encodings
    except LookupError:
        return None
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec  # as browsers read them


def _html_blocks(extracted: str) -> str:
    """Trafilatura's lines as blocks with blank lines between; table rows '| a | b |' as 'a | b', one per line."""
    blocks: list[str] = []
    lines = (line.strip() for line in extracted.splitlines() if line.strip())
    for is_row, group in groupby(lines, key=lambda line: line.startswith("|")):
        blocks += ["\n".join(row.strip("|").strip() for row in group)] if is_row else list(group)
    return "\n\n".join(blocks)


_READERS = {"txt": _read_txt, "docx": _read_docx, "pdf": _read_pdf, "html": _read_html}
