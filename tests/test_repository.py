"""The repository's own promises: README table, layout, pins."""

import subprocess
import sys

from course.notebooks import all_lessons
from tools.runtime import project_root


def test_readme_lists_every_lesson_with_a_link():
    readme = (project_root() / "README.md").read_text(encoding="utf-8")
    for lesson in all_lessons():
        assert f"| {lesson.number} | [" in readme, f"README's lesson table lacks lesson {lesson.number}"
        assert f"(lessons/{lesson.py.name})" in readme, f"README does not link {lesson.py.name}"


def test_required_top_level_exists():
    root = project_root()
    for name in [
        "lessons",
        "tools",
        "course",
        "data",
        "runs",
        "tests",
        "environment.yml",
        "pyproject.toml",
        "README.md",
        "constraints.txt",
        "Makefile",
        ".ci/run",
    ]:
        assert (root / name).exists(), f"{name} is missing"


def test_environment_yml_installs_the_pinned_set():
    pins = (project_root() / "constraints.txt").read_text().splitlines()
    assert "torch==2.14.1" in pins and "torchvision==0.29.1" in pins
    assert "--constraint constraints.txt" in (project_root() / "environment.yml").read_text()


def test_tools_never_imports_the_machinery():
    """What lessons import (``tools``) loads nothing of what runs, tests and grades them (``course``)."""
    modules = sorted(
        f"tools.{path.stem}" for path in (project_root() / "tools").glob("*.py") if path.stem != "__init__"
    )
    assert "tools.grading" in modules and len(modules) >= 10
    probe = (
        f"import importlib, sys\nfor name in {modules!r}:\n    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'course' or m.startswith('course.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=project_root(), capture_output=True, text=True, timeout=300, check=True
    )
    assert result.stdout.strip() == "[]", f"importing tools loaded the machinery: {result.stdout}"
