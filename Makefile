# Two commands for newcomers: `make course` runs every lesson, `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?= 2

.PHONY: course test baseline clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $(STAMP)

course: $(STAMP)
	$(BIN)/course run

test: $(STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadscope --nbval --nbval-current-env

baseline: $(STAMP)
	$(BIN)/course baseline $(LESSONS)

clean:
	rm -rf runs/executed runs/metrics runs/exercises runs/summary.json
