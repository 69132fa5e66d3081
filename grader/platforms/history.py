"""A kernel's cell history -> the submission grader.check grades, and where it and the saved notebook disagree.

Pure: the history comes in as (execution number, text) pairs read from IPython by notebookcheck.py; nothing here
imports IPython. The check grades what the kernel ran, in the order it ran it, never the kernel's live objects;
what a student sees in the notebook file may differ (a cell edited and not run again, cells run out of order, a
definition whose cell was deleted), and a clean run (Restart & Run All, or hand-in grading) follows the file.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..notebook import python_source

CHECKS = ("check", "check_all")  # grader's functions that grade; a call to one is not part of the answer
RESTART = "re-run the notebook top to bottom (Jupyter: Kernel > Restart & Run All; Colab: Runtime > Restart " \
          "session and run all; VS Code: Restart, then Run All), then check again"
OWN_MAGIC = re.compile(r"%(grade|load_ext\s+grader)(\s|$)")  # at a line's start: ours, not the answer's
SHOWN = 40  # characters of a cell's first line quoted in a message


@dataclass(frozen=True)
class Ran:
    """One cell the kernel ran: its execution number (In [n]) and its text as typed."""

    number: int
    source: str


def history(inputs: Sequence[str]) -> tuple[Ran, ...]:
    """The cells run so far, from IPython's raw input history (index n holds In [n]; index 0 is empty)."""
    return tuple(Ran(number, text) for number, text in enumerate(inputs) if number and text.strip())


def _check_aliases(trees: Sequence[ast.Module]) -> tuple[set[str], set[str]]:
    """The names that mean the grader module, and the names bound to its check functions, in these cells."""
    modules, functions = {"grader"}, set()
    for tree in trees:
        for node in tree.body:
            if isinstance(node, ast.Import):
                modules.update(a.asname or a.name for a in node.names if a.name == "grader")
            elif isinstance(node, ast.ImportFrom) and node.module == "grader" and not node.level:
                functions.update(a.asname or a.name for a in node.names if a.name in CHECKS)
    return modules, functions


def _is_check(node: ast.stmt, modules: set[str], functions: set[str]) -> bool:
    """Tell whether a top-level statement is a call to grader.check or grader.check_all (its value unused or kept)."""
    value = node.value if isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)) else None
    if not isinstance(value, ast.Call):
        return False
    func = value.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.attr in CHECKS and func.value.id in modules
    return isinstance(func, ast.Name) and func.id in functions


def _tree(text: str) -> ast.Module | None:
    """The cell's statements, its IPython syntax read as notebook.py reads it; None if it is not Python."""
    try:
        return ast.parse(python_source(text)[0])
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _statements(body: Sequence[ast.stmt]) -> list[ast.stmt]:
    """The statements run at a cell's top level, those under an `if` included (`if __name__ == "__main__":`)."""
    found: list[ast.stmt] = []
    for node in body:
        found += _statements([*node.body, *node.orelse]) if isinstance(node, ast.If) else [node]
    return found


def without_checks(cells: Sequence[Ran]) -> tuple[Ran, ...]:
    """The cells with each grader.check call (at top level or under an if) and %grade line made `pass`.

    A run must not grade itself. Only the statement's lines change: line numbers still match the cell as typed."""
    trees = {ran.number: _tree(ran.source) for ran in cells}
    modules, functions = _check_aliases([t for t in trees.values() if t is not None])
    kept = []
    for ran in cells:
        tree = trees[ran.number]
        lines = ["pass" if OWN_MAGIC.match(line) else line for line in ran.source.split("\n")]
        for node in _statements(tree.body) if tree is not None else ():
            if _is_check(node, modules, functions) and node.end_lineno is not None:
                indent = re.match(r"\s*", lines[node.lineno - 1]).group(0)  # type: ignore[union-attr]
                lines[node.lineno - 1:node.end_lineno] = [indent + "pass"] + [""] * (node.end_lineno - node.lineno)
        kept.append(Ran(ran.number, "\n".join(lines)))
    return tuple(kept)


def history_notebook(cells: Sequence[Ran]) -> str:
    """A notebook (nbformat 4 JSON) holding the cells as run: code cell n is In [n], an empty cell for a gap."""
    by_number = {ran.number: ran.source for ran in cells}
    last = max(by_number, default=0)
    code = [{"cell_type": "code", "execution_count": n, "id": f"in-{n}", "metadata": {}, "outputs": [],
             "source": by_number.get(n, "")} for n in range(1, last + 1)]
    return json.dumps({"cells": code, "metadata": {"language_info": {"name": "python"}}, "nbformat": 4,
                       "nbformat_minor": 5}, indent=1)


def _normal(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).strip()


def _quoted(text: str) -> str:
    first = next((line.strip() for line in text.split("\n") if line.strip()), "")
    return repr(first if len(first) <= SHOWN else first[:SHOWN - 3] + "...")


def _defined(tree: ast.Module | None) -> set[str]:
    """The names a cell binds at its top level: functions, classes, assignments, imports."""
    names: set[str] = set()
    for node in tree.body if tree is not None else ():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
    return names


def _functions(tree: ast.Module | None) -> set[str]:
    return {n.name for n in (tree.body if tree is not None else ())
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}


def _used(tree: ast.Module | None) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} if tree else set()


def _meaningful(text: str) -> bool:
    """Tell whether a cell does anything a grade depends on (not only a check call, magics or comments)."""
    [ran] = without_checks([Ran(1, text)])
    tree = _tree(ran.source)
    return tree is None or any(not isinstance(node, ast.Pass) for node in tree.body)


def saved_cells(raw: bytes) -> tuple[str, ...] | None:
    """The code cells of a notebook file (nbformat 4) as saved, as typed; None if it is not such a notebook."""
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        return None
    found = []
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            text = cell.get("source", "")
            found.append("".join(text) if isinstance(text, list) else text if isinstance(text, str) else "")
    return tuple(found)


def disagreements(ran: Sequence[Ran], saved: Sequence[str], notebook: str) -> list[str]:
    """Where the kernel's history and the saved notebook disagree, each said with the cell and what to do.

    Three things, each decided on the exact text of cells (trailing spaces aside): a saved cell no run matches (edited
    without running it again, or never run); cells whose last runs are out of file order; a function, class or name
    used by the saved cells that only a run no longer in the file defined (deleted, or changed since)."""
    runs: dict[str, list[int]] = {}
    for entry in ran:
        runs.setdefault(_normal(entry.source), []).append(entry.number)
    found: list[str] = []
    last: list[tuple[int, int]] = []  # (cell, its last run), in file order
    for index, text in enumerate(saved, start=1):
        if not _normal(text) or not _meaningful(text):
            continue
        numbers = runs.get(_normal(text))
        if numbers is None:
            found.append(f"cell {index} of {notebook} ({_quoted(text)}) is not what your kernel ran: it was edited "
                         f"and not run again, or never run, so the grade above does not include it as it stands")
        else:
            last.append((index, max(numbers)))
    for (before, ran_before), (cell, ran_at) in zip(last, last[1:]):
        if ran_at < ran_before:
            found.append(f"cells ran out of order: cell {cell} of {notebook} last ran as In [{ran_at}], before "
                         f"cell {before} above it (In [{ran_before}]); a run top to bottom may give another result")
            break
    saved_text = {_normal(text) for text in saved}
    saved_trees = [_tree(text) for text in saved]
    defined_now = set().union(*(_defined(t) for t in saved_trees)) if saved_trees else set()
    used_now = set().union(*(_used(t) for t in saved_trees)) if saved_trees else set()
    told: set[str] = set()
    for entry in ran:
        if _normal(entry.source) in saved_text:
            continue
        tree = _tree(entry.source)
        lost = sorted(n for n in _defined(tree) - defined_now - told if n in _functions(tree) or n in used_now)
        if lost:
            told.update(lost)
            names = ", ".join(lost)
            found.append(f"{names} {'is' if len(lost) == 1 else 'are'} defined only by In [{entry.number}] "
                         f"({_quoted(entry.source)}), which is not in {notebook} as saved (deleted or changed since; "
                         f"if you just wrote it, save the notebook): a run top to bottom would not define "
                         f"{'it' if len(lost) == 1 else 'them'}")
    return found
