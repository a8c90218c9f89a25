# `make run` and `make test` work on a fresh machine with only Python and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench eval clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/helpdesk serve

test: $(STAMP)
	$(BIN)/helpdesk kb check
	$(BIN)/mypy
	$(BIN)/pytest

# Set EVAL_SETS to a folder of labelled intent-*.jsonl sets to score them too.
eval: $(STAMP)
	$(BIN)/python eval/run.py
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python eval/licence_hard.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py
	$(BIN)/python benchmarks/bench_dashboard.py
	$(BIN)/python benchmarks/bench_search.py

clean:
	rm -rf $(VENV) data/*.db data/*.db-wal data/*.db-shm
