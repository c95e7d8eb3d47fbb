"""The harness must really fail: each rule is broken on a copy of a tiny lesson, and nbval runs on it.

nbval starts in a subprocess, as in `make test`; to pay its start-up once, every broken copy
sits beside the others in one folder, one nbval run takes them all (and a second run, in the
portable lane, the two lessons that lane treats differently), and each test reads its own
notebook's items from that run's JUnit report.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import pytest

from course.nbharness import notebook_problems
from course.notebooks import Lesson, execute, read_source, write_reference

DEMO = """\
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
import os

import psutil

# stored from `course baseline`'s kernel, compared with nbval's: neither has a TCP socket
print("kernel sockets:", sorted({c.family.name for c in psutil.Process(os.getpid()).net_connections(kind="all")}))

# %%
time.sleep(SLEEP_SECONDS)
print("slept")
"""


def _write_lesson(folder: Path, name: str, source: str) -> Lesson:
    folder.mkdir(parents=True, exist_ok=True)
    py = folder / f"{name}.py"
    py.write_text(source, encoding="utf-8")
    return Lesson(py)


def _baseline(folder: Path, name: str, source: str) -> Lesson:
    """A lesson executed and stored by the real re-baseline code."""
    lesson = _write_lesson(folder, name, source)
    write_reference(lesson, execute(read_source(lesson), cwd=folder))
    return lesson


def _copy(lesson: Lesson, folder: Path, name: str | None = None) -> Lesson:
    """``lesson``'s two files copied into ``folder``, under ``name`` when given."""
    copy = Lesson(folder / f"{name or lesson.name}.py")
    shutil.copyfile(lesson.py, copy.py)
    shutil.copyfile(lesson.ipynb, copy.ipynb)
    return copy


def _edit_stored(lesson: Lesson, edit) -> None:
    notebook = json.loads(lesson.ipynb.read_text())
    edit([c for c in notebook["cells"] if c["cell_type"] == "code"], notebook)
    lesson.ipynb.write_text(json.dumps(notebook, indent=1))


OVER_BUDGET = DEMO.replace("SLEEP_SECONDS", "1.5").replace(
    "#     name: python3\n", "#     name: python3\n#   course:\n#     budget_seconds: 1\n"
)

CHAOTIC = (
    DEMO.split("# %%\nimport random")[0]
    + """# %%
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
"""
)


# Two exercises whose checks pass in the notebook; the second only because it reads the kernel's
# global seed, which the grader's process does not share.
EXERCISE = (
    DEMO.split("# %%\nimport random")[0]
    + """# %%
import torch

torch.manual_seed(7)


# %%
def twice(x):
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION


# %%
from tools import check_exercise


def check_twice(answer):
    assert answer == [4, -6], f"got {answer}"


check_exercise("89.1", check_twice, answer=lambda: [twice(2), twice(-3)])


# %%
def check_seeded(answer):
    import torch

    assert torch.initial_seed() == 7, "this check reads the kernel's state, not the answer"


check_exercise("89.2", check_seeded, answer=lambda: twice(1))


# %%
def check_pairs(answer):
    for got, expected in zip(answer, [2, 4, 6]):  # never looks at the answer's length
        assert got == expected


check_exercise("89.3", check_pairs, answer=lambda: [twice(1), twice(2), twice(3)])
"""
)


@dataclass(frozen=True)
class Outcome:
    """One nbval item of a run: ``Cell 0``, ``harness``, ... and how it ended."""

    item: str
    status: str  # "passed", "failed" or "error"
    message: str


def _nbval(folder: Path, *options: str) -> tuple[subprocess.CompletedProcess, dict[str, list[Outcome]]]:
    """Run nbval on every notebook in ``folder``; return the run and each notebook's items in order."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["COURSE_RUNS_DIR"] = str(folder.parent / "runs")  # where the exercises record their verdicts
    report = folder.parent / f"{folder.name}-junit.xml"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-q",
            f"--junitxml={report}",
            *options,
            str(folder),
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    outcomes: dict[str, list[Outcome]] = {}
    for case in ElementTree.parse(report).iter("testcase"):
        notebook = case.get("classname").split(".")[-2] if "." in case.get("classname") else case.get("classname")
        ended = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
        status = "passed" if ended is None else ended.tag
        message = "" if ended is None else f"{ended.get('message', '')}\n{ended.text or ''}"
        outcomes.setdefault(notebook, []).append(Outcome(case.get("name"), status, message))
    return result, outcomes


def _failed(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.status != "passed"]


@pytest.fixture(scope="module")
def baselined(tmp_path_factory) -> dict[str, Lesson]:
    """The demo lesson, a chaotic one, one over its time budget and one with exercises, each stored
    by the re-baseline code."""
    folder = tmp_path_factory.mktemp("baselined")
    with pytest.MonkeyPatch.context() as patch:  # what the lessons record goes beside them
        patch.setenv("COURSE_RUNS_DIR", str(folder / "runs"))
        return {
            "demo": _baseline(folder, "98_demo", DEMO.replace("SLEEP_SECONDS", "0")),
            "over_budget": _baseline(folder, "94_over_budget", OVER_BUDGET),
            "chaotic": _baseline(folder, "90_chaotic", CHAOTIC),
            "exercise": _baseline(folder, "89_exercise", EXERCISE),
        }


@pytest.fixture(scope="module")
def normal_lane(baselined, tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict[str, list[Outcome]]]:
    """One nbval run over the untouched lessons and a copy of the demo broken for each rule."""
    folder = tmp_path_factory.mktemp("normal") / "lessons"
    folder.mkdir()
    for lesson in baselined.values():
        _copy(lesson, folder)

    def change(code, _):
        code[0]["outputs"][0]["text"] = ["answer: 43\n"]

    _edit_stored(_copy(baselined["demo"], folder, "91_changed"), change)
    unsynced = _copy(baselined["demo"], folder, "92_unsynced")
    unsynced.py.write_text(unsynced.py.read_text().replace("6 * 7", "6 * 8"))

    def unrun(code, _):
        code[2]["execution_count"] = None
        code[2]["outputs"] = []

    _edit_stored(_copy(baselined["demo"], folder, "93_unexecuted"), unrun)
    return _nbval(folder)


@pytest.fixture(scope="module")
def portable_lane(baselined, tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict[str, list[Outcome]]]:
    """One nbval run, in the portable lane, over the chaotic lesson and the one over its budget."""
    folder = tmp_path_factory.mktemp("portable") / "lessons"
    folder.mkdir()
    for key in ("chaotic", "over_budget"):
        _copy(baselined[key], folder)
    return _nbval(folder, "--portable")


def test_the_run_fails_and_reports_every_notebook(normal_lane):
    result, outcomes = normal_lane
    assert result.returncode == 1, result.stdout
    assert sorted(outcomes) == [
        "89_exercise",
        "90_chaotic",
        "91_changed",
        "92_unsynced",
        "93_unexecuted",
        "94_over_budget",
        "98_demo",
    ]


def test_untouched_lesson_passes_and_ignores_stderr(normal_lane):
    demo = normal_lane[1]["98_demo"]
    assert [o.item for o in demo] == ["harness", *(f"Cell {i}" for i in range(6))]
    assert _failed(demo) == []  # stderr differs at every run; the kernel has no TCP socket either time


def test_reference_answers_the_grader_would_fail_fail(normal_lane):
    """Every verdict prints "passed" in the notebook; the answers item scores the saved answers with
    the grader's code outside the kernel, where the check that leans on the kernel fails, and the
    battery finds the check that passes answers no solution gives."""
    exercise = normal_lane[1]["89_exercise"]
    assert [o.item for o in exercise][-2:] == ["answers", "battery"]
    failed = _failed(exercise)
    assert [o.item for o in failed] == ["answers", "battery"]
    assert "[ex 89.2] failed 0/1: this check reads the kernel's state" in failed[0].message
    assert "89.1" not in failed[0].message and "89.3" not in failed[0].message
    assert "89.3 scores the answer replaced by an empty list" in failed[1].message
    assert "89.3 scores the answer without its last item" in failed[1].message
    assert "89.1" not in failed[1].message and "89.2" not in failed[1].message


def test_changed_printed_value_fails(normal_lane):
    failed = _failed(normal_lane[1]["91_changed"])
    assert [o.item for o in failed] == ["Cell 0"]
    assert "Cell outputs differ" in failed[0].message and "answer: 43" in failed[0].message


def test_unsynced_py_fails(normal_lane):
    failed = _failed(normal_lane[1]["92_unsynced"])
    assert [o.item for o in failed] == ["harness"]
    assert "92_unsynced.py and 92_unsynced.ipynb differ" in failed[0].message
    assert "course baseline 92" in failed[0].message


def test_unexecuted_cell_fails(normal_lane):
    failed = _failed(normal_lane[1]["93_unexecuted"])
    assert [o.item for o in failed] == ["harness"]
    assert "code cells [2] have no stored execution" in failed[0].message


def test_over_budget_lesson_fails(normal_lane):
    failed = _failed(normal_lane[1]["94_over_budget"])
    assert [o.item for o in failed] == ["Cell 5"]
    assert "over its budget of 1 s" in failed[0].message


def test_portable_lane_catches_a_chaotic_cell(normal_lane, portable_lane):
    """The lesson passes the normal lane but not the portable one, and only at the chaotic cell."""
    assert _failed(normal_lane[1]["90_chaotic"]) == []
    chaotic = portable_lane[1]["90_chaotic"]
    assert [o.item for o in _failed(chaotic)] == ["Cell 1"] and len(chaotic) == 4
    assert "chaotic std:" in _failed(chaotic)[0].message


def test_portable_lane_skips_the_time_budget(portable_lane):
    """The portable lane's generic kernels are slower on purpose: it checks outputs, not speed."""
    assert _failed(portable_lane[1]["94_over_budget"]) == []


def test_mostly_ignored_lesson_fails(baselined, tmp_path):
    demo = _copy(baselined["demo"], tmp_path, "98_demo")

    def ignore_most(code, _):
        for cell in code[:4]:
            cell["metadata"]["tags"] = ["nbval-ignore-output"]

    _edit_stored(demo, ignore_most)
    problems = notebook_problems(demo.ipynb)
    assert any("only 2 of 6 code cells are compared" in p for p in problems)


def test_budget_above_the_plan_is_refused(baselined, tmp_path):
    demo = _copy(baselined["demo"], tmp_path, "98_demo")

    def raise_budget(_, notebook):
        notebook["metadata"]["course"] = {"budget_seconds": 90}

    _edit_stored(demo, raise_budget)
    problems = notebook_problems(demo.ipynb)
    assert any("declares a budget of 90 s but the lesson plan allows 60 s" in p for p in problems)


def test_portable_settings_reach_the_kernel(tmp_path):
    """Each setting of the portable lane really changes the kernel's float environment."""
    probe = (
        DEMO.split("# %%\nimport random")[0]
        + """# %%
import os

import torch

print(torch.get_num_threads(), torch.backends.cpu.get_cpu_capability(), os.environ["MKL_CBWR"],
      os.environ["ONEDNN_MAX_CPU_ISA"], os.environ["OMP_WAIT_POLICY"])
"""
    )
    lesson = _write_lesson(tmp_path / "lessons", "98_demo", probe)
    executed = execute(read_source(lesson), cwd=lesson.py.parent, portable=True)
    assert executed.cells[1].outputs[0]["text"] == "2 DEFAULT COMPATIBLE AVX2 PASSIVE\n"
