# Every target sets up .venv itself, so a fresh clone needs only Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test typecheck eval bench lint train clean

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/python -m compileall -q monitor  # an editable install has no .pyc (see bench/run.py)
	touch $(STAMP)

demo: venv
	$(BIN)/python -m monitor.demo

# mypy --strict on monitor/ (settings in pyproject.toml) first: a few seconds, cached after.
test: typecheck
	$(BIN)/python -m pytest -q

typecheck: venv
	$(BIN)/mypy

eval: venv
	$(BIN)/python -m monitor.classify.training.evaluate

bench: venv
	$(BIN)/python bench/run.py

lint: venv
	$(BIN)/ruff check .

train: venv
	$(BIN)/monitor train --labels ../shared/eval/train.jsonl

clean:
	rm -rf $(VENV) data/demo
