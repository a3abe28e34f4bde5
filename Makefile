# khsearch: `make serve` and `make test` work from a fresh clone (Python 3.10+ and make).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One line per step: no pip version notice, no setuptools notice about editable installs.
PIP := PYTHONWARNINGS=ignore $(BIN)/pip install -q --disable-pip-version-check
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: serve test test-fast index notebook bench chromium screenshots clean

$(BIN)/python:
	@echo "make: creating the virtual environment .venv"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) --upgrade pip

# Core install: no torch, no gradio.
$(VENV)/.core: pyproject.toml | $(BIN)/python
	@echo "make: installing khsearch into .venv"
	@$(PIP) -e .
	@touch $@

# The chat page.
$(VENV)/.ui: $(VENV)/.core
	@echo "make: installing the chat page (gradio)"
	@$(PIP) -e '.[ui]'
	@touch $@

# Everything the tests use. torch is pinned to the CPU build first, so that sentence-transformers
# does not pull a multi-GB CUDA build.
$(VENV)/.test: $(VENV)/.core
	@echo "make: installing what the tests use (torch CPU build, gradio, langchain, qdrant-client, playwright, ...)"
	@$(PIP) 'torch==2.13.0'
	@$(PIP) -e '.[st,ui,langchain,qdrant,test]'
	@touch $@

# The index is brought up to date every time: only new or changed plans are read (about 0.3 s otherwise).
index: $(VENV)/.core
	@echo "make: updating the index from corpus/"
	@$(BIN)/khsearch index corpus --index index

serve: $(VENV)/.ui index
	@echo "make: starting the chat page (Ctrl-C stops it)"
	@$(BIN)/khsearch serve --index index

notebook: $(VENV)/.core index
	@echo "make: installing the notebook runner, then executing notebooks/tour.ipynb"
	@$(PIP) -e '.[notebook]'
	@mkdir -p build
	@$(BIN)/jupyter nbconvert --to html --execute notebooks/tour.ipynb --output-dir build --log-level WARN
	@echo "make: open build/tour.html in a browser (or: .venv/bin/pip install jupyterlab && .venv/bin/jupyter lab notebooks/tour.ipynb)"

# Browser tests need Debian's chromium (no browser download) and a font with every Vietnamese letter (Noto Sans);
# both are installed here when missing.
chromium:
	@{ command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q NotoSans-Regular; } || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "make: installing chromium and fonts-noto-core with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core >/dev/null; \
	  else echo "make: chromium or the Noto fonts are missing and cannot be installed here: browser tests will be skipped"; fi; }

# Screenshots of each tab at desktop and phone width, into docs/screenshots/.
screenshots: $(VENV)/.test chromium
	@$(BIN)/python scripts/screenshots.py

test: $(VENV)/.test chromium
	$(BIN)/python -m pytest -q

test-fast: $(VENV)/.test
	$(BIN)/python -m pytest -q -m "not slow and not browser"

bench: $(VENV)/.core
	@$(PIP) -e '.[bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) index/CURRENT index/gen-* index/texts build .pytest_cache
