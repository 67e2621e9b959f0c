# Two commands for a newcomer: `make demo` and `make test`. Everything else is for maintainers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-all-test-lint-release

.PHONY: demo test test-packaging lint fuzz record bench matrix dist clean soak

# The dev tools are PEP 735 dependency groups (pyproject.toml), which pip installs from 25.1 on:
# pip is upgraded first.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'
	$(BIN)/python -m pip install --quiet -e '.[all]' --group test --group lint --group release
	touch $(STAMP)

## The main job: LangChain and LlamaIndex end to end, offline against the
## embedded emulator, or live when credentials are in the environment.
demo: $(STAMP)
	$(BIN)/python -m langchain_gloo_gravix.demo

## The whole suite, offline: cassettes replay, the network is blocked but loopback.
test: $(STAMP)
	$(BIN)/python -m pytest

## The packaging checks (build the wheel and sdist, install the wheel into a fresh
## venv, import every public name, type-check a README script): slower, run by CI.
test-packaging: $(STAMP)
	$(BIN)/python -m pytest -m packaging

## Lint and types: ruff (rules and format) everywhere; mypy strict on the core,
## default mode on the adapters (pyproject.toml [tool.ruff], [tool.mypy]).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy langchain_gloo_gravix llama_index_ext

## The whole suite on every Python found (PATH or pyenv) x {lowest, newest} dependency
## versions; writes the README compatibility table when every run passes.
## MATRIX_ARGS="--python 3.13 --deps lowest" for a part.
matrix: $(STAMP)
	$(BIN)/python scripts/matrix.py --update-readme $(MATRIX_ARGS)

## Wheel and sdist in dist/, checked by twine.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

## Property tests over every parser with a large budget (at least 10,000 cases each;
## PAYLOAD_EXAMPLES=N to change it). ``make test`` runs the same tests with a small one.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest tests/fuzz -q --hypothesis-show-statistics

## A long soak: SOAK_CALLS calls (default 100,000; minutes) through the core, sync and async, streamed and
## not, against a loopback server injecting faults; every answer checked against its nonce, descriptors and
## memory back to baseline; prints its figures. ``make test`` runs the same test with 3,000 calls.
soak: $(STAMP)
	SOAK_CALLS=$${SOAK_CALLS:-100000} $(BIN)/python -m pytest tests/reliability/test_soak.py -q -s -p no:randomly

## Re-record cassettes: against the emulator, or live when GLOO_* and
## GRAVIXLAYER_API_KEY credentials are set (see README).
record: $(STAMP)
	$(BIN)/python -m tests.support.record

## Benchmarks against ChatOpenAI / OpenAILike and the floors (prints a table).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[all]' --group test --group bench
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .matrix build dist *.egg-info
