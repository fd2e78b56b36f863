# Vecina: `make run` starts the line on this machine, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run simulate test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m bot lint flows/ --quiet
	$(PY) -m bot serve

simulate: $(STAMP)
	@echo "Vecina terminal simulator: type a text as a phone would (Ctrl-D to leave)."
	$(PY) -m bot simulate

test: $(STAMP)
	./scripts/ensure-redis.sh
	./scripts/ensure-chromium.sh
	$(PY) -m bot lint flows/ --quiet
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m bot lint flows/

bench: $(STAMP)
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
