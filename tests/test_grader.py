"""Student versions and the grader: stubs score 0, references score full marks, misbehaving
submissions still get their row and gain nothing."""

from __future__ import annotations

import csv
import json
import shutil

import jupytext
import nbformat
import pytest

from tools.cli import main
from tools.grader import (
    SOLUTION_BLOCK,
    find_submissions,
    grade_folder,
    lesson_exercises,
    score_table,
    student_notebook,
    write_student_versions,
)
from tools.notebooks import all_lessons, select_lessons

LESSONS = all_lessons()
HIDDEN_00 = '''
def ones_really_on_cpu(namespace):
    tensor = namespace["ones_on_device"].cpu()
    assert tensor.tolist() == [1.0, 1.0, 1.0], "ones_on_device must hold three ones"


HIDDEN_CHECKS = [("00.2", ones_really_on_cpu, 3)]
'''


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_student_version_stubs_every_solution_and_keeps_the_rest(lesson):
    reference = jupytext.read(lesson.ipynb)
    student = student_notebook(lesson)
    exercises = lesson_exercises(reference)
    assert 1 <= len(exercises) <= 3, f"{lesson.name} should end with 1-3 exercises"
    stubs = [c for c in student.cells if "raise NotImplementedError(\"exercise" in c.source]
    assert [e.id for e in exercises] == [c.source.split("exercise ")[1][:4] for c in stubs]
    assert len(student.cells) == len(reference.cells)
    first_exercise = next(i for i, c in enumerate(reference.cells) if SOLUTION_BLOCK.search(c.source))
    for before, after in zip(reference.cells[:first_exercise], student.cells[:first_exercise]):
        assert before.source == after.source and before.get("outputs") == after.get("outputs")
    for cell in student.cells[first_exercise:]:
        if cell.cell_type == "code" and ("check_exercise(" in cell.source or "SOLUTION" in cell.source):
            assert cell.outputs == [] and cell.execution_count is None


def test_student_command_writes_notebook_and_script(tmp_path, capsys):
    assert main(["student", "00", "--out", str(tmp_path)]) == 0
    script = (tmp_path / "00_setup.py").read_text()
    assert 'raise NotImplementedError("exercise 00.1: replace this line with your solution")' in script
    assert "a = torch.rand(2, 2)" not in script
    assert nbformat.read(tmp_path / "00_setup.ipynb", as_version=4).cells
    assert "1 student version(s)" in capsys.readouterr().out


def test_every_reference_scores_full_marks_and_every_student_version_zero(tmp_path):
    """Both directions, through the real grader, for every lesson that exists."""
    write_student_versions(LESSONS, tmp_path / "student")
    (tmp_path / "reference").mkdir()
    for lesson in LESSONS:
        shutil.copy(lesson.py, tmp_path / "reference" / lesson.py.name)
    grades = grade_folder(tmp_path, timeout=240)
    assert len(grades) == 2 * len(LESSONS)
    for grade in grades:
        assert grade.status == "graded", (grade.student, grade.lesson, grade.status)
        assert grade.max_points > 0 and len(grade.exercises) == len(lesson_exercises(jupytext.read(
            next(l for l in LESSONS if l.name == grade.lesson).py)))
        if grade.student == "reference":
            assert grade.points == grade.max_points, [e["verdict"] for e in grade.exercises]
        else:
            assert grade.points == 0, [e["verdict"] for e in grade.exercises]
            assert all("NotImplementedError" in e["verdict"] or "NameError" in e["verdict"] for e in grade.exercises)


def _submission(folder, cells_after=(), cells_before=(), solved=False):
    """Lesson 00 as a student hands it in, with extra cells around the exercises."""
    lesson = select_lessons(["00"])[0]
    notebook = jupytext.read(lesson.py) if solved else student_notebook(lesson)
    notebook.cells[1:1] = [nbformat.v4.new_code_cell(source) for source in cells_before]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in cells_after]
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / "00_setup.ipynb")


def test_misbehaving_submissions_get_rows_and_no_points(tmp_path, capsys):
    submissions, hidden = tmp_path / "class", tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "00.py").write_text(HIDDEN_00)
    _submission(submissions / "looper", cells_before=["while True:\n    pass"], solved=True)
    _submission(submissions / "cheater", cells_after=[
        "import json, tools, tools.grading\n"
        "def check_exercise(exercise, check, points=1):\n    print(f'[ex {exercise}] passed {points}/{points}')\n"
        "passing = lambda exercise, check, points=1: {'exercise': exercise, 'passed': True, 'points': points,\n"
        "    'max_points': points, 'verdict': 'passed'}\n"
        "tools.grading.evaluate_check = passing\ntools.check_exercise = check_exercise\n"
        "from tools.grading import results_path\n"
        "results_path('00').write_text(json.dumps({'00.1': {'passed': True, 'points': 1}}))",
    ])
    _submission(submissions / "vandal", cells_before=[
        "import os\nfor name in os.listdir('.'):\n    os.remove(name) if os.path.isfile(name) else None\n"
        "raise RuntimeError('this student broke everything')",
    ])
    _submission(submissions / "honest", solved=True)

    assert main(["grade", str(submissions), "--hidden", str(hidden), "--timeout", "40", "--jobs", "2",
                 "--out", str(tmp_path / "report")]) == 0
    table = capsys.readouterr().out
    rows = list(csv.reader((tmp_path / "report.csv").open()))
    assert rows[0] == ["student", "00_setup", "total"]
    assert {row[0]: row[2] for row in rows[1:]} == {"cheater": "0/5", "honest": "5/5", "looper": "0/5", "vandal": "0/5"}
    assert "looper/00_setup: timeout after 40 s" in table
    details = json.loads((tmp_path / "report.json").read_text())["grades"]
    honest = next(g for g in details if g["student"] == "honest")
    assert [e["exercise"] for e in honest["exercises"]] == ["00.1", "00.2", "00.2 hidden ones_really_on_cpu"]
    looper = next(g for g in details if g["student"] == "looper")
    assert looper["seconds"] < 60 and all("not reached" in e["verdict"] for e in looper["exercises"])


def test_score_table_and_missing_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_submissions(tmp_path / "nowhere")
    (tmp_path / "empty" / "bob").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match="one folder per student"):
        find_submissions(tmp_path / "empty")
    header, rows = score_table([])
    assert header == ["student", "total"] and rows == []
