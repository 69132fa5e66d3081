"""grader.check in a notebook: the history it grades, where kernel and file disagree, and a real kernel doing it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import nbformat
import pytest

from grader.exercise import load_exercise
from grader.platforms.history import Ran, disagreements, history, history_notebook, saved_cells, without_checks
from grader.platforms.notebookcheck import find_notebook, grade_magic
from grader.notebook import read_notebook

from conftest import CONFIG, REPO, SOLUTIONS

WRONG = textwrap.dedent("""\
    import torch

    def q_backward(a, b):
        Q = 3 * a**2 - b**2
        Q.sum().backward()
        return Q
    """)


# --- the history it grades ------------------------------------------------------------------------------------------

def test_history_skips_the_empty_slot_and_blank_runs():
    assert history(["", "x = 1", "  \n", "y = x"]) == (Ran(1, "x = 1"), Ran(3, "y = x"))


def test_check_calls_and_own_magics_become_pass_on_their_own_lines():
    cells = (Ran(1, "import grader as g\nfrom grader import check as c"),
             Ran(2, "x = 1\ng.check('ex03')\ny = 2"),
             Ran(3, "c(\n  'ex03',\n)\nz = 3"),
             Ran(4, "%grade ex03\n%load_ext grader\nprint(grader.check)\nresult = grader.check_all()"),
             Ran(5, "def f():\n    grader.check('ex03')\n"),
             Ran(6, "if __name__ == '__main__':\n    grader.check('ex03')\nelse:\n    g.check_all()"))
    kept = {ran.number: ran.source for ran in without_checks(cells)}
    assert kept[2] == "x = 1\npass\ny = 2"
    assert kept[3] == "pass\n\n\nz = 3"  # the statement's three lines: later lines keep their numbers
    assert kept[4] == "pass\npass\nprint(grader.check)\npass"  # a mention is not a call
    assert kept[5] == cells[4].source  # only top-level calls: a function body is the student's business
    assert kept[6] == "if __name__ == '__main__':\n    pass\nelse:\n    pass"


def test_the_history_notebook_numbers_cell_n_as_in_n_and_reads_as_grade_reads_it():
    text = history_notebook([Ran(1, "x = 1"), Ran(3, "%time y = x\n!ls")])
    cells = read_notebook(text.encode(), "history.ipynb")
    assert [c.number for c in cells] == [1, 2, 3] and cells[0].source == "x = 1" and cells[1].source == ""
    assert cells[2].source == "y = x\npass" and any("shell command" in note for note in cells[2].notes)


# --- where the kernel and the saved notebook disagree ---------------------------------------------------------------

RAN = (Ran(1, "import torch"), Ran(2, "def helper(x):\n    return x * 2"), Ran(3, "def q_backward(a, b):\n  return a"),
       Ran(4, "import grader\ngrader.check('ex03')"))


def test_no_warning_when_the_file_holds_what_ran_in_order():
    saved = ["import torch", "def helper(x):\n    return x * 2  ", "def q_backward(a, b):\n  return a\n",
             "import grader\ngrader.check('ex03')", "", "# a note to self"]
    assert disagreements(RAN, saved, "ex03.ipynb") == []


def test_an_edited_cell_is_named_with_its_number_and_first_line():
    saved = ["import torch", "def helper(x):\n    return x * 2", "def q_backward(a, b):\n  return a * 3"]
    [said] = disagreements(RAN, saved, "ex03.ipynb")
    assert said.startswith("cell 3 of ex03.ipynb ('def q_backward(a, b):') is not what your kernel ran: it was "
                           "edited and not run again")


def test_cells_run_out_of_order_name_both_runs():
    ran = (*RAN[:2], Ran(5, RAN[0].source))  # the import cell run again after the helper
    [said] = disagreements(ran, ["import torch", "def helper(x):\n    return x * 2"], "nb.ipynb")
    assert said == ("cells ran out of order: cell 2 of nb.ipynb last ran as In [2], before cell 1 above it (In [5]); "
                    "a run top to bottom may give another result")


def test_a_definition_only_a_deleted_cell_made_is_named():
    saved = ["import torch", "def q_backward(a, b):\n  return helper(a)"]  # helper's cell was deleted
    ran = (*RAN[:2], Ran(3, saved[1]))
    [said] = disagreements(ran, saved, "ex03.ipynb")
    assert said.startswith("helper is defined only by In [2] ('def helper(x):'), which is not in ex03.ipynb as "
                           "saved (deleted or changed since")
    # an edited cell that ran again defines the same name: the old run is not missed
    assert disagreements((*RAN[:2], Ran(3, "def helper(x):\n    return x * 3")),
                         ["import torch", "def helper(x):\n    return x * 3"], "ex03.ipynb") == []


def test_saved_cells_reads_v4_sources_and_refuses_what_is_not_a_notebook(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# hi"),
                                               nbformat.v4.new_code_cell("x = 1\ny = 2")])
    assert saved_cells(nbformat.writes(notebook).encode()) == ("x = 1\ny = 2",)
    assert saved_cells(b"not json") is None and saved_cells(b'{"cells": 3}') is None


def test_the_notebook_is_found_from_vscode_or_jupyter_or_named(tmp_path, monkeypatch):
    path = tmp_path / "work.ipynb"
    path.write_text("{}")

    class Shell:
        user_ns = {"__vsc_ipynb_file__": str(path)}

    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert find_notebook(Shell()) == path
    Shell.user_ns = {}
    assert find_notebook(Shell()) is None
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    assert find_notebook(Shell()) == path
    with pytest.raises(FileNotFoundError, match="no notebook missing.ipynb"):
        find_notebook(Shell(), "missing.ipynb")


def test_the_magic_says_its_usage_when_misused(capsys):
    grade_magic("")
    grade_magic("ex03 ex04")
    err = capsys.readouterr().err
    assert "%grade: which exercise?" in err and "cannot read 'ex03 ex04'" in err and "usage: %grade EXERCISE" in err


def test_load_ext_and_the_first_check_define_grade_once_and_leave_a_foreign_one_alone():
    import grader

    class Shell:
        def __init__(self, taken: bool) -> None:
            self.magics_manager = type("M", (), {"magics": {"line": {"grade": object()} if taken else {}}})()
            self.registered: list[tuple] = []

        def register_magic_function(self, func, magic_kind, magic_name):
            self.registered.append((func, magic_kind, magic_name))
            self.magics_manager.magics["line"][magic_name] = func

    free, taken = Shell(False), Shell(True)
    grader.load_ipython_extension(free)
    grader.load_ipython_extension(free)
    grader.load_ipython_extension(taken)
    assert free.registered == [(grade_magic, "line", "grade")] and taken.registered == []


def test_import_grader_loads_neither_torch_nor_ipython():
    code = "import sys, grader; print(sorted(m for m in ('torch', 'IPython', 'grader.platforms') if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.stdout.strip() == "[]"


def test_a_plain_script_calling_check_prints_the_text_report(tmp_path):
    script = tmp_path / "answer.py"
    script.write_text(WRONG + f"\nimport grader\ngrader.check('ex03', config={str(CONFIG)!r})\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert "ex03: Gradients" in done.stdout and "FAIL  Q" in done.stdout, done.stderr
    assert "Q = 3a² − b²" in done.stdout
    assert f"submission: {script}" in done.stdout


# --- in a real kernel -----------------------------------------------------------------------------------------------

class Kernel:
    """A started IPython kernel in a folder; run(code) returns the cell's display_data bundles and its errors."""

    def __init__(self, folder: Path, notebook: Path) -> None:
        from jupyter_client.manager import start_new_kernel

        env = {**os.environ, "PYTHONPATH": str(REPO), "JPY_SESSION_NAME": str(notebook)}
        self.manager, self.client = start_new_kernel(kernel_name="python3", cwd=str(folder), env=env)

    def run(self, code: str, timeout_s: float = 180) -> tuple[list[dict], list[str]]:
        msg_id = self.client.execute(code)
        shown, errors = [], []
        deadline = time.monotonic() + timeout_s
        while True:
            message = self.client.get_iopub_msg(timeout=max(1.0, deadline - time.monotonic()))
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "display_data":
                shown.append(content["data"])
            elif kind == "error":
                errors.append("\n".join(content["traceback"]))
            elif kind == "stream" and content["name"] == "stderr":
                errors.append(content["text"])
            elif kind == "status" and content["execution_state"] == "idle":
                return shown, errors

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    try:
        import ipykernel  # noqa: F401
        import jupyter_client  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("ipykernel or jupyter_client is missing but CI must run the kernel tests: .ci/run installs "
                        "'.[test,dask,jupyter]'")
        pytest.skip("the kernel tests need the [jupyter] extra: pip install -e '.[jupyter]'")
    folder = tmp_path_factory.mktemp("kernel")
    started = Kernel(folder, folder / "ex03.ipynb")
    yield started, folder
    started.close()


def _save(path: Path, *cells: str) -> None:
    path.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])))


def test_check_in_a_kernel_grades_what_ran_and_says_when_the_file_disagrees(kernel):
    running, folder = kernel
    points = load_exercise(REPO / "exercises", "ex03").points
    solution = (SOLUTIONS / "ex03.py").read_text()
    check = f"import grader\ngrader.check('ex03', config={str(CONFIG)!r})"
    _save(folder / "ex03.ipynb", solution, check)
    assert running.run(solution) == ([], [])
    shown, errors = running.run(check)
    [bundle] = shown
    assert errors == [] and bundle["text/html"].startswith('<div class="grader-report"')
    assert f">{points:g}/{points:g}</span>" in bundle["text/html"] and "every check passed" in bundle["text/html"]
    assert f"score: {points:g}/{points:g}" in bundle["text/plain"] and "warning" not in bundle["text/plain"]

    _save(folder / "ex03.ipynb", WRONG, "%grade ex03 --config " + str(CONFIG))
    running.run(WRONG)
    [bundle], errors = running.run("%grade ex03 --config " + str(CONFIG))
    html = bundle["text/html"]
    assert errors == [] and 'data-passed="false"' in html and "[value]" in html
    assert "This matches Q = 3a² − b²: the first term needs a cube" in html and "FAIL  Q" in bundle["text/plain"]
    assert "skipped IPython magic" not in html  # %grade is ours, not the answer's

    edited = WRONG.replace("a**2", "a**3")  # fixed in the file, never run: the kernel still holds the wrong one
    _save(folder / "ex03.ipynb", edited, check)
    [bundle], errors = running.run(check)
    said = ("cell 1 of ex03.ipynb (&#x27;import torch&#x27;) is not what your kernel ran: it was edited and not run "
            "again")
    assert errors == [] and said in bundle["text/html"] and "Kernel &gt; Restart &amp; Run All" in bundle["text/html"]
    assert "warning: cell 1 of ex03.ipynb" in bundle["text/plain"] and "FAIL  Q" in bundle["text/plain"]
