"""grader.sandbox.freeform: which assignments a free-form notebook's re-run rebinds to the trial's inputs."""

from __future__ import annotations

import traceback

import pytest
import torch

from grader.exercise import NotebookNames
from grader.sandbox.freeform import BIND, notebook_dims, parameterize
from conftest import _course

NAMES = NotebookNames(args={"a": "a", "b": "b"}, returns={"Q": "Q"})


def run(source: str) -> tuple[dict, list]:
    """Run a cell as the re-run does; return its namespace and the (variable, assigned value) pairs rebound."""
    bound: list = []

    def bind(variable: str, assigned: object) -> str:
        bound.append((variable, assigned))
        return f"input {variable}"

    namespace: dict = {BIND: bind}
    exec(parameterize(source, "<cell 1>", NAMES), namespace)  # noqa: S102 - the test's own code
    return namespace, bound


def test_plain_tuple_starred_and_annotated_assignments_are_rebound():
    namespace, bound = run("a = 1\nb, c = 2, 3\n[a, *rest] = [4, 5, 6]\nb: int = 7\nc = a\n")
    assert bound == [("a", 1), ("b", 2), ("a", 4), ("b", 7)]
    assert namespace["a"] == "input a" and namespace["b"] == "input b" and namespace["c"] == "input a"


def test_assignments_inside_top_level_blocks_count_but_not_inside_definitions():
    namespace, bound = run("if True:\n    a = 1\nfor i in range(2):\n    b = i\n"
                           "def f():\n    a = 99\n    return a\nclass K:\n    b = 98\nr = f()\n")
    assert bound == [("a", 1), ("b", 0), ("b", 1)]
    assert namespace["r"] == 99 and namespace["K"].b == 98


def test_augmented_assignments_and_loop_targets_are_left_alone():
    namespace, bound = run("a = 1\na += ' and more'\nfor b in range(2):\n    pass\n")
    assert bound == [("a", 1)] and namespace["a"] == "input a and more" and namespace["b"] == 1


def test_line_numbers_stay_the_cells_own():
    with pytest.raises(ValueError) as raised:
        run("a = 1\n\n\nraise ValueError('here')\n")
    assert [frame.lineno for frame in traceback.extract_tb(raised.tb) if frame.filename == "<cell 1>"] == [4]


def test_the_notebooks_sizes_are_kept_only_within_the_exercises_ranges():
    _, exercise, _ = _course()  # ex03: a and b of shape (n,), n from 2 to 6
    names = exercise.notebook
    assert notebook_dims(exercise, names, {"a": torch.ones(3), "b": torch.ones(3)}) == {"n": 3}
    assert notebook_dims(exercise, names, {"a": torch.ones(9), "b": torch.ones(9)}) == {}  # outside 2..6
    assert notebook_dims(exercise, names, {"a": torch.ones(3), "b": torch.ones(4)}) == {}  # they disagree
    assert notebook_dims(exercise, names, {"a": [1.0, 2.0], "b": torch.ones(2, 2)}) == {}  # not a (n,) tensor
