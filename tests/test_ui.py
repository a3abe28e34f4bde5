"""The web page: launched for real on a free localhost port over a small index, asked through its HTTP API and
in headless Chromium."""
import json
import re
import shutil
import socket
from pathlib import Path

import httpx
import pytest

pytest.importorskip("gradio")
from gradio_client import Client, handle_file  # noqa: E402

from khsearch import ui  # noqa: E402
from khsearch.index import build, open_index  # noqa: E402
from khsearch.parse import parse_paragraphs  # noqa: E402
from khsearch.records import Answer, Citation  # noqa: E402

# gradio's queue calls pandas options that pandas 3 deprecates; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")
from conftest import CORPUS, LAO_CAI_PLAN, ROOT  # noqa: E402
METHADONE = "Cơ quan nào chủ trì mở rộng điều trị Methadone ở Cà Mau?"
CONFLICT = "Ai ký kế hoạch của Thái Bình?"  # asked with Cà Mau chosen
NOTE = "Nhớ họp giao ban lúc 3 giờ chiều mai."  # a one-line note, no plan


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tmp: Path, plans):
    """An index of `plans` (hash embedder) and the page over it, launched as `khsearch serve` launches it on a free
    localhost port; (app, url, data folder, plan folder)."""
    corpus = tmp / "corpus"
    corpus.mkdir()
    for p in plans:
        shutil.copy(p, corpus)
    build([corpus], tmp / "index", embedder="hash")
    app = ui.make_app(tmp / "index", tmp / "data")
    port = free_port()
    ui.launch(app, "127.0.0.1", port, block=False)
    return app, f"http://127.0.0.1:{port}/", tmp / "data", corpus


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app, url, data, _ = _serve(tmp_path_factory.mktemp("ui"), sorted(CORPUS.glob("*.txt")))
    yield url, data
    app.close()


def _ask(client, question, province="", document=""):
    html, data, box = client.predict(question, province, document, api_name="/ask")
    return html, data


def _add(client, path, anyway=False):
    """(message, province choices, document choices) after an upload."""
    message, provinces, documents, *_ = client.predict(handle_file(path), anyway, api_name="/add_plan")
    return message, [c[1] for c in provinces["choices"]], [c[1] for c in documents["choices"]]


def test_answer_with_citation_of_the_named_province(server):
    client = Client(server[0], verbose=False)
    html, data = _ask(client, METHADONE)
    assert data["found"] and "Sở Y tế" in data["answer"]
    first = data["citations"][0]
    assert first["province"] == "Cà Mau" and first["section"] == "IV.4.a" and "Methadone" in first["text"]
    assert first["section_words"] == "mục IV.4.a"
    assert "path" not in first  # the browser is not told where the server keeps its files
    assert "Sở Y tế (chủ trì)" in html and "Cà Mau · Kế hoạch 100/KH-UBND" in html and "mục IV.4.a" in html


def test_the_province_named_in_the_question_wins_over_the_filter_and_the_page_says_so(server):
    client = Client(server[0], verbose=False)
    html, data = _ask(client, CONFLICT, province="Cà Mau")
    assert data["filter_set_aside"] == "Cà Mau" and "Lại Văn Hoàn" in data["answer"]
    assert {c["province"] for c in data["citations"]} == {"Thái Bình"}
    conflict = re.search(r"<div class='khs-conflict'>(.*?)</div>", html)[1]
    assert "Cà Mau" in conflict and "Thái Bình" in conflict
    answer = re.search(r"<div class='khs-answer'>(.*?)</div>", html)[1]
    assert "Cà Mau" not in answer and "Lại Văn Hoàn" in answer  # said once, apart from the answer
    _, same = _ask(client, "Ai ký kế hoạch của Cà Mau?", province="Cà Mau")
    assert same["filter_set_aside"] is None


def test_follow_up_keeps_the_province_until_another_is_named(server):
    client = Client(server[0], verbose=False)
    _, first = _ask(client, "Quảng Ninh phấn đấu bao nhiêu xã đạt tiêu chí xã sạch ma túy?")
    assert first["province_in_focus"] == "Quảng Ninh"
    # Asked alone, this question is answered from Cà Mau's plan (see the last check): the focus must hold.
    _, follow = _ask(client, "Mục tiêu về cai nghiện là gì?")
    assert follow["province_in_focus"] == "Quảng Ninh"
    assert follow["citations"] and {c["province"] for c in follow["citations"]} == {"Quảng Ninh"}
    _, other = _ask(client, "Còn ở Nghệ An, cơ quan nào chủ trì công tác cai nghiện ma túy?")
    assert other["province_in_focus"] == "Nghệ An"
    assert {c["province"] for c in other["citations"]} == {"Nghệ An"}
    _, fresh = _ask(Client(server[0], verbose=False), "Mục tiêu về cai nghiện là gì?")
    assert fresh["province_in_focus"] is None and fresh["citations"][0]["province"] != "Quảng Ninh"


def test_province_filter_and_document_filter(server):
    client = Client(server[0], verbose=False)
    _, data = _ask(client, "Mục tiêu về cai nghiện là gì?", province="Thái Bình")
    assert {c["province"] for c in data["citations"]} == {"Thái Bình"}
    _, data = _ask(client, "Mục tiêu về cai nghiện là gì?", document="nghe-an-321-kh-ubnd-2022")
    assert {c["doc_id"] for c in data["citations"]} == {"nghe-an-321-kh-ubnd-2022"}


def test_question_without_diacritics(server):
    _, data = _ask(Client(server[0], verbose=False), "co quan nao chu tri mo rong dieu tri methadone o ca mau")
    assert data["found"] and "Sở Y tế" in data["answer"] and data["citations"][0]["province"] == "Cà Mau"


def test_compare_table_and_csv(server):
    table, csv_path, message = Client(server[0], verbose=False).predict("cai nghiện", [], api_name="/compare")
    rows = table["data"]
    assert table["headers"] == ui.COMPARE_COLUMNS
    assert {r[0] for r in rows} == {"Cà Mau", "Khánh Hòa", "Nghệ An", "Quảng Ninh", "Thái Bình"}
    assert sum(r[3] == "Có" for r in rows) >= 2
    assert all(r[7].startswith("mục ") for r in rows if r[7])  # sections in a reader's words
    text = Path(csv_path).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("province,document") and "Quảng Ninh" in text
    assert message.endswith("kế hoạch có nêu chủ đề này.") and "cai nghiện" not in message


def test_facts_filtered_by_agency_and_province(server):
    assigned, aims, message = Client(server[0], verbose=False).predict("Sở Y tế", "Cà Mau", api_name="/facts")
    rows = assigned["data"]
    assert rows and {r[0] for r in rows} == {"Cà Mau"} and {r[2] for r in rows} == {"Sở Y tế"}
    assert any("Methadone" in r[4] for r in rows)
    everything, targets, _ = Client(server[0], verbose=False).predict("", "Quảng Ninh", api_name="/facts")
    assert len(everything["data"]) > len(rows) and targets["data"]
    assert {r[0] for r in targets["data"]} == {"Quảng Ninh"}


def test_upload_rejects_a_bad_extension(server, tmp_path):
    bad = tmp_path / "ke-hoach.exe"
    bad.write_bytes(b"MZ\x90\x00")
    message = _add(Client(server[0], verbose=False), bad)[0]
    assert "không được nhận" in message and ".docx" in message
    assert not server[1].exists() or "ke-hoach.exe" not in {p.name for p in server[1].iterdir()}


def test_upload_with_a_path_traversal_name_stays_in_the_data_folder(server, tmp_path):
    """The file is sent with the name '../../escape.txt' over raw HTTP, as a hostile client would."""
    url, data = server
    outside = data.parent.parent / "escape.txt"
    with httpx.Client(base_url=url, timeout=60) as http:
        up = http.post("gradio_api/upload", files={"files": ("../../escape.txt", b"not a plan", "text/plain")})
        up.raise_for_status()
        file = {"path": up.json()[0], "orig_name": "../../escape.txt", "meta": {"_type": "gradio.FileData"}}
        event = http.post("gradio_api/call/add_plan", json={"data": [file, True]}).json()["event_id"]
        stream = http.get(f"gradio_api/call/add_plan/{event}").text
    payload = json.loads([l for l in stream.splitlines() if l.startswith("data:")][-1][5:])
    assert not outside.exists()
    assert not any(p.name.startswith(".") or "/" in p.name for p in data.iterdir())
    assert "escape" in payload[0] and "/" not in payload[0].split("“")[1].split("”")[0]


def test_an_upload_over_the_size_limit_is_refused_by_the_server(server):
    with httpx.Client(base_url=server[0], timeout=60) as http:
        up = http.post("gradio_api/upload", files={"files": ("lon.txt", b"x" * (ui.MAX_UPLOAD_BYTES + 1), "text/plain")})
    assert up.status_code == 413


def test_safe_name_keeps_only_a_plain_basename(tmp_path):
    assert ui.safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert ui.safe_name("..\\..\\Windows\\kế hoạch 12.DOCX") == "kế-hoạch-12.docx"
    assert ui.safe_name("/abs/path/.hidden.pdf") == "hidden.pdf"
    assert ui.safe_name("..") == "ke-hoach" and ui.safe_name("a\x00b.html") == "a-b.html"
    src = tmp_path / "upload.txt"
    src.write_text("x", encoding="utf-8")
    saved, new = ui.save_upload(src, "../../../evil.txt", tmp_path / "data")
    assert new and saved.parent == tmp_path / "data" and saved.name == "evil.txt"
    with pytest.raises(ui.Rejected, match="không được nhận"):
        ui.save_upload(src, "evil.sh", tmp_path / "data")


def test_upload_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(ui, "MAX_UPLOAD_BYTES", 10)
    src = tmp_path / "big.txt"
    src.write_text("x" * 11, encoding="utf-8")
    with pytest.raises(ui.Rejected, match="vượt giới hạn"):
        ui.save_upload(src, "big.txt", tmp_path / "data")


def test_an_added_plan_is_kept_beside_the_index_searchable_and_listed(tmp_path):
    app, url, data, corpus = _serve(tmp_path, [CORPUS / "ca-mau-100-kh-ubnd-2017.txt"])
    try:
        client = Client(url, verbose=False)
        plan = tmp_path / "lao-cai-12-kh-ubnd-2024.txt"
        plan.write_text(LAO_CAI_PLAN, encoding="utf-8")
        message, provinces, documents = _add(client, plan)
        assert message.startswith("Đã thêm “lao-cai-12-kh-ubnd-2024.txt”: Lào Cai"), message
        assert (data / plan.name).read_text(encoding="utf-8") == LAO_CAI_PLAN
        assert sorted(p.name for p in corpus.iterdir()) == ["ca-mau-100-kh-ubnd-2017.txt"]  # not among the sources
        assert "Lào Cai" in provinces and "lao-cai-12-kh-ubnd-2024" in documents
        _, found = _ask(client, "Cơ quan nào chủ trì điều trị nghiện bằng Buprenorphine ở Lào Cai?")
        assert found["found"] and "Sở Y tế" in found["answer"] and found["citations"][0]["province"] == "Lào Cai"
        assert "đã có trong chỉ mục" in _add(client, plan)[0]
        # An update from the plan folder alone keeps the plans added on the page.
        assert build([corpus], tmp_path / "index", embedder="hash").ok
        assert {d.metadata.province for d in open_index(tmp_path / "index").documents.values()} == {"Cà Mau", "Lào Cai"}
        empty = tmp_path / "trong.txt"
        empty.write_text("   \n", encoding="utf-8")
        failed = _add(client, empty)[0]
        assert failed.startswith("Không thêm được “trong.txt”") and not (data / "trong.txt").exists()
    finally:
        app.close()


def test_a_note_that_is_not_a_plan_is_refused_unless_confirmed(tmp_path):
    app, url, data, _ = _serve(tmp_path, [CORPUS / "ca-mau-100-kh-ubnd-2017.txt"])
    try:
        client = Client(url, verbose=False)
        note = tmp_path / "ghi-chu.txt"
        note.write_text(NOTE, encoding="utf-8")
        message, provinces, documents = _add(client, note)
        assert "không giống một kế hoạch" in message and "loại văn bản" in message and "mục đánh số" in message
        assert not (data / note.name).exists() and documents == ["", "ca-mau-100-kh-ubnd-2017"]
        message, _, documents = _add(client, note, anyway=True)
        assert message.startswith("Đã thêm “ghi-chu.txt”") and "ghi-chu" in documents
    finally:
        app.close()


def test_a_handler_that_raises_shows_no_detail(server, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("secret internal detail")
    monkeypatch.setattr(ui, "chat", boom)  # what an error outside chat's own guard would look like
    with pytest.raises(Exception) as raised:
        _ask(Client(server[0], verbose=False), METHADONE)
    assert "secret" not in str(raised.value)


def test_a_failing_question_shows_a_short_message_not_a_traceback(server, monkeypatch):
    import khsearch.answer

    def boom(*a, **k):
        raise RuntimeError("secret internal detail")
    monkeypatch.setattr(khsearch.answer, "ask", boom)
    lib = ui.Library(Path(server[1]).parent / "index", server[1])
    html, state, data, _ = ui.chat(lib, "Câu hỏi nào đó?", "", "", None)
    assert ui.FAILED in html and "secret" not in html and "Traceback" not in html and data == {"error": ui.FAILED}


# --- what the page shows ------------------------------------------------------------------------------

# Every label shape the parser gives (from the plans of corpus/ and of the 2025 plans of issue 13), in words.
LABELS = {
    "II.-2": "mục II, gạch đầu dòng 2", "PL.1.r4": "Phụ lục, mục 1, bảng, dòng 4", "I.2.(5)": "mục I.2, ý (5)",
    "IV.4.a": "mục IV.4.a", "III.1.-1.-1": "mục III.1, gạch đầu dòng 1, gạch con 1", "r3": "bảng, dòng 3",
    "PL01.r1": "Phụ lục 01, bảng, dòng 1", "PLI": "Phụ lục I", "IV'.1": "mục IV.1 (số IV lặp lại lần 2 trong văn bản)",
    "II.1'": "mục II.1 (số II.1 lặp lại lần 2 trong văn bản)", "Đ1": "Điều 1", "-1": "gạch đầu dòng 1",
    "PI.1.a": "Phần I, mục 1.a", "CII.M1.Đ3.2.a": "Chương II, Mục 1, Điều 3, khoản 2, điểm a", "(2)": "ý (2)",
    "II.2.-1.(1)": "mục II.2, gạch đầu dòng 1, ý (1)", "IV.1.1.b.-1": "mục IV.1.1.b, gạch đầu dòng 1",
    "A.I.1": "mục A.I.1", "": "",
}


@pytest.mark.parametrize("label", LABELS)
def test_section_labels_in_a_readers_words(label):
    assert ui.section_words(label) == LABELS[label]


def test_no_internal_notation_is_left_in_the_words_of_any_parsed_label():
    labels = {p.section for f in sorted(CORPUS.glob("*.txt"))
              for p in parse_paragraphs(f.read_text(encoding="utf-8"), f.stem) if p.section}
    assert len(labels) > 100
    for label in labels:
        words = ui.section_words(label)
        assert words and not re.search(r"(?:^|[\s.,])(?:-\d|r\d|PL|[PCMĐ][IVX\d])|'", words), (label, words)


def test_cited_text_is_reflowed_and_a_table_row_shows_its_column_names():
    text = "a) Chủ trì, phối hợp các ngành liên quan tiếp tục mở\nrộng chương trình điều trị\nMethadone."
    s = text.index("mở\nrộng")
    c = Citation("d", "Cà Mau", "Kế hoạch 100", "IV.4.a", "4. Sở Y tế", text, "/x", 0, len(text), 1.0,
                 highlight=(s, s + len("mở\nrộng")))
    out = ui.cited_text(c)
    assert "\n" not in out and "<mark>mở rộng</mark> chương trình điều trị Methadone." in out
    row = Citation("d", "Nghệ An", "Kế hoạch 321", "PL.1.r4", "", "4.\tThành phố Vinh\t27", "/x", 0, 20, 1.0,
                   kind="table_row", highlight=(3, 17))
    out = ui.cited_text(row, ("STT", "Đơn vị", "Số vụ"))
    assert "<tr><th>Đơn vị</th><td><mark>Thành phố Vinh</mark></td></tr>" in out and "<th>Số vụ</th><td>27</td>" in out


def test_document_text_is_escaped_and_the_span_marked():
    text = "Trước <b>đậm</b> & <script>alert(1)</script> sau"
    s = text.index("<script>")
    c = Citation("d", "Cà Mau", "Kế hoạch <1>", "I.1", "1. <i>Mục</i>", text, "/x", 0, len(text), 1.0,
                 highlight=(s, s + len("<script>alert(1)</script>")))
    out = ui.render_turn("Hỏi <img src=x onerror=alert(1)>?", Answer("q", True, "Đáp <u>án</u>", (c,)), "Cà Mau")
    assert "<script>" not in out and "<b>" not in out and "<img" not in out and "<u>" not in out
    assert "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in out
    assert "Trước &lt;b&gt;đậm&lt;/b&gt; &amp; " in out and "Kế hoạch &lt;1&gt;" in out


def test_missing_gradio_gives_the_install_command(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "gradio", None)
    with pytest.raises(RuntimeError, match=r"pip install -e '\.\[ui\]' in your khsearch clone"):
        ui.make_app(ROOT / "index")


# --- in a real browser -----------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ENGLISH = re.compile(r"\b(?:Drop File Here|Click to Upload|Use via API|Built with Gradio|Settings|Clear|Loading|"
                     r"Submit|Examples|Download|Dropdown|Uploading|processing|Error)\b")


def _options(page, elem_id):
    page.locator(f"#{elem_id} input").click()
    names = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return [n.replace("✓", "").strip() for n in names]


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium)")
def test_the_page_in_a_real_browser(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    app, url, _, _ = _serve(tmp_path, sorted(CORPUS.glob("*.txt")))
    plan = tmp_path / "lao-cai-12-kh-ubnd-2024.txt"
    plan.write_text(LAO_CAI_PLAN, encoding="utf-8")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="en-US")  # an English browser
            page.goto(url, wait_until="domcontentloaded")
            box = page.locator("#khs-question textarea")
            box.wait_for(timeout=60_000)
            # An example is asked as soon as it is clicked.
            page.get_by_text(ui.EXAMPLES[0]).click()
            answer = page.locator("#khs-transcript .khs-answer").first
            answer.wait_for(timeout=60_000)
            assert answer.inner_text().strip() == "Sở Y tế (chủ trì)."
            where = page.locator("#khs-transcript .khs-where").first.inner_text()
            assert "Cà Mau" in where and "Kế hoạch 100/KH-UBND" in where and "mục IV.4.a" in where
            # The province filter gives way to the province the question names, and the page says so.
            page.locator("#khs-province input").click()
            page.get_by_role("option", name="Cà Mau", exact=True).click()
            box.fill(CONFLICT)
            box.press("Enter")
            conflict = page.locator("#khs-transcript .khs-conflict").first
            conflict.wait_for(timeout=60_000)
            assert "Cà Mau" in conflict.inner_text() and "Thái Bình" in conflict.inner_text()
            assert "Lại Văn Hoàn" in page.locator("#khs-transcript .khs-answer").first.inner_text()
            shown = [page.locator("body").inner_text()]
            # A plan added on the page is in every list at once.
            assert "Lào Cai" not in _options(page, "khs-province")
            page.get_by_role("tab", name="Thêm kế hoạch").click()
            shown.append(page.locator("body").inner_text())  # the upload box before a file is chosen
            page.locator("#khs-upload input[type=file]").set_input_files(str(plan))
            page.locator("#khs-add").click()
            page.wait_for_function("() => document.querySelector('#khs-added').innerText.trim().startsWith('Đã thêm')", timeout=120_000)
            assert page.locator("#khs-added").inner_text().strip().startswith("Đã thêm")
            page.get_by_role("tab", name="Hỏi đáp").click()
            assert "Lào Cai" in _options(page, "khs-province")
            assert any(o.startswith("Lào Cai — Kế hoạch 12/KH-UBND") for o in _options(page, "khs-document"))
            for tab in ("So sánh", "Ai làm gì"):
                page.get_by_role("tab", name=tab).click()
                shown.append(page.locator("body").inner_text())
            page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
            english = [m.group() for text in shown for m in ENGLISH.finditer(text)]
            assert not english, english
        finally:
            browser.close()
            app.close()
