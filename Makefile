# Assetport: `make run` sets everything up and serves the portal; `make test` runs lint and the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch, torchvision and open-clip-torch pinned on the command line too: any other torch spec pulls CUDA.
	$(BIN)/pip install --quiet -e '.[dev]' torch==2.13.0 torchvision==0.28.0 open-clip-torch==3.3.0
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/assetport init
	$(BIN)/assetport demo
	$(BIN)/assetport serve --host 127.0.0.1 --port 5000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: $(STAMP) lint
	$(BIN)/pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
