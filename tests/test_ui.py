"""The web page: its API through gradio_client against the app served in-process, and one real browser run."""
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
from khsearch.index import build  # noqa: E402
from khsearch.records import Answer, Citation  # noqa: E402

# gradio's queue calls pandas options that pandas 3 deprecates; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:.*no_silent_downcasting", "ignore:The copy keyword is deprecated")
from conftest import CORPUS, LAO_CAI_PLAN, ROOT  # noqa: E402
SCREENSHOT = ROOT / "docs" / "screenshots" / "chat.png"
METHADONE = "Cơ quan nào chủ trì mở rộng điều trị Methadone ở Cà Mau?"
NEW_PLAN = LAO_CAI_PLAN


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(tmp: Path, plans):
    """An index of `plans` (hash embedder) and the page over it, launched on a free localhost port."""
    corpus = tmp / "corpus"
    corpus.mkdir()
    for p in plans:
        shutil.copy(p, corpus)
    build([corpus], tmp / "index", embedder="hash")
    app = ui.make_app(tmp / "index", corpus)
    port = _free_port()
    app.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                       ssr_mode=False, max_file_size=ui.MAX_UPLOAD_BYTES)
    return app, f"http://127.0.0.1:{port}/", corpus


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app, url, corpus = _serve(tmp_path_factory.mktemp("ui"), sorted(CORPUS.glob("*.txt")))
    yield url, corpus
    app.close()


def _ask(client, question, province="", document=""):
    html, data, box = client.predict(question, province, document, api_name="/ask")
    return html, data


def test_answer_with_citation_of_the_named_province(server):
    client = Client(server[0], verbose=False)
    html, data = _ask(client, METHADONE)
    assert data["found"] and "Sở Y tế" in data["answer"]
    first = data["citations"][0]
    assert first["province"] == "Cà Mau" and first["section"] == "IV.4.a" and "Methadone" in first["text"]
    assert "path" not in first  # the browser is not told where the server keeps its files
    assert "Sở Y tế (chủ trì)" in html and "Cà Mau · Kế hoạch 100/KH-UBND" in html and "mục IV.4.a" in html


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
    before = sorted(p.name for p in server[1].iterdir())
    message = Client(server[0], verbose=False).predict(handle_file(bad), api_name="/add_plan")[0]
    assert "không được nhận" in message and ".docx" in message
    assert sorted(p.name for p in server[1].iterdir()) == before


def test_upload_with_a_path_traversal_name_stays_in_the_corpus(server, tmp_path):
    """The file is sent with the name '../../escape.txt' over raw HTTP, as a hostile client would."""
    url, corpus = server
    outside = corpus.parent.parent / "escape.txt"
    with httpx.Client(base_url=url, timeout=60) as http:
        up = http.post("gradio_api/upload", files={"files": ("../../escape.txt", b"not a plan", "text/plain")})
        up.raise_for_status()
        server_path = up.json()[0]
        file = {"path": server_path, "orig_name": "../../escape.txt", "meta": {"_type": "gradio.FileData"}}
        event = http.post("gradio_api/call/add_plan", json={"data": [file]}).json()["event_id"]
        stream = http.get(f"gradio_api/call/add_plan/{event}").text
    payload = json.loads([l for l in stream.splitlines() if l.startswith("data:")][-1][5:])
    assert not outside.exists()
    assert not any(p.name.startswith(".") or "/" in p.name for p in corpus.iterdir())
    assert "escape" in payload[0] and "/" not in payload[0].split("“")[1].split("”")[0]


def test_safe_name_keeps_only_a_plain_basename(tmp_path):
    assert ui.safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert ui.safe_name("..\\..\\Windows\\kế hoạch 12.DOCX") == "kế-hoạch-12.docx"
    assert ui.safe_name("/abs/path/.hidden.pdf") == "hidden.pdf"
    assert ui.safe_name("..") == "ke-hoach" and ui.safe_name("a\x00b.html") == "a-b.html"
    src = tmp_path / "upload.txt"
    src.write_text("x", encoding="utf-8")
    saved, new = ui.save_upload(src, "../../../evil.txt", tmp_path / "corpus")
    assert new and saved.parent == tmp_path / "corpus" and saved.name == "evil.txt"
    with pytest.raises(ui.Rejected, match="không được nhận"):
        ui.save_upload(src, "evil.sh", tmp_path / "corpus")


def test_upload_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(ui, "MAX_UPLOAD_BYTES", 10)
    src = tmp_path / "big.txt"
    src.write_text("x" * 11, encoding="utf-8")
    with pytest.raises(ui.Rejected, match="vượt giới hạn"):
        ui.save_upload(src, "big.txt", tmp_path / "corpus")


def test_added_plan_is_searchable_right_away(tmp_path):
    app, url, corpus = _serve(tmp_path, [CORPUS / "ca-mau-100-kh-ubnd-2017.txt"])
    try:
        client = Client(url, verbose=False)
        plan = tmp_path / "lao-cai-12-kh-ubnd-2024.txt"
        plan.write_text(NEW_PLAN, encoding="utf-8")
        message, provinces, *_ = client.predict(handle_file(plan), api_name="/add_plan")
        assert message.startswith("Đã thêm “lao-cai-12-kh-ubnd-2024.txt”: Lào Cai"), message
        assert (corpus / plan.name).read_text(encoding="utf-8") == NEW_PLAN
        assert ["Lào Cai", "Lào Cai"] in provinces["choices"]
        _, data = _ask(client, "Cơ quan nào chủ trì điều trị nghiện bằng Buprenorphine ở Lào Cai?")
        assert data["found"] and "Sở Y tế" in data["answer"] and data["citations"][0]["province"] == "Lào Cai"
        again = client.predict(handle_file(plan), api_name="/add_plan")[0]
        assert "đã có trong chỉ mục" in again
        empty = tmp_path / "trong.txt"
        empty.write_text("   \n", encoding="utf-8")
        failed = client.predict(handle_file(empty), api_name="/add_plan")[0]
        assert failed.startswith("Không thêm được “trong.txt”") and not (corpus / "trong.txt").exists()
    finally:
        app.close()


def test_document_text_is_escaped_and_the_span_marked():
    text = "Trước <b>đậm</b> & <script>alert(1)</script> sau"
    s = text.index("<script>")
    c = Citation("d", "Cà Mau", "Kế hoạch <1>", "I.1", "1. <i>Mục</i>", text, "/x", 0, len(text), 1.0,
                 highlight=(s, s + len("<script>alert(1)</script>")))
    out = ui.render_turn("Hỏi <img src=x onerror=alert(1)>?", Answer("q", True, "Đáp <u>án</u>", (c,)), "Cà Mau")
    assert "<script>" not in out and "<b>" not in out and "<img" not in out and "<u>" not in out
    assert "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>" in out
    assert "Trước &lt;b&gt;đậm&lt;/b&gt; &amp; " in out and "Kế hoạch &lt;1&gt;" in out


def test_a_failing_question_shows_a_short_message_not_a_traceback(server, monkeypatch):
    import khsearch.answer

    def boom(*a, **k):
        raise RuntimeError("secret internal detail")
    monkeypatch.setattr(khsearch.answer, "ask", boom)
    lib = ui.Library(Path(server[1]).parent / "index", server[1])
    html, state, data, _ = ui.chat(lib, "Câu hỏi nào đó?", "", "", None)
    assert ui.FAILED in html and "secret" not in html and "Traceback" not in html and data == {"error": ui.FAILED}


def test_missing_gradio_gives_the_install_command(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "gradio", None)
    with pytest.raises(RuntimeError, match=r"pip install 'khsearch\[ui\]'"):
        ui.make_app(ROOT / "index")


CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium)")
def test_chat_in_a_real_browser(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000}, locale="vi-VN")
            page.goto(server[0], wait_until="domcontentloaded")
            box = page.locator("#khs-question textarea")
            box.fill(METHADONE)
            box.press("Enter")
            answer = page.locator("#khs-transcript .khs-answer").first
            answer.wait_for(timeout=60_000)
            assert "Sở Y tế (chủ trì)." == answer.inner_text().strip()
            where = page.locator("#khs-transcript .khs-where").first.inner_text()
            assert "Cà Mau" in where and "Kế hoạch 100/KH-UBND" in where and "mục IV.4.a" in where
            assert "Methadone" in page.locator("#khs-transcript .khs-text").first.inner_text()
            # A follow-up without a province: answered from Cà Mau, with the answering span marked.
            box.fill("Mục tiêu về cai nghiện là gì?")
            page.locator("#khs-ask").click()
            page.locator("#khs-transcript .khs-turn").nth(1).wait_for(timeout=60_000)
            newest = page.locator("#khs-transcript .khs-turn").first
            assert "Mục tiêu về cai nghiện là gì?" in newest.locator(".khs-q").inner_text()
            assert "Cà Mau" in newest.locator(".khs-where").first.inner_text()
            assert re.search(r"\d+%", newest.locator("mark").first.inner_text())  # the target's clause is marked
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()


def test_serve_binds_to_localhost_by_default(launched):
    ui.serve(ROOT / "index")
    assert launched["server_name"] == "127.0.0.1" and launched["server_port"] == 7860
    assert launched["max_file_size"] == 20 * 2**20
