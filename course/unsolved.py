"""What an unsolved exercise's answer raises, read from the student version without running it.

A student version (:func:`course.grader.student_notebook`) replaces every solution by a stub
that raises ``NotImplementedError``. When that stub stands at the top of a cell, the cell stops
there and nothing after it in the cell is bound; when it stands inside a function, calling the
function raises. An exercise's answer (the ``answer=`` of its ``check_exercise`` call) therefore
fails on the student version exactly when it needs a name the stubs leave unbound or a function
whose body is a stub. :func:`unsolved_answer_error` follows the cells in order to find such a
name, through the lesson's own functions the answer calls, so the suite can show for every
lesson, without executing it, that no exercise scores on its stub. The grader's end-to-end runs
of a few lessons' student versions (``tests/test_grader.py``) check that this reading agrees
with what a kernel does.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

_STUB_MESSAGE_START = "exercise "


def _is_stub(node: ast.AST) -> bool:
    """``raise NotImplementedError("exercise ...")``, as the student version writes it."""
    return (
        isinstance(node, ast.Raise)
        and isinstance(node.exc, ast.Call)
        and getattr(node.exc.func, "id", None) == "NotImplementedError"
        and len(node.exc.args) == 1
        and isinstance(node.exc.args[0], ast.Constant)
        and isinstance(node.exc.args[0].value, str)
        and node.exc.args[0].value.startswith(_STUB_MESSAGE_START)
    )


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _walk_scope(node: ast.AST) -> Iterator[ast.AST]:
    """``node`` and everything below it that runs in its own scope (not inside nested definitions)."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, _SCOPES):
            yield from _walk_scope(child)
        elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield from (*child.decorator_list, *getattr(child, "bases", ()))  # evaluated where defined


def _contains_stub(node: ast.AST) -> bool:
    return any(_is_stub(n) for n in _walk_scope(node))


def _bound_names(statement: ast.stmt) -> set[str]:
    """The names a top-level statement binds in the notebook's namespace."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    names = set()
    for node in _walk_scope(statement):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _free_names(node: ast.AST) -> set[str]:
    """Names a function (or expression) reads that it does not bind itself: its globals."""
    loaded, local = set(), set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.Name):
            (loaded if isinstance(inner.ctx, ast.Load) else local).add(inner.id)
        elif isinstance(inner, ast.arg):
            local.add(inner.arg)
        elif (isinstance(inner, ast.ExceptHandler) and inner.name) or (
            isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and inner is not node
        ):
            local.add(inner.name)
        elif isinstance(inner, (ast.Import, ast.ImportFrom)):
            local.update((alias.asname or alias.name).split(".")[0] for alias in inner.names)
    return loaded - local


def _parse(source: str) -> ast.Module:
    """A cell's code as Python (magics and shell escapes become the calls IPython makes of them)."""
    return ast.parse(TransformerManager().transform_cell(source))


def _answer_expression(tree: ast.Module, exercise: str) -> ast.expr | None:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "check_exercise"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == exercise
        ):
            return next((k.value for k in node.keywords if k.arg == "answer"), None)
    return None


def unsolved_answer_error(student: nbformat.NotebookNode, exercise: str) -> str | None:
    """What evaluating exercise ``exercise``'s answer raises in the student version, run from the
    top: ``"NotImplementedError"`` (it calls a stubbed function) or ``"NameError: name 'x'"`` (it
    needs a name that the stubs left unbound); ``None`` when the answer may not reach a stub at
    all (then the check must fail on whatever the lesson left in those names, which nothing
    here proves). Raises ``LookupError`` when no cell checks ``exercise``.
    """
    bound: set[str] = set(dir(builtins)) | {"get_ipython", "display", "In", "Out", "exit", "quit"}
    functions: dict[str, ast.AST] = {}
    stubbed: set[str] = set()
    for cell in student.cells:
        if cell.cell_type != "code":
            continue
        tree = _parse(cell.source)
        for statement in tree.body:
            if _contains_stub(statement) and not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                break  # the cell stops here: nothing after the stub runs
            names = _bound_names(statement)
            bound |= names
            for name in names:
                functions.pop(name, None)
                stubbed.discard(name)
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions[statement.name] = statement
                if _contains_stub(statement):
                    stubbed.add(statement.name)
        expression = _answer_expression(tree, exercise)
        if expression is not None:
            return _first_failure(expression, bound, functions, stubbed)
    raise LookupError(f"no cell calls check_exercise({exercise!r}, ...)")


def _first_failure(
    expression: ast.expr, bound: set[str], functions: dict[str, ast.AST], stubbed: set[str]
) -> str | None:
    """Follow the names ``expression`` reads, through the lesson's functions, to a stub or an unbound name."""
    seen: set[str] = set()
    pending = sorted(_free_names(expression))
    while pending:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.add(name)
        if name in stubbed:
            return "NotImplementedError"
        if name not in bound:
            return f"NameError: name '{name}'"
        if name in functions:
            pending += sorted(_free_names(functions[name]))
    return None
