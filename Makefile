# Two commands for a newcomer: `make demo` and `make test`. Everything else is for maintainers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-all-test-lint

.PHONY: demo test lint fuzz record bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,test,lint]'
	touch $(STAMP)

## The main job: LangChain and LlamaIndex end to end, offline against the
## embedded emulator, or live when credentials are in the environment.
demo: $(STAMP)
	$(BIN)/python -m langchain_gloo_gravix.demo

## The whole suite, offline: cassettes replay, the network is blocked but loopback.
test: $(STAMP)
	$(BIN)/python -m pytest

## Lint and types: ruff (rules and format) everywhere; mypy strict on the core,
## default mode on the adapters (pyproject.toml [tool.ruff], [tool.mypy]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy langchain_gloo_gravix llama_index_ext

## Property tests over every parser with a large budget (at least 10,000 cases each;
## PAYLOAD_EXAMPLES=N to change it). ``make test`` runs the same tests with a small one.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/fuzz -q --hypothesis-show-statistics

## Re-record cassettes: against the emulator, or live when GLOO_* and
## GRAVIXLAYER_API_KEY credentials are set (see README).
record: $(STAMP)
	$(BIN)/python -m tests.support.record

## Benchmarks against ChatOpenAI / OpenAILike and the floors (prints a table).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[all,test,bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) build *.egg-info
