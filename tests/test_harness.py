"""The harness must really fail: each rule is broken on a copy of a tiny lesson and nbval is run on it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course.nbharness import notebook_problems
from course.notebooks import Lesson, execute, read_source, write_reference

DEMO = '''\
# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 98 · A tiny lesson for testing the harness

# %%
import random
import sys
import time

print("answer:", 6 * 7)

# %%
"a trailing semicolon hides this value, under nbval as in Jupyter";

# %%
print("noise on stderr:", random.random(), file=sys.stderr)
print("stdout is stable")

# %%
# NBVAL_IGNORE_OUTPUT
print("varies:", random.random())

# %%
time.sleep(SLEEP_SECONDS)
print("slept")
'''


def _write_lesson(folder: Path, source: str) -> Lesson:
    folder.mkdir(parents=True, exist_ok=True)
    py = folder / "98_demo.py"
    py.write_text(source, encoding="utf-8")
    return Lesson(py)


@pytest.fixture(scope="module")
def baselined(tmp_path_factory) -> Lesson:
    """A demo lesson executed once by the real re-baseline code."""
    lesson = _write_lesson(tmp_path_factory.mktemp("baseline") / "lessons", DEMO.replace("SLEEP_SECONDS", "0"))
    write_reference(lesson, execute(read_source(lesson), cwd=lesson.py.parent))
    return lesson


@pytest.fixture
def demo(baselined, tmp_path) -> Lesson:
    """A private copy of the baselined demo lesson to break."""
    folder = tmp_path / "lessons"
    shutil.copytree(baselined.py.parent, folder)
    return Lesson(folder / baselined.py.name)


def _nbval(notebook: Path, *options: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider",
         "-p", "no:xdist", "-q", *options, str(notebook)],
        cwd=notebook.parent, capture_output=True, text=True, env=env, timeout=300,
    )


def _edit_stored(lesson: Lesson, edit) -> None:
    notebook = json.loads(lesson.ipynb.read_text())
    edit([c for c in notebook["cells"] if c["cell_type"] == "code"], notebook)
    lesson.ipynb.write_text(json.dumps(notebook, indent=1))


def test_untouched_lesson_passes_and_ignores_stderr(demo):
    result = _nbval(demo.ipynb)
    assert result.returncode == 0, result.stdout
    assert "6 passed" in result.stdout  # 5 cells and the harness item


def test_changed_printed_value_fails(demo):
    def change(code, _):
        code[0]["outputs"][0]["text"] = ["answer: 43\n"]

    _edit_stored(demo, change)
    result = _nbval(demo.ipynb)
    assert result.returncode == 1
    assert "Cell outputs differ" in result.stdout and "answer: 43" in result.stdout


def test_unsynced_py_fails(demo):
    demo.py.write_text(demo.py.read_text().replace("6 * 7", "6 * 8"))
    result = _nbval(demo.ipynb)
    assert result.returncode == 1
    assert "98_demo.py and 98_demo.ipynb differ" in result.stdout
    assert "course baseline 98" in result.stdout


def test_unexecuted_cell_fails(demo):
    def unrun(code, _):
        code[2]["execution_count"] = None
        code[2]["outputs"] = []

    _edit_stored(demo, unrun)
    result = _nbval(demo.ipynb)
    assert result.returncode == 1
    assert "code cells [2] have no stored execution" in result.stdout


@pytest.fixture(scope="module")
def over_budget(tmp_path_factory) -> Lesson:
    """A baselined demo lesson that sleeps past the 1 s budget it declares."""
    source = DEMO.replace("SLEEP_SECONDS", "1.5").replace(
        "#     name: python3\n", "#     name: python3\n#   course:\n#     budget_seconds: 1\n"
    )
    lesson = _write_lesson(tmp_path_factory.mktemp("over_budget") / "lessons", source)
    write_reference(lesson, execute(read_source(lesson), cwd=lesson.py.parent))
    return lesson


def test_over_budget_lesson_fails(over_budget):
    result = _nbval(over_budget.ipynb)
    assert result.returncode == 1
    assert "over its budget of 1 s" in result.stdout


def test_mostly_ignored_lesson_fails(demo):
    def ignore_most(code, _):
        for cell in code[:4]:
            cell["metadata"]["tags"] = ["nbval-ignore-output"]

    _edit_stored(demo, ignore_most)
    problems = notebook_problems(demo.ipynb)
    assert any("only 1 of 5 code cells are compared" in p for p in problems)


def test_budget_above_the_plan_is_refused(demo):
    def raise_budget(_, notebook):
        notebook["metadata"]["course"] = {"budget_seconds": 90}

    _edit_stored(demo, raise_budget)
    problems = notebook_problems(demo.ipynb)
    assert any("declares a budget of 90 s but the lesson plan allows 60 s" in p for p in problems)


CHAOTIC = DEMO.split("# %%\nimport random")[0] + '''# %%
import torch

generator = torch.Generator().manual_seed(0)
weights = [torch.randn(256, 256, generator=generator, dtype=torch.float64) for _ in range(60)]
signal = torch.randn(16, 256, generator=generator, dtype=torch.float64)

# %%
# A saturated tanh network: its weights are so large that the last bits of each product grow
# until they reach the printed digits. Stable on one machine, different on another.
for weight in weights:
    signal = torch.tanh(signal @ weight.T)
print(f"chaotic std: {signal.std().item():.12f}")

# %%
print(f"stated robustly: {0.9 < signal.std().item() < 1.0}")
'''


def test_portable_lane_catches_a_chaotic_cell(tmp_path):
    """The lesson passes the normal lane but not the portable one, and only at the chaotic cell."""
    lesson = _write_lesson(tmp_path / "lessons", CHAOTIC)
    write_reference(lesson, execute(read_source(lesson), cwd=lesson.py.parent))
    assert _nbval(lesson.ipynb).returncode == 0
    result = _nbval(lesson.ipynb, "--portable")
    assert result.returncode == 1, result.stdout
    assert "1 failed, 3 passed" in result.stdout
    assert "Cell 1" in result.stdout and "chaotic std:" in result.stdout


def test_portable_lane_skips_the_time_budget(over_budget):
    """The portable lane's generic kernels are slower on purpose: it checks outputs, not speed."""
    result = _nbval(over_budget.ipynb, "--portable")
    assert result.returncode == 0, result.stdout


def test_portable_settings_reach_the_kernel(tmp_path):
    """Each setting of the portable lane really changes the kernel's float environment."""
    probe = DEMO.split("# %%\nimport random")[0] + '''# %%
import os

import torch

print(torch.get_num_threads(), torch.backends.cpu.get_cpu_capability(), os.environ["MKL_CBWR"],
      os.environ["ONEDNN_MAX_CPU_ISA"], os.environ["OMP_WAIT_POLICY"])
'''
    lesson = _write_lesson(tmp_path / "lessons", probe)
    executed = execute(read_source(lesson), cwd=lesson.py.parent, portable=True)
    assert executed.cells[1].outputs[0]["text"] == "2 DEFAULT COMPATIBLE AVX2 PASSIVE\n"
