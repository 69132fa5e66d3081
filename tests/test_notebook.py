"""Notebooks -> the code cells to run: IPython syntax made plain Python, bad files named plainly, a starter notebook."""

from __future__ import annotations

import json
import time
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbformat import v3, v4

from grader.exercise import load_exercise
from grader.notebook import Cell, NotebookProblem, python_source, read_notebook, starter_notebook

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = Path(__file__).resolve().parent / "data" / "notebooks"


def notebook_bytes(*cells) -> bytes:
    """Write these nbformat v4 cells as the bytes of a .ipynb file."""
    return nbformat.writes(v4.new_notebook(cells=list(cells))).encode("utf-8")


def problem(raw: bytes, path: str = "answer.ipynb") -> NotebookProblem:
    with pytest.raises(NotebookProblem) as info:
        read_notebook(raw, path)
    assert info.value.message.startswith(path)
    assert str(info.value) == info.value.message
    return info.value


# --- files that are not notebooks we can grade -------------------------------------------------------------------

def test_bytes_that_are_not_utf8_name_the_line():
    raw = notebook_bytes(v4.new_code_cell("x = 1")).replace(b"x = 1", b"x = \xff")
    error = problem(raw)
    line = raw[: raw.index(b"\xff")].count(b"\n") + 1
    assert error.line == line
    assert f"answer.ipynb, line {line}:" in error.message
    assert "not UTF-8" in error.message and "0xff" in error.message


def test_invalid_json_names_line_and_column():
    error = problem(b'{\n "cells": [\n  {"cell_type": "code",, }\n ]\n}\n')
    assert error.line == 3
    assert "answer.ipynb, line 3, column 24:" in error.message
    assert "not valid JSON" in error.message


def test_an_empty_file_is_not_a_notebook():
    assert "empty" in problem(b"").message
    assert "empty" in problem(b"  \n").message


@pytest.mark.parametrize("raw, held", [
    (b"[1, 2]", "a JSON array"),
    (b'"notebook"', "a JSON string"),
    (b"null", "null"),
    (b'{"cells": []}', "'nbformat'"),
    (b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "'cells'"),
    (b"{}", "'nbformat' or 'cells'"),
])
def test_json_that_is_not_a_notebook(raw, held):
    error = problem(raw)
    assert "not a Jupyter notebook" in error.message and held in error.message


@pytest.mark.parametrize("major", [5, 2, 1, "4", True, None])
def test_unknown_nbformat_versions_say_which_are_understood(major):
    raw = json.dumps({"nbformat": major, "nbformat_minor": 0, "metadata": {}, "cells": []}).encode()
    error = problem(raw)
    assert f"nbformat {json.dumps(major)}" in error.message
    assert "nbformat 3 and nbformat 4" in error.message


def test_a_long_nbformat_value_is_shortened():
    raw = json.dumps({"nbformat": ["x" * 1000], "cells": []}).encode()
    assert 'nbformat ["' + "x" * 15 + '...; this grader' in problem(raw).message


def test_a_notebook_without_code_cells():
    raw = notebook_bytes(v4.new_markdown_cell("# my answer"), v4.new_raw_cell("x = 1"))
    assert "the notebook has no code cells" in problem(raw).message


def test_a_broken_structure_is_a_problem_not_a_traceback():
    raw = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": {"a": 1}}).encode()
    assert "structure is damaged (nbformat 4 expects 'cells': a list" in problem(raw).message
    raw = json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [[]]}).encode()
    assert "structure is damaged (nbformat 3 expects 'worksheets'" in problem(raw).message
    raw = json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                      "cells": [{"cell_type": "code", "source": 7}]}).encode()
    assert "cell 1's source is not text" in problem(raw).message


# --- reading -----------------------------------------------------------------------------------------------------

def test_v3_notebooks_are_upgraded_and_read():
    notebook = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[
        v3.new_text_cell("markdown", source="# old"),
        v3.new_code_cell(input="import torch\nx = torch.ones(2)", outputs=[v3.new_output("stream", output_text="hi")]),
        v3.new_code_cell(input="%matplotlib inline\ny = x * 2"),
    ])])
    cells = read_notebook(v3.nbjson.writes(notebook).encode(), "old.ipynb")
    assert [cell.number for cell in cells] == [1, 2]
    assert cells[0].source == "import torch\nx = torch.ones(2)"
    assert cells[1].source == "pass\ny = x * 2"
    assert cells[1].notes == ("cell 2, line 1: skipped IPython magic '%matplotlib inline'",)


def test_numbering_counts_code_cells_only_as_jupyter_users_do():
    raw = notebook_bytes(v4.new_markdown_cell("# ex03"), v4.new_code_cell("import torch"), v4.new_raw_cell("raw"),
                         v4.new_markdown_cell("more"), v4.new_code_cell("a = torch.ones(3)"), v4.new_code_cell(""))
    cells = read_notebook(raw, "a.ipynb")
    assert [(c.number, c.source) for c in cells] == [(1, "import torch"), (2, "a = torch.ones(3)"), (3, "")]
    assert all(isinstance(c, Cell) and c.notes == () and c.tags == () and not c.skipped for c in cells)


def test_tags_from_both_metadata_forms():
    raw = notebook_bytes(
        v4.new_code_cell("a = 1", metadata={"grader": {"exercise": "ex03"}}),
        v4.new_code_cell("b = 1", metadata={"tags": ["ex04", "hide-input", "ex4", "EX05", "ex05"]}),
        v4.new_code_cell("c = 1", metadata={"grader": {"exercise": "ex06"}, "tags": ["ex06", "ex07"]}),
        v4.new_code_cell("d = 1"),
        v4.new_code_cell("e = 1", metadata={"grader": {"exercise": "ex10\n"}, "tags": ["ex11x"]}),
    )
    data = json.loads(raw)
    data["cells"][3]["metadata"] = {"grader": "ex08", "tags": "ex09"}  # not the shapes nbformat allows: ignored
    data["cells"][4]["metadata"]["tags"] += [3, None]
    raw = json.dumps(data).encode()
    assert [c.tags for c in read_notebook(raw, "a.ipynb")] == [("ex03",), ("ex04", "ex05"), ("ex06", "ex07"), (), ()]


def test_stored_outputs_are_ignored():
    cell = v4.new_code_cell("print(1)", execution_count=4, outputs=[
        v4.new_output("stream", name="stdout", text="1\n"),
        v4.new_output("error", ename="NameError", evalue="x", traceback=["boom"]),
        v4.new_output("display_data", data={"text/plain": "%matplotlib inline\n!rm -rf /"}),
    ])
    (only,) = read_notebook(notebook_bytes(cell), "a.ipynb")
    assert only == Cell(number=1, source="print(1)", notes=(), tags=())


def test_missing_optional_fields_do_not_stop_grading():
    raw = json.dumps({"nbformat": 4, "cells": [  # no nbformat_minor, no metadata
        {"cell_type": "markdown", "source": ["# hi"]},
        {"cell_type": "code", "source": ["x = 1\n", "y = x + 1"]},  # no id, metadata, outputs, execution_count
        {"cell_type": "code", "source": "z = y", "metadata": {}, "outputs": [], "id": "bad id!"},
    ]}).encode()
    cells = read_notebook(raw, "a.ipynb")
    assert [(c.number, c.source) for c in cells] == [(1, "x = 1\ny = x + 1"), (2, "z = y")]


def test_a_byte_order_mark_is_allowed():
    (cell,) = read_notebook(b"\xef\xbb\xbf" + notebook_bytes(v4.new_code_cell("x = 1")), "a.ipynb")
    assert cell.source == "x = 1"


def test_non_python_cells_are_skipped_with_a_note():
    raw = notebook_bytes(v4.new_code_cell("%%bash\npip install torch"), v4.new_code_cell("%%time\nx = 1"))
    skipped, timed = read_notebook(raw, "a.ipynb")
    assert skipped == Cell(number=1, source="", tags=(), skipped=True,
                           notes=("cell 1, line 1: skipped the whole cell: %%bash is not Python",))
    assert timed.source == "\nx = 1" and not timed.skipped
    assert timed.notes == ("cell 2, line 1: ran the body of the %%time cell without timing it",)


def test_notes_name_cell_and_line():
    raw = notebook_bytes(v4.new_markdown_cell("intro"), v4.new_code_cell("import torch\n!pip install torch"))
    (cell,) = read_notebook(raw, "a.ipynb")
    assert cell.notes == ("cell 1, line 2: skipped shell command '!pip install torch'",)


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("seed*.ipynb")))
def test_seed_notebooks_read_without_error(name):
    raw = (NOTEBOOKS / name).read_bytes()
    stored = json.loads(raw)["cells"]
    code = [cell for cell in stored if cell["cell_type"] == "code"]
    cells = read_notebook(raw, name)
    assert [c.number for c in cells] == list(range(1, len(code) + 1))  # code cells only, as a student counts them
    for cell in cells:
        text = code[cell.number - 1]["source"]
        assert cell.source == ("".join(text) if isinstance(text, list) else text)
        assert cell.notes == () and not cell.skipped
        compile(cell.source, f"{name} cell {cell.number}", "exec")


def test_seed000_code_cells():
    cells = read_notebook((NOTEBOOKS / "seed000.ipynb").read_bytes(), "seed000.ipynb")
    assert [c.number for c in cells] == [1, 2, 3, 4, 5, 6]
    assert "import torch" in cells[1].source and "loss.backward()" in cells[3].source


# --- IPython syntax -> Python ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, python, note", [
    ("%matplotlib inline\nimport torch", "pass\nimport torch", "line 1: skipped IPython magic '%matplotlib inline'"),
    ("%load_ext autoreload", "pass", "line 1: skipped IPython magic '%load_ext autoreload'"),
    ("%pip install torch", "pass", "line 1: skipped IPython magic '%pip install torch'"),
    ("pip install torch", "pass", "line 1: skipped IPython magic 'pip install torch'"),
    ("%time y = f(x)\nprint(y)", "y = f(x)\nprint(y)", "line 1: ran '%time y = f(x)' without timing it"),
    ("%time\nx = 1", "pass\nx = 1", "line 1: skipped IPython magic '%time'"),
    ("%timeit f()", "f()", "line 1: ran '%timeit f()' without timing it"),
    ("%timeit -n 10 -r3 f()", "f()", "line 1: ran '%timeit -n 10 -r3 f()' without timing it"),
    ("%prun -s cumulative f()", "f()", "line 1: ran '%prun -s cumulative f()' without profiling it"),
    ("r = %time f()", "r = f()", "line 1: ran 'r = %time f()' without timing it"),
    ("r = %who_ls", "pass", "line 1: skipped IPython magic 'r = %who_ls'"),
    ("!pip install torch", "pass", "line 1: skipped shell command '!pip install torch'"),
    ("!!ls", "pass", "line 1: skipped shell command '!!ls'"),
    ("files = !ls *.py", "pass", "line 1: skipped shell command 'files = !ls *.py'"),
    ("a, b = !echo 1 2", "pass", "line 1: skipped shell command 'a, b = !echo 1 2'"),
    ("torch.tensor?", "pass", "line 1: skipped help request 'torch.tensor?'"),
    ("??x", "pass", "line 1: skipped help request '??x'"),
    ("torch.*grad*?", "pass", "line 1: skipped help request 'torch.*grad*?'"),
    ("x = 1\n%%time\ny = 2", "x = 1\npass\ny = 2", "line 2: skipped IPython magic '%%time'"),
    ("%%time\nx = 1", "\nx = 1", "line 1: ran the body of the %%time cell without timing it"),
    ("%%timeit -n 3\nx = 1", "\nx = 1", "line 1: ran the body of the %%timeit cell without timing it"),
    ("\n%%capture out\nx = 1", "\n\nx = 1", "line 2: ran the body of the %%capture cell without capturing its output"),
    ("%%prun\nx = 1", "\nx = 1", "line 1: ran the body of the %%prun cell without profiling it"),
])
def test_ipython_syntax(text, python, note):
    assert python_source(text) == (python, [note])


def test_magics_inside_blocks_keep_their_indentation():
    text = "for i in range(3):\n    !echo $i\n    %time z = i\n\tx = ?y"
    source, notes = python_source(text)
    assert source == "for i in range(3):\n    pass\n    z = i\n\tx = ?y"
    assert notes == ["line 2: skipped shell command '!echo $i'", "line 3: ran '%time z = i' without timing it"]


def test_a_body_magic_cell_also_loses_its_line_magics():
    source, notes = python_source("%%time\nx = 1\n%load_ext foo\n!ls")
    assert source == "\nx = 1\npass\npass" and len(notes) == 3


@pytest.mark.parametrize("magic", ["bash", "html", "writefile out.py", "javascript", "latex", "markdown", "sh",
                                   "script python3", "python", "unknown_magic"])
def test_non_python_cell_magics_skip_the_cell(magic):
    name = magic.split()[0]
    assert python_source(f"%%{magic}\nprint('hi')\n!ls") == \
        ("", [f"line 1: skipped the whole cell: %%{name} is not Python"])


def test_triple_quoted_strings_are_untouched():
    text = 's = """\n%matplotlib inline\n!pip install torch\ntorch.tensor?\n"""\nt = \'\'\'\n%%bash\n\'\'\''
    assert python_source(text) == (text, [])
    with_magic = text + "\n%pip install x\nu = (1,\n!x)"
    source, notes = python_source(with_magic)
    assert source == text + "\npass\nu = (1,\n!x)"
    assert notes == ["line 9: skipped IPython magic '%pip install x'"]


def test_python_that_compiles_is_never_changed():
    for text in ("x = 5 % 3\ny = x != 2", "ls = 1\ntime = ls", "# %matplotlib inline\n# !pip install", "a = '?'"):
        assert python_source(text) == (text, [])


def test_broken_python_without_ipython_syntax_is_left_for_the_syntax_report():
    for text in ("def f(:\n    pass", "x = = 1", "print 'hi'", "await f()"):
        assert python_source(text) == (text, [])


def test_magic_looking_lines_in_a_huge_string_stay_fast():
    text = '%pip install x\ns = """\n' + "%x\n!y\n" * 10_000 + '"""'
    start = time.perf_counter()
    source, notes = python_source(text)
    assert time.perf_counter() - start < 2.0
    assert source == "pass" + text[len("%pip install x"):] and len(notes) == 1


def test_long_commands_are_shortened_in_notes():
    _, (note,) = python_source("!" + "x" * 200)
    assert len(note) < 100 and note.endswith("...'")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("%!?=\"'#()\\ \t\nabx1:.,*")) | st.characters(), max_size=200))
def test_python_source_keeps_the_line_count(text):
    source, notes = python_source(text)
    assert isinstance(notes, list) and all(isinstance(n, str) for n in notes)
    assert source == "" or source.count("\n") == text.count("\n")


# --- starter notebook --------------------------------------------------------------------------------------------

def test_starter_notebook_for_ex03():
    exercise = load_exercise(REPO / "exercises", "ex03")
    text = starter_notebook(exercise)
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    prompt, code = notebook.cells
    assert prompt.cell_type == "markdown" and exercise.prompt in prompt.source and "ex03" in prompt.source
    assert code.cell_type == "code" and code.metadata == {"grader": {"exercise": "ex03"}}
    assert "import torch" in code.source and "def q_backward(" in code.source
    assert '"""' not in code.source  # the prompt lives in the markdown cell, not a docstring
    (cell,) = read_notebook(text.encode(), "ex03.ipynb")
    assert cell.number == 1 and cell.tags == ("ex03",) and cell.notes == ()
    compile(cell.source, "ex03.ipynb", "exec")
    assert starter_notebook(exercise) == text  # the same file every time


# --- never anything but cells or NotebookProblem -----------------------------------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                    max_leaves=12)
SOURCE = st.text(max_size=40) | st.lists(st.text(max_size=20), max_size=3) | JSON
CELL = st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "markdown", "raw", "heading", 3]) | JSON},
                             optional={"source": SOURCE, "input": SOURCE, "metadata": JSON, "outputs": JSON,
                                       "level": JSON, "id": JSON})
NOTEBOOK = st.fixed_dictionaries(
    {"nbformat": st.sampled_from([3, 4]) | st.sampled_from([3, 4, 5, "4"]) | JSON},
    optional={"nbformat_minor": st.integers(-2, 9) | JSON, "metadata": JSON, "cells": st.lists(CELL, max_size=4) | JSON,
              "worksheets": st.lists(st.fixed_dictionaries({}, optional={"cells": st.lists(CELL, max_size=3) | JSON,
                                                                         "metadata": JSON}), max_size=2) | JSON})


def read_or_problem(raw: bytes) -> None:
    try:
        cells = read_notebook(raw, "fuzz.ipynb")
    except NotebookProblem as error:
        assert error.message.startswith("fuzz.ipynb")
        return
    assert cells and all(isinstance(c, Cell) and isinstance(c.source, str) for c in cells)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_cells_or_a_problem(raw):
    read_or_problem(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(NOTEBOOK | JSON)
def test_arbitrary_json_gives_cells_or_a_problem(data):
    read_or_problem(json.dumps(data).encode())
