# khsearch: `make serve` and `make test` work from a fresh clone (Python 3.10+ and make).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: serve test test-fast index bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Core install: no torch, no gradio.
$(VENV)/.core: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# The chat page.
$(VENV)/.ui: $(VENV)/.core
	$(BIN)/pip install -q -e '.[ui]'
	touch $@

# Everything the tests use. torch is pinned to the CPU build first, so that sentence-transformers
# does not pull a multi-GB CUDA build.
$(VENV)/.test: $(VENV)/.core
	$(BIN)/pip install -q 'torch==2.13.0'
	$(BIN)/pip install -q -e '.[st,ui,langchain,test]'
	touch $@

index/CURRENT: $(VENV)/.core
	$(BIN)/khsearch index corpus --index index

index: $(VENV)/.core
	$(BIN)/khsearch index corpus --index index

serve: $(VENV)/.ui index/CURRENT
	$(BIN)/khsearch serve --index index

# Browser tests need Debian's chromium (no browser download); installed here when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing and cannot be installed here: browser tests will be skipped"; fi; }

test: $(VENV)/.test chromium
	$(BIN)/python -m pytest -q

test-fast: $(VENV)/.test
	$(BIN)/python -m pytest -q -m "not slow and not browser"

bench: $(VENV)/.core
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) index/CURRENT index/gen-* index/texts .pytest_cache
