"""The tour notebook runs top to bottom, offline, on a throw-away index built with the hash embedder."""
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "tour.ipynb"


def test_tour_notebook_runs(monkeypatch):
    monkeypatch.setenv("KHSEARCH_TOUR_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    # Raises CellExecutionError, naming the cell, on the first cell that fails.
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    out = "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/markdown", ""))
                    for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "embedder hash" in out  # the fast path, not the real index
    assert "Đ: Sở Y tế (chủ trì)." in out and "mục IV.4.a" in out
    assert "| Quảng Ninh | Kế hoạch 50/KH-UBND" in out and "| Cà Mau |" in out
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1
