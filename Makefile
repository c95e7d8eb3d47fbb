# Two commands for newcomers: `make course` runs every lesson, `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?= 2

PYTEST := $(BIN)/python -m pytest -n $(WORKERS) --dist loadscope --nbval --nbval-current-env

.PHONY: course test test-portable baseline clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $(STAMP)

course: $(STAMP)
	$(BIN)/course run

# Both lanes: unit tests and every lesson as stored, then every lesson again as on another machine.
test: $(STAMP)
	$(PYTEST)
	$(PYTEST) --portable lessons

test-portable: $(STAMP)
	$(PYTEST) --portable lessons

baseline: $(STAMP)
	$(BIN)/course baseline $(LESSONS)

clean:
	rm -rf runs/executed runs/metrics runs/exercises runs/summary.json
