"""Shared fixtures: every test writes its runs/ output into a temporary folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_runs_dir(tmp_path, monkeypatch):
    """Point ``runs_dir()`` at a temporary folder so tests never touch the real runs/."""
    runs = tmp_path / "runs"
    monkeypatch.setenv("COURSE_RUNS_DIR", str(runs))
    return runs
