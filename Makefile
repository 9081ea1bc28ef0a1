# Stride Coach: `make run` sets everything up and answers a sample question (or starts the bot when
# DISCORD_TOKEN is set); `make test` sets up the same environment and runs the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QUESTION ?= why do my hips drop?

.PHONY: run test install index lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The CPU build of PyTorch first, pinned, so nothing pulls the CUDA build.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/coach index

run: index
	@if [ -n "$$DISCORD_TOKEN" ] || grep -qs '^DISCORD_TOKEN=.' .env; then \
		$(BIN)/coach run; \
	else \
		$(BIN)/coach ask "$(QUESTION)"; \
	fi

lint: install
	$(BIN)/ruff check bot tests benchmarks
	$(BIN)/ruff format --check bot tests benchmarks
	$(BIN)/mypy

test: install lint
	$(BIN)/python -m pytest -q

bench: index
	$(BIN)/python benchmarks/latency.py
	$(BIN)/python benchmarks/scale.py

clean:
	rm -rf $(VENV) .index
