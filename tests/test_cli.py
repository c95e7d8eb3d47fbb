"""The `course` command, run in-process on small throw-away lessons."""

from __future__ import annotations

import json

import pytest

import tools.notebooks
from tools.cli import main

HEADER = """\
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
# # {title}

"""
GOOD = HEADER.format(title="96 · Works") + """\
# %%
from tools import record_metrics

record_metrics("96_good", accuracy=0.975)
print("fine")
"""
BAD = HEADER.format(title="97 · Breaks") + """\
# %%
raise RuntimeError("this lesson is broken on purpose")
"""


@pytest.fixture
def lessons(tmp_path, monkeypatch):
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "96_good.py").write_text(GOOD)
    (folder / "97_bad.py").write_text(BAD)
    monkeypatch.setattr(tools.notebooks, "lessons_dir", lambda: folder)
    return folder


def test_list_shows_names_and_titles(lessons, capsys):
    assert main(["list"]) == 0
    assert capsys.readouterr().out.splitlines() == ["96_good                      96 · Works",
                                                    "97_bad                       97 · Breaks"]


def test_unknown_lesson_is_one_clear_line(lessons, capsys):
    assert main(["run", "42"]) == 2
    assert capsys.readouterr().err == "course: error: no lesson '42'; lessons are: 96_good, 97_bad\n"


def test_run_writes_summary_and_fails_on_a_broken_lesson(lessons, isolated_runs_dir, capsys):
    assert main(["run"]) == 1
    summary = json.loads((isolated_runs_dir / "summary.json").read_text())
    good, bad = summary["lessons"]
    assert (good["lesson"], good["status"], good["metrics"]) == ("96_good", "passed", {"accuracy": 0.975})
    assert (bad["lesson"], bad["status"]) == ("97_bad", "failed")
    assert "this lesson is broken on purpose" in bad["error"]
    assert good["seconds"] > 0 and good["budget_seconds"] == 60
    assert (isolated_runs_dir / "executed" / "96_good.ipynb").exists()
    table = capsys.readouterr().out
    assert "96_good" in table and "accuracy=0.975" in table and "failed" in table


def test_baseline_stores_only_lessons_that_run(lessons, capsys):
    assert main(["baseline", "96", "97"]) == 1
    assert (lessons / "96_good.ipynb").exists()
    assert not (lessons / "97_bad.ipynb").exists()
    assert "not stored, 97_bad" in capsys.readouterr().err
    stored = json.loads((lessons / "96_good.ipynb").read_text())
    assert "language_info" not in stored["metadata"]
    assert all("execution" not in c["metadata"] for c in stored["cells"])
    first_ids = [c["id"] for c in stored["cells"]]
    assert main(["baseline", "96"]) == 0
    assert [c["id"] for c in json.loads((lessons / "96_good.ipynb").read_text())["cells"]] == first_ids
    assert tools.notebooks.sync_problem(tools.notebooks.Lesson(lessons / "96_good.py")) is None
