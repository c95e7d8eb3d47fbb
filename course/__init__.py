"""The machinery that runs, tests and grades the lessons: the ``course`` command (:mod:`course.cli`),
executing and storing notebooks (:mod:`course.notebooks`), the pytest harness
(:mod:`course.nbharness`), the grader (:mod:`course.grader`, :mod:`course.grade_worker`) and its
sandbox (:mod:`course.sandbox`).

Lessons never import this package, and :mod:`tools` (what lessons import) never imports it.
"""
