"""Screenshots of the page for docs/screenshots/: each tab at desktop (1400×1000) and phone (420×900) width.

Indexes corpus/ into a temporary folder (hash embedder: no model to load, nothing written into the clone but the
images), starts the page on a free localhost port and drives Debian's chromium:

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""
from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"desktop": (1400, 1000), "phone": (420, 900)}
CONFLICT = "Ai ký kế hoạch của Thái Bình?"  # asked with Cà Mau chosen: the page says the filter was set aside
NEW_PLAN = """ỦY BAN NHÂN DÂN
TỈNH LÀO CAI

Số: 12/KH-UBND

Lào Cai, ngày 05 tháng 3 năm 2024

KẾ HOẠCH
Phòng, chống ma túy tại các xã biên giới năm 2024

I. MỤC TIÊU
1. Phấn đấu đến năm 2025 có 60% số xã biên giới đạt tiêu chí sạch ma túy.
II. NHIỆM VỤ
1. Sở Y tế chủ trì triển khai điều trị nghiện bằng thuốc Buprenorphine tại trạm y tế các xã biên giới.
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def choose(page, elem_id: str, option: str):
    """Pick an option of a Gradio dropdown by its text."""
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()
    page.get_by_role("listbox").wait_for(state="hidden")


def shoot(page, url: str, size: str, out: Path, folder: Path):
    page.goto(url, wait_until="domcontentloaded")
    box = page.locator("#khs-question textarea")
    box.fill("Cơ quan nào chủ trì mở rộng điều trị Methadone ở Cà Mau?")
    box.press("Enter")
    page.locator("#khs-transcript .khs-turn").first.wait_for(timeout=60_000)
    choose(page, "khs-province", "Cà Mau")
    box.fill(CONFLICT)
    box.press("Enter")
    page.locator("#khs-transcript .khs-conflict").first.wait_for(timeout=60_000)
    page.screenshot(path=str(out / f"chat-{size}.png"), full_page=True)

    page.get_by_role("tab", name="So sánh").click()
    page.get_by_role("button", name="So sánh", exact=True).click()
    page.get_by_text("kế hoạch có nêu chủ đề này").wait_for(timeout=60_000)
    page.screenshot(path=str(out / f"compare-{size}.png"), full_page=True)

    page.get_by_role("tab", name="Ai làm gì").click()
    choose(page, "khs-facts-province", "Quảng Ninh")
    page.get_by_role("button", name="Xem", exact=True).click()
    page.get_by_text("phân công,").wait_for(timeout=60_000)
    page.screenshot(path=str(out / f"facts-{size}.png"), full_page=True)

    page.get_by_role("tab", name="Thêm kế hoạch").click()
    number = list(SIZES).index(size) + 12  # a new plan at each width
    plan = folder / f"lao-cai-{number}-kh-ubnd-2024.txt"
    plan.write_text(NEW_PLAN.replace("12/KH", f"{number}/KH"), encoding="utf-8")
    page.locator("#khs-upload input[type=file]").set_input_files(str(plan))
    page.locator("#khs-add").click()
    page.wait_for_function("() => document.querySelector('#khs-added').innerText.trim().startsWith('Đã thêm')", timeout=120_000)
    page.screenshot(path=str(out / f"add-{size}.png"), full_page=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    a = ap.parse_args(argv)
    chromium = shutil.which("chromium")
    if not chromium:
        print("screenshots: Debian's chromium is needed (make chromium)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    from khsearch import ui
    from khsearch.index import build
    a.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="khsearch-shots-") as tmp:
        folder = Path(tmp)
        build([ROOT / "corpus"], folder / "index", embedder="hash")
        port = free_port()
        app = ui.make_app(folder / "index", folder / "data")
        ui.launch(app, "127.0.0.1", port, block=False)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
                for size, (width, height) in SIZES.items():
                    page = browser.new_page(viewport={"width": width, "height": height}, locale="vi-VN")
                    shoot(page, f"http://127.0.0.1:{port}/", size, a.out, folder)
                    page.close()
                browser.close()
        finally:
            app.close()
    print(f"screenshots: {', '.join(sorted(p.name for p in a.out.glob('*.png')))} in {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
