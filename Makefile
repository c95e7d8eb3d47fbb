# Two commands for newcomers: `make course` runs every lesson, `make test` runs the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WORKERS ?= 2

# One math thread per process, as in the lesson kernels: in-process tests with torch's default
# thread count would take the core a timed lesson runs on.
PYTEST := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/python -m pytest -n $(WORKERS) --dist loadscope --nbval --nbval-current-env

.PHONY: course test test-portable lint baseline clean sandbox

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --constraint constraints.txt --editable '.[dev]'
	touch $(STAMP)

# Lessons run $(JOBS) at a time (default: one per core, each kernel computing on one core).
course: $(STAMP)
	$(BIN)/course run $(if $(JOBS),--jobs $(JOBS))

# `course grade` runs submissions in a bubblewrap sandbox: installed here where we may (as root
# with apt-get), otherwise the one command that installs it is printed.
sandbox:
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && { apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
	       || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq bubblewrap >/dev/null 2>&1; }; } \
	  && echo "installed bubblewrap for course grade's sandbox"; } \
	  || echo "note: course grade needs bubblewrap for its sandbox; install it with: sudo apt-get install bubblewrap"

# Lint first (fails fast), then both lanes: unit tests and every lesson as stored; the tests that
# run kernels in extra processes (they would slow the timed lesson runs beside them; `--dist load`
# spreads them over both workers); every lesson as on another machine.
# ruff: lint everything (lessons by rules that suit notebooks), check the format of the packages
# and tests (lessons are not reformatted: their .py must keep matching their executed .ipynb).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check tools course tests

test: $(STAMP) lint sandbox
	$(BIN)/course data
	$(PYTEST) -m "not whole_lessons"
	$(PYTEST) -m whole_lessons --dist load tests
	$(PYTEST) --portable lessons

test-portable: $(STAMP)
	$(PYTEST) --portable lessons

baseline: $(STAMP)
	$(BIN)/course baseline $(LESSONS)

clean:
	rm -rf runs/executed runs/metrics runs/exercises runs/summary.json
