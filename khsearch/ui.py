"""The web page (`khsearch serve`): cited chat, comparison across provinces, plan facts, adding a plan.

A thin Gradio layer over the public API; gradio is imported only when a page is made. Plans added on the page
are saved to a data folder beside the index (`<index>-data/` unless told otherwise), never among the sources.
"""
from __future__ import annotations

import hashlib
import html
import logging
import os
import re
import tempfile
import threading
import unicodedata
from pathlib import Path

from .index import IndexError_
from .stores import add_vectors, address, build, live_version, open_index
from .places import find_provinces
from .read import SUFFIXES, ReadError, read
from .records import Answer, Citation

log = logging.getLogger(__name__)

HOST, PORT = "127.0.0.1", 7860
MAX_UPLOAD_MB = 20
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 2**20
NAME_BYTES = 150  # of a saved plan's name stem, leaving room for '-2', the suffix and '.part'
ALL = ""  # dropdown value meaning "no filter"
EXAMPLES = [
    "Cơ quan nào chủ trì mở rộng điều trị Methadone ở Cà Mau?",
    "Quảng Ninh phấn đấu bao nhiêu xã đạt tiêu chí xã sạch ma túy?",
    "co quan nao chu tri cong tac cai nghien ma tuy o Nghe An",
    "Cơ quan nào chủ trì kiểm soát ma túy qua biên giới ở Quảng Ninh?",
    "Ai ký kế hoạch của Nghệ An?",
]
SHOWN = 3  # citations shown per answer; the JSON view has all of them
FAILED = "Đã có lỗi khi xử lý yêu cầu; chi tiết được ghi trong nhật ký máy chủ."


def _gradio():
    try:
        import gradio as gr
    except ImportError:
        raise RuntimeError("the web page needs gradio: pip install -e '.[ui]' in your khsearch clone "
                           "(or make serve)") from None
    return gr


def data_folder(index_path, store=None) -> Path:
    """Where plans added on the page are saved by default: `<index>-data/` beside the index folder (or the
    local-mode folder); for a Qdrant server, `<collection>-data/` in the working folder."""
    a = address(store, index_path)
    if a.scheme in ("qdrant", "qdrant+https"):
        return Path.cwd() / f"{a.target.partition('?')[0].rsplit('/', 1)[-1]}-data"
    index = Path(a.target).resolve()
    return index.with_name(index.name + "-data")


class Library:
    """The index a page serves, reopened after a plan is added, and the folder new plans are saved to."""

    def __init__(self, index_path, data_dir=None, store=None):
        self.path, self.store = Path(index_path), store
        self.data = Path(data_dir) if data_dir else data_folder(self.path, store)
        self.index = open_index(self.path, store=store)
        self.downloads = Path(tempfile.mkdtemp(prefix="khsearch-ui-"))  # CSV files offered for download

    def reopen(self):
        self.index = open_index(self.path, store=self.store)

    def refresh(self):
        """Reopen the index when `khsearch index` has published an update since it was opened."""
        try:
            live = live_version(self.path, store=self.store)
        except (OSError, ValueError, IndexError_):
            return
        if live != self.index.version:
            try:
                self.reopen()
            except IndexError_:  # keep serving the version already open
                log.exception("cannot open the updated index at %s; still serving %s", self.path, self.index.version)

    def provinces(self) -> list[str]:
        return sorted({d.metadata.province for d in self.index.documents.values() if d.metadata.province})

    def documents(self) -> list[tuple[str, str]]:
        """(label shown, doc_id) for the document filter."""
        docs = sorted(self.index.documents.values(), key=lambda d: (d.metadata.province or "", d.doc_id))
        return [(f"{d.metadata.province or 'Chưa rõ tỉnh'} — {d.label}", d.doc_id) for d in docs]

    def where(self, doc_id: str) -> tuple[str, str]:
        """(province, document label) of a doc_id, for the tables."""
        d = self.index.documents.get(doc_id)
        return (d.metadata.province or "", d.label) if d else ("", doc_id)

    def columns(self, c: Citation) -> tuple[str, ...]:
        """The column names of a cited table row (its paragraph's `table_header`), else ()."""
        d = self.index.documents.get(c.doc_id)
        return next((p.table_header for p in d.paragraphs if p.id == c.paragraph_id), ()) if d else ()


# --- section labels as a reader of the plan names them ----------------------------------------------

PART_WORDS = {"P": "Phần", "C": "Chương", "M": "Mục", "Đ": "Điều"}  # parse labels 'PHẦN I' 'PI', 'Điều 3' 'Đ3'


def section_words(label: str) -> str:
    """A parse label in a reader's words: 'II.-2' -> 'mục II, gạch đầu dòng 2', 'PL.1.r4' -> 'Phụ lục, mục 1,
    bảng, dòng 4', 'I.2.(5)' -> 'mục I.2, ý (5)', 'Đ3.2.a' -> 'Điều 3, khoản 2, điểm a'."""
    words, outline, notes = [], [], []
    article = bullets = False

    def close():  # the numbers and letters read so far: 'mục IV.1.a', or 'khoản 1, điểm a' under an Điều
        if outline:
            words.extend([("khoản " if n[0].isdigit() else "điểm ") + n for n in outline] if article
                         else ["mục " + ".".join(outline)])
            outline.clear()

    for token in label.split(".") if label else []:
        token, prime, times = token.partition("'")  # 'V'' is the second 'V.' the source prints, 'V'2' the third
        if prime:
            notes.append(f"số {'.'.join(outline + [token])} lặp lại lần {int(times or 1) + 1} trong văn bản")
        if m := re.fullmatch(r"PL(\w*)", token):
            close()
            words.append(f"Phụ lục {m[1]}".strip())
        elif m := re.fullmatch(r"([PCMĐ])([IVXL]+|\d+)", token):
            close()
            words.append(f"{PART_WORDS[m[1]]} {m[2]}")
            article = m[1] == "Đ"
        elif m := re.fullmatch(r"r(\d+)", token):
            close()
            words.append(f"bảng, dòng {m[1]}")
        elif m := re.fullmatch(r"-(\d+)", token):
            close()
            words.append(("gạch con " if bullets else "gạch đầu dòng ") + m[1])
            bullets = True
        elif token.startswith("("):
            close()
            words.append(f"ý {token}")
        else:
            outline.append(token)
    close()
    return ", ".join(words) + "".join(f" ({n})" for n in notes)


# --- chat -----------------------------------------------------------------------------------------

def focus(question: str, chosen: str | None, previous: str | None, held: list[str]) -> tuple[str | None, str | None]:
    """(province filter for `ask`, province kept in focus for the next question).

    A question naming provinces is scoped by its own words, even against the chosen filter (the filter is
    still passed on, so that `ask` says in its answer that it was set aside); otherwise the chosen filter,
    else the province of the previous question, stays in focus.
    """
    named = list(dict.fromkeys(find_provinces(question or "")))
    if chosen:
        asked = [p for p in named if p in held]
        return chosen, asked[0] if len(asked) == 1 and chosen not in named else chosen
    if not named:
        return previous, previous
    kept = [p for p in named if p in held]  # a province the index lacks gets an answer saying so
    if not kept:
        return None, previous
    return None, kept[0] if len(kept) == 1 else None


def _esc(text) -> str:
    return html.escape(str(text or ""), quote=True)


def _marked(text: str, start: int, end: int, highlight) -> str:
    """text[start:end] escaped and re-flowed (the source's hard line breaks dropped), its answering span marked."""
    a, b = highlight or (end, end)
    a, b = min(max(a, start), end), min(max(b, start), end)
    flow = lambda s: _esc(re.sub(r"\s+", " ", s))  # only the display changes: offsets still point at the source
    return flow(text[start:a]) + (f"<mark>{flow(text[a:b])}</mark>" if b > a else "") + flow(text[b:end])


def cited_text(c: Citation, columns: tuple[str, ...] = ()) -> str:
    """The paragraph without markup, escaped and re-flowed, with the answering span marked; a table row is shown
    cell by cell under its column names."""
    from .facts import cells
    t = c.plain
    spans = cells(t) if c.kind == "table_row" and columns else []
    if len(spans) == len(columns) > 0:
        return "<table class='khs-row'>" + "".join(
            f"<tr><th>{_esc(name)}</th><td>{_marked(t, s, e, c.highlight)}</td></tr>"
            for name, (s, e) in zip(columns, spans) if e > s) + "</table>"
    head = f"<div class='khs-columns'>Các cột: {_esc('; '.join(columns))}</div>" if columns else ""
    return head + _marked(t, 0, len(t), c.highlight)


def render_turn(question: str, ans: Answer, province: str | None, set_aside: str = "", columns=None) -> str:
    """One question and its answer, then the numbered citations; every document string is escaped.
    `set_aside`: the sentence saying that the province filter gave way to the question's province."""
    text = ans.answer.removeprefix(set_aside).strip() if set_aside else ans.answer
    out = ["<div class='khs-turn'>", f"<div class='khs-q'>Hỏi: {_esc(question)}</div>"]
    if set_aside:
        out.append(f"<div class='khs-conflict'>{_esc(set_aside)}</div>")
    out.append(f"<div class='khs-answer{'' if ans.found else ' khs-none'}'>{_esc(text)}</div>")
    if province and not set_aside:
        out.append(f"<div class='khs-focus'>Đang hỏi về: {_esc(province)} (giữ cho câu hỏi tiếp theo)</div>")
    if cites := ans.citations[:SHOWN]:
        title = "Trích dẫn" if ans.found else "Các đoạn gần nhất (không trả lời trực tiếp câu hỏi)"
        out.append(f"<div class='khs-title'>{title}</div><ol class='khs-cites'>")
        for c in cites:
            parts = (c.province or "Chưa rõ tỉnh", c.document, section_words(c.section), c.heading)
            where = " · ".join(_esc(x) for x in parts if x)
            out.append(f"<li class='khs-cite'><div class='khs-where'>{where}</div>"
                       f"<div class='khs-text'>{cited_text(c, (columns or {}).get(c.paragraph_id, ()))}</div></li>")
        out.append("</ol>")
    out.append("</div>")
    return "".join(out)


def public(ans: Answer) -> dict:
    """An answer as JSON for the browser: a citation names its file, not the server's folders."""
    d = ans.to_dict()
    for c in d["citations"]:
        c["file"] = Path(c.pop("path")).name
        c["section_words"] = section_words(c["section"])
    return d


def chat(lib: Library, question: str, province: str, doc_id: str, state: dict | None):
    """Answer one question; returns (transcript HTML, new state, answer as JSON, cleared question box)."""
    from .answer import ask
    from .retrieve import scope
    state = dict(state or {"province": None, "turns": []})
    try:
        lib.refresh()
        chosen = province or (lib.where(doc_id)[0] if doc_id else None) or None
        where, kept = focus(question, chosen, state.get("province"), lib.provinces())
        ans = ask(lib.index, question or "", where, doc_id=doc_id or None)
        # The question's province wins over the filter; `ask` says so, the page shows it apart.
        sc = scope(lib.index, question or "", where, doc_id or None) if where else None
        set_aside = sc.note() if sc and sc.overridden else ""
        columns = {c.paragraph_id: lib.columns(c) for c in ans.citations[:SHOWN] if c.kind == "table_row"}
        turn = render_turn(question or "", ans, kept, set_aside, columns)
        data = public(ans) | {"province_in_focus": kept, "filter_set_aside": sc.overridden if set_aside else None}
        state = {"province": kept, "turns": [turn] + list(state.get("turns", []))[:19]}
    except Exception:
        log.exception("chat failed for %r", question)
        state["turns"] = [f"<div class='khs-error'>{_esc(FAILED)}</div>"] + state.get("turns", [])
        data = {"error": FAILED}
    return "".join(state["turns"]), state, data, ""


# --- compare and facts ----------------------------------------------------------------------------

COMPARE_COLUMNS = ["Tỉnh", "Văn bản", "Năm", "Có nêu", "Tóm tắt", "Cơ quan (vai trò)", "Chỉ tiêu", "Mục trích dẫn"]
ASSIGNMENT_COLUMNS = ["Tỉnh", "Văn bản", "Cơ quan", "Vai trò", "Nhiệm vụ"]
TARGET_COLUMNS = ["Tỉnh", "Văn bản", "Chỉ tiêu", "Thời hạn", "Nội dung", "Câu văn"]
# In pixels, not shares of the page: on a phone the table keeps readable columns and scrolls sideways.
COMPARE_WIDTHS = ["95px", "150px", "55px", "70px", "330px", "230px", "150px", "130px"]
ASSIGNMENT_WIDTHS = ["95px", "150px", "200px", "90px", "660px"]
TARGET_WIDTHS = ["95px", "150px", "120px", "100px", "250px", "480px"]


def _table(rows, columns):
    import pandas as pd
    return pd.DataFrame(rows, columns=columns)


def _join(items, limit=8) -> str:
    items = list(dict.fromkeys(i for i in items if i))
    return "; ".join(items[:limit]) + (f"; … (+{len(items) - limit})" if len(items) > limit else "")


def compare_table(lib: Library, topic: str, provinces: list[str] | None):
    """(table, CSV file path or None, message) comparing how each province's plans treat a topic."""
    from .compare import compare, rows_to_csv
    if not (topic or "").strip():
        return _table([], COMPARE_COLUMNS), None, "Hãy nhập một chủ đề, ví dụ: cai nghiện."
    try:
        lib.refresh()
        rows = compare(lib.index, topic.strip(), list(provinces) or None)
    except Exception:
        log.exception("compare failed for %r", topic)
        return _table([], COMPARE_COLUMNS), None, FAILED
    table = [[r.province, r.document, r.year or "", "Có" if r.found else "Không nêu", r.summary,
              _join(f"{a.agency} ({a.role})" for a in r.assignments),
              _join((t.phrase for t in r.targets), 4),
              _join(section_words(c.section) for c in r.citations)] for r in rows]
    text = rows_to_csv(rows)
    slug = re.sub(r"[^\w]+", "-", topic.strip().lower())[:40].strip("-") or "chu-de"
    path = lib.downloads / f"so-sanh-{slug}-{hashlib.sha256(text.encode()).hexdigest()[:8]}.csv"
    path.write_text(text, encoding="utf-8-sig")  # the BOM lets Excel read Vietnamese
    found = sum(r.found for r in rows)
    return _table(table, COMPARE_COLUMNS), str(path), f"{found}/{len(rows)} kế hoạch có nêu chủ đề này."


def facts_tables(lib: Library, agency: str, province: str):
    """(assignments table, targets table, message): who does what, and the quantified targets."""
    from .compare import plan_facts
    try:
        lib.refresh()
        found, aims = plan_facts(lib.index, province or None, agency or None)
    except Exception:
        log.exception("plan_facts failed for %r %r", agency, province)
        return _table([], ASSIGNMENT_COLUMNS), _table([], TARGET_COLUMNS), FAILED
    a_rows = [[*lib.where(a.doc_id), a.agency, a.role, a.task] for a in found]
    t_rows = [[*lib.where(t.doc_id), " ".join(x for x in (t.comparator, t.value, t.unit) if x), t.deadline,
               t.counted, t.phrase] for t in aims]
    return (_table(a_rows, ASSIGNMENT_COLUMNS), _table(t_rows, TARGET_COLUMNS),
            f"{len(a_rows)} phân công, {len(t_rows)} chỉ tiêu.")


def agencies(lib: Library) -> list[str]:
    try:
        from .compare import plan_facts
        return sorted({a.agency for a in plan_facts(lib.index)[0]})
    except Exception:  # the facts tab still works with a typed agency name
        log.exception("listing agencies failed")
        return []


# --- adding a plan --------------------------------------------------------------------------------

class Rejected(Exception):
    """An upload refused before indexing, with the reason in Vietnamese."""


def safe_name(name: str) -> str:
    """A plain file name from an uploaded one: no folders, no '..', only letters, digits, '.', '-', '_'."""
    base = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")  # the suffix first: a stem of emoji alone must not take it along
    if not dot:
        stem, suffix = base, ""
    suffix = re.sub(r"\W+", "", suffix).lower()[:10]
    stem = re.sub(r"[^\w.\-]+", "-", stem).strip(".-_ ")[:100]
    # A file name holds at most 255 bytes, and a Vietnamese letter takes up to 3 of them.
    stem = stem.encode("utf-8")[:NAME_BYTES].decode("utf-8", "ignore").strip(".-_") or "ke-hoach"
    return f"{stem}.{suffix}" if suffix else stem


def save_upload(src, name: str, folder: Path) -> tuple[Path, bool]:
    """Check and copy an uploaded file into the data folder; (saved path, whether it is a new file)."""
    clean = safe_name(name)
    suffix = Path(clean).suffix.lower()
    if suffix not in SUFFIXES:
        raise Rejected(f"Tệp “{clean}” không được nhận: chỉ nhận {', '.join(SUFFIXES)}.")
    size = os.path.getsize(src)
    if size > MAX_UPLOAD_BYTES:
        raise Rejected(f"Tệp “{clean}” nặng {size / 2**20:.1f} MB, vượt giới hạn {MAX_UPLOAD_MB} MB.")
    if size == 0:
        raise Rejected(f"Tệp “{clean}” trống.")
    folder.mkdir(parents=True, exist_ok=True)
    data = Path(src).read_bytes()
    dest, n = folder / clean, 2
    while dest.exists():
        if dest.read_bytes() == data:
            return dest, False
        dest, n = folder / f"{Path(clean).stem}-{n}{suffix}", n + 1
    if dest.resolve().parent != folder.resolve():  # never write outside the data folder
        raise Rejected("Tên tệp không hợp lệ.")
    tmp = dest.with_name(f".{dest.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, dest)
    return dest, True


def looks_like_a_plan(path: Path) -> bool:
    """Whether parsing finds what a plan has: a document type, number or title, or a numbered section."""
    from .metadata import extract
    from .parse import parse_paragraphs
    text = read(path).text
    paras = parse_paragraphs(text, "upload")
    meta = extract(paras, text)
    return bool(meta.type or meta.number or meta.title or any(p.section for p in paras))


def add_plan(lib: Library, upload, progress=None, anyway: bool = False) -> str:
    """Save an uploaded plan into the data folder, index it incrementally and reopen the index; a message.
    A file that does not read as a plan is refused unless `anyway`."""
    if not upload:
        return "Hãy chọn một tệp kế hoạch (.txt, .docx, .pdf, .html) trước."
    path, saved, new = Path(upload), None, False
    try:
        saved, new = save_upload(path, path.name, lib.data)
        if not anyway and not looks_like_a_plan(saved):
            _discard(saved, new)
            return (f"Chưa thêm “{saved.name}”: tệp không giống một kế hoạch — không thấy loại văn bản (KẾ HOẠCH…), "
                    f"số hiệu, tiêu đề hay mục đánh số (I., 1., a)…). Nếu đúng là kế hoạch, hãy chọn "
                    f"“Vẫn thêm khi tệp không giống kế hoạch” rồi bấm thêm lại.")
        stages = {"read": "Đang đọc tệp", "searchable": "Đã tìm được theo từ"}
        report = build([saved], lib.path, None,
                       (lambda stage, done, total: progress((done, total), desc=stages.get(stage, stage)))
                       if progress else None, vectors=False, store=lib.store)  # searchable now, vectors below
    except Rejected as e:
        return str(e)
    except ReadError as e:
        _discard(saved, new)
        return f"Không thêm được “{saved.name}”: không đọc được tệp ({e.reason})."
    except IndexError_:  # another update holds the index, or it cannot be opened
        log.exception("indexing %s failed", upload)
        _discard(saved, new)
        return "Chưa cập nhật được chỉ mục (có thể đang có lượt cập nhật khác); hãy thử lại sau ít phút."
    except Exception:
        log.exception("indexing %s failed", upload)
        _discard(saved, new)
        return "Không thêm được kế hoạch: " + FAILED
    name = saved.name
    if report.failed:
        _discard(saved, new)
        return f"Không thêm được “{name}”: không đọc được tệp ({report.failed[0][1]})."
    if report.duplicates:
        _discard(saved, new)
        return f"“{name}” có nội dung trùng với kế hoạch đã có ({report.duplicates[0][1]}); không thêm lại."
    lib.reopen()
    doc = next((d for d in lib.index.documents.values() if Path(d.path) == saved.resolve()), None)
    if doc is None or not (report.added or report.updated):
        return f"“{name}” đã có trong chỉ mục."
    province = doc.metadata.province or "chưa nhận ra tỉnh"
    waiting = ""
    if not lib.index.complete:
        threading.Thread(target=_complete_later, args=(lib,), daemon=True).start()
        waiting = " Véc-tơ ngữ nghĩa của các đoạn mới đang được tạo; trong lúc đó tìm kiếm dựa trên từ ngữ."
    return (f"Đã thêm “{name}”: {province} — {doc.label}, {len(doc.paragraphs)} đoạn. "
            f"Có thể hỏi về kế hoạch này ngay trong thẻ Hỏi đáp.{waiting}")


def _complete_later(lib: Library) -> None:
    """Vectors and facts of a plan just added, computed after it became searchable; the page picks up the
    version that has them on its next question (Library.refresh)."""
    try:
        add_vectors(lib.path, store=lib.store)
    except Exception:  # another update took the lock, or it failed: the next 'khsearch index' completes it
        log.exception("computing the vectors of %s failed", address(lib.store, lib.path))


def _discard(saved: Path | None, new: bool):
    if saved and new:
        saved.unlink(missing_ok=True)


# --- the page -------------------------------------------------------------------------------------

# System fonts that hold every Vietnamese letter (Debian: fonts-noto-core, fonts-dejavu-core), for the tables too
# (Gradio sets them in its monospace font, whose usual choices lack 'ế'); no web font is fetched.
FONTS = ["Noto Sans", "DejaVu Sans", "sans-serif"]
# Gradio's own strings in Vietnamese. It picks them by the browser's language among those it ships, so every
# one of these languages is given the Vietnamese strings.
GRADIO_LANGUAGES = ("en", "ar", "ca", "ckb", "de", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "id", "ja", "ko",
                    "lt", "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sv", "ta", "th", "tr", "uk", "ur", "uz",
                    "zh-CN", "zh-TW")
GRADIO_VI = {
    "upload_text.drop_file": "Thả tệp vào đây", "upload_text.click_to_upload": "Bấm để chọn tệp",
    "upload_text.drop_csv": "Thả tệp CSV vào đây", "upload_text.paste_clipboard": "Dán từ bộ nhớ tạm",
    "common.or": "hoặc", "common.clear": "Xóa", "common.download": "Tải về", "common.download_all": "Tải tất cả",
    "common.edit": "Sửa", "common.empty": "Trống", "common.error": "Lỗi", "common.loading": "Đang tải",
    "common.remove": "Bỏ", "common.submit": "Gửi", "common.undo": "Hoàn tác", "common.settings": "Cài đặt",
    "common.share": "Chia sẻ", "common.progress": "Tiến độ", "common.language": "Ngôn ngữ",
    "file.uploading": "Đang tải lên…", "status.queue_position": "Đang chờ: {position}/{size}",
    "blocks.waiting_for_inputs": "Đang chờ tải tệp lên xong, hãy thử lại.",
    "blocks.lost_connection": "Mất kết nối vì đã rời trang; đang kết nối lại…",
    "blocks.connection_can_break": "Trên điện thoại, kết nối có thể ngắt khi chuyển sang thẻ khác hoặc máy tắt màn hình.",
    "blocks.long_requests_queue": "Đang có nhiều yêu cầu chờ xử lý.",
    "dataframe.sort_column": "Sắp xếp cột", "dataframe.sort_ascending": "Tăng dần",
    "dataframe.sort_descending": "Giảm dần", "dataframe.clear_sort": "Bỏ sắp xếp", "dataframe.filter": "Lọc",
    "dataframe.clear_filter": "Bỏ lọc", "dropdown.dropdown": "Danh sách chọn", "errors.use_via_api": "Dùng qua API",
}
CSS = """
#khs-transcript .khs-turn {border:1px solid #d4d4d8; border-radius:8px; padding:12px; margin:0 0 14px;
                           background:#fff; color:#18181b}
#khs-transcript .khs-q {color:#52525b; margin-bottom:6px}
#khs-transcript .khs-answer {font-size:1.1em; font-weight:600; color:#14532d}
#khs-transcript .khs-answer.khs-none {color:#7c2d12}
#khs-transcript .khs-conflict {background:#fef3c7; border-left:4px solid #d97706; color:#78350f;
                               padding:6px 10px; margin:4px 0 8px}
#khs-transcript .khs-focus {color:#71717a; font-size:.85em; margin-top:4px}
#khs-transcript .khs-title {margin-top:10px; font-weight:600}
#khs-transcript .khs-cites {padding-left:1.4em}
#khs-transcript .khs-cite {margin:8px 0}
#khs-transcript .khs-where {color:#1e3a8a}
#khs-transcript .khs-text {background:#fafafa; border-left:3px solid #a1a1aa; padding:6px 8px; margin-top:3px;
                           line-height:1.5}
#khs-transcript .khs-text mark {background:#fde68a; color:inherit; padding:0 1px}
#khs-transcript .khs-row th {text-align:left; font-weight:600; padding:2px 10px 2px 0; vertical-align:top;
                             color:#3f3f46; width:30%}
#khs-transcript .khs-columns {color:#52525b; font-size:.9em}
#khs-transcript .khs-error {color:#b91c1c}
/* Gradio's status line ('processing | 0.4s', 'queue: 1/2') is English and has no translation: the spinner and the
   Vietnamese progress description stay. */
.progress-text {display:none !important}
#khs-added {border:1px solid #d4d4d8; border-radius:8px; padding:4px 12px; min-height:3em; color:#18181b}
"""


def make_app(index_path="index", data_dir=None, store=None):
    """The Gradio page over the index at `index_path` (or in `store`); new plans are saved to `data_dir` (see
    `data_folder`)."""
    gr = _gradio()
    lib = Library(index_path, data_dir, store)
    province_choices = lambda: [("Tất cả các tỉnh", ALL)] + [(p, p) for p in lib.provinces()]
    doc_choices = lambda: [("Tất cả văn bản", ALL)] + lib.documents()
    agency_choices = lambda: [("Tất cả cơ quan", ALL)] + [(a, a) for a in agencies(lib)]

    with gr.Blocks(title="Tra cứu kế hoạch", analytics_enabled=False) as app:
        gr.Markdown("## Tra cứu kế hoạch của các tỉnh\nHỏi đáp có trích dẫn nguyên văn từ các kế hoạch đã lập chỉ mục.")
        with gr.Tabs(overflow_behavior="wrap"):
            with gr.Tab("Hỏi đáp"):
                state = gr.State({"province": None, "turns": []})
                with gr.Row():
                    province = gr.Dropdown(province_choices(), value=ALL, label="Tỉnh", elem_id="khs-province")
                    document = gr.Dropdown(doc_choices(), value=ALL, label="Văn bản", elem_id="khs-document")
                with gr.Row():
                    question = gr.Textbox(label="Câu hỏi", placeholder="Ví dụ: Cơ quan nào chủ trì công tác cai nghiện?",
                                          scale=5, elem_id="khs-question")
                    with gr.Column(scale=1, min_width=160):
                        ask_btn = gr.Button("Hỏi", variant="primary", elem_id="khs-ask")
                        new_btn = gr.Button("Cuộc hỏi đáp mới", size="sm")
                examples = gr.Examples(EXAMPLES, inputs=question, label="Câu hỏi mẫu (bấm để hỏi)")
                transcript = gr.HTML(elem_id="khs-transcript")
                with gr.Accordion("Dữ liệu câu trả lời (JSON)", open=False):
                    as_json = gr.JSON(label="Câu trả lời")

                def on_ask(question, province, document, state):
                    return chat(lib, question, province, document, state)
                asked = ([question, province, document, state], [transcript, state, as_json, question])
                gr.on([ask_btn.click, question.submit], on_ask, *asked, api_name="ask")
                examples.load_input_event.then(on_ask, *asked, api_visibility="private")
                new_btn.click(lambda: ("", {"province": None, "turns": []}, None), None, [transcript, state, as_json],
                              api_name="new_chat")
                document.change(lambda d: lib.where(d)[0] if d else gr.skip(), document, province,
                                api_visibility="private")

            with gr.Tab("So sánh"):
                with gr.Row():
                    topic = gr.Textbox(value="cai nghiện", label="Chủ đề", scale=3)
                    chosen = gr.Dropdown(lib.provinces(), multiselect=True, label="Các tỉnh (để trống: tất cả)", scale=3)
                    compare_btn = gr.Button("So sánh", variant="primary", scale=1)
                compare_msg = gr.Markdown()
                compare_out = gr.Dataframe(headers=COMPARE_COLUMNS, wrap=True, interactive=False, label="Bảng so sánh",
                                           column_widths=COMPARE_WIDTHS,
                                           max_height=4000, buttons=[], pinned_columns=1, elem_id="khs-compare")
                compare_csv = gr.File(label="Tải bảng (CSV)", interactive=False)

                def on_compare(topic, provinces):
                    return compare_table(lib, topic, provinces)
                gr.on([compare_btn.click, topic.submit], on_compare, [topic, chosen],
                      [compare_out, compare_csv, compare_msg], api_name="compare")

            with gr.Tab("Ai làm gì"):
                with gr.Row():
                    agency = gr.Dropdown(agency_choices(), value=ALL, allow_custom_value=True, label="Cơ quan", scale=3)
                    facts_province = gr.Dropdown(province_choices(), value=ALL, label="Tỉnh", scale=2,
                                                 elem_id="khs-facts-province")
                    facts_btn = gr.Button("Xem", variant="primary", scale=1)
                facts_msg = gr.Markdown()
                assigned = gr.Dataframe(headers=ASSIGNMENT_COLUMNS, wrap=True, interactive=False, buttons=[],
                                        label="Phân công nhiệm vụ", column_widths=ASSIGNMENT_WIDTHS)
                aims = gr.Dataframe(headers=TARGET_COLUMNS, wrap=True, interactive=False, label="Chỉ tiêu", buttons=[],
                                    column_widths=TARGET_WIDTHS)

                def on_facts(agency, province):
                    return facts_tables(lib, agency, province)
                facts_btn.click(on_facts, [agency, facts_province], [assigned, aims, facts_msg], api_name="facts")

            with gr.Tab("Thêm kế hoạch"):
                gr.Markdown(f"Tải lên một kế hoạch dạng {', '.join(SUFFIXES)} (tối đa {MAX_UPLOAD_MB} MB). "
                            f"Tệp được lưu vào thư mục dữ liệu bên cạnh chỉ mục và lập chỉ mục ngay.")
                upload = gr.File(label="Tệp kế hoạch", type="filepath", elem_id="khs-upload")
                anyway = gr.Checkbox(False, label="Vẫn thêm khi tệp không giống kế hoạch")
                add_btn = gr.Button("Thêm vào chỉ mục", variant="primary", elem_id="khs-add")
                add_msg = gr.Markdown(elem_id="khs-added")

        lists = [province, document, chosen, facts_province, agency]

        def refreshed():
            """Every list of provinces, plans and agencies as the index holds them now."""
            lib.refresh()
            return (gr.Dropdown(choices=province_choices()), gr.Dropdown(choices=doc_choices()),
                    gr.Dropdown(choices=lib.provinces()), gr.Dropdown(choices=province_choices()),
                    gr.Dropdown(choices=agency_choices()))

        def on_add(file, anyway, progress=gr.Progress()):
            return add_plan(lib, file, progress, anyway), *refreshed()
        add_btn.click(on_add, [upload, anyway], [add_msg, *lists], api_name="add_plan", concurrency_limit=1)
        app.load(refreshed, None, lists, api_visibility="private")  # a page opened after `khsearch index` ran
    return app


def launch(app, host: str = HOST, port: int = PORT, block: bool = True):
    """Start a page made by `make_app` on host:port, in Vietnamese, without Gradio's footer links. With `block`,
    print one line with the address once the page answers, then serve until interrupted."""
    gr = _gradio()
    vietnamese = gr.I18n(**{language: GRADIO_VI for language in GRADIO_LANGUAGES})
    started = app.queue().launch(server_name=host, server_port=port, prevent_thread_lock=True, quiet=True,
                                 ssr_mode=False, max_file_size=MAX_UPLOAD_BYTES, show_error=False, footer_links=[],
                                 i18n=vietnamese, theme=gr.themes.Default(font=FONTS, font_mono=FONTS), css=CSS)
    if block:
        print(f"khsearch: the chat page is ready at {app.local_url} (Ctrl-C stops it)", flush=True)
        app.block_thread()
    return started


def serve(index_path="index", host: str = HOST, port: int = PORT, data_dir=None, store=None):
    """Serve the page until interrupted; binds to localhost unless told otherwise."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("bm25s", "httpx", "faiss.loader"):  # per-request and per-load chatter
        logging.getLogger(noisy).setLevel(logging.WARNING)
    launch(make_app(index_path, data_dir, store), host, port)
