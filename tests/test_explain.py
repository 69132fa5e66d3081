"""The classic autograd errors, made by beginners against the shipped exercises, are explained at their cause line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from conftest import SPAWNER
from grader.config import load_settings
from grader.exercise import exercise_files, load_exercise, parse_exercise
from grader.codescope import MAX_SOURCE
from grader.explain import explain
from grader.grade import grade_submission
from grader.oracle import build_oracle
from grader.report import render
from grader.sandbox.protocol import Malformed, check_exception
from grader.source import Unit, read_submission
from test_feedback_authoring import EXERCISE

REPO = Path(__file__).resolve().parent.parent
SETTINGS = load_settings(REPO / "config.yaml")
DATA = Path(__file__).resolve().parent / "data" / "explain"
SEEDS = (9101,)

# file under tests/data/explain -> (the line the report must name as the cause, words of the fix, the checks' diagnosis)
CASES = {
    "ex01_no_requires_grad": (5, "requires_grad=True", "exception"),
    "ex02_not_reduced": (8, "loss.mean().backward()", "exception"),
    "ex06_no_retain_graph": (6, "pass retain_graph=True there", "exception"),
    "ex05_loss_before_loop": (6, "Move the forward computation into the loop", "exception"),
    "ex02_clamp_in_place": (7, "p = p.clamp(...)", "exception"),
    "ex05_update_without_no_grad": (9, "with torch.no_grad():", "exception"),
    "ex01_numpy": (7, "Keep the computation in torch", "exception"),
    "ex03_int_tensors": (11, "dtype=torch.float32", "exception"),
    "ex02_matmul_order": (6, "x @ w, not w @ x", "exception"),
    "ex07_no_grad_without_parentheses": (6, "with torch.no_grad():", "exception"),
    "ex10_grad_of_non_leaf": (2, "y.retain_grad() before backward()", "exception"),
    "ex05_rebinding": (6, "update in place under torch.no_grad()", "unchanged"),
    "ex05_rebinding_no_grad": (10, "update in place under torch.no_grad()", "unchanged"),
}
WRONG_HINTS = {  # torch's hint, which the explanation must counter where it is the wrong fix for the case
    "ex05_loss_before_loop": "torch's hint (retain_graph=True) is wrong here",
    "ex01_numpy": "torch's hint, .detach().numpy(), would cut the graph",
}


def _grade(name: str):
    exercise = parse_exercise(exercise_files(SETTINGS.exercises_dir)[name.split("_", 1)[0]])
    return grade_submission(exercise, read_submission(DATA / f"{name}.py"), SETTINGS, seeds=SEEDS,
                            oracle=build_oracle(exercise), spawner=SPAWNER)


def test_every_submission_is_a_case():
    assert sorted(p.stem for p in DATA.glob("*.py")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_report_names_the_cause_line_and_the_fix(name):
    line, fix, diagnosis = CASES[name]
    grade = _grade(name)
    assert grade.error is not None and grade.error.kind == "exception", grade.error
    torch_says, explained = grade.error.message.split("\n", 1)
    assert f"line {line}" in explained.lower() and fix in explained, explained
    assert WRONG_HINTS.get(name, "") in explained
    assert {c.diagnosis for c in grade.checks} == {diagnosis} and grade.score == 0
    report = render(grade)
    assert report.count(explained.split("\n")[0][:60]) == 1  # the explanation once, not under every check


def test_the_cause_is_not_where_torch_stopped():
    """The error surfaced at y.backward() (line 7); the report says the cause is the leaf made on line 5."""
    grade = _grade("ex01_no_requires_grad")
    assert grade.error.line == 7 and "The cause is line 5: x_tensor is created without" in grade.error.message


def test_anomaly_mode_names_the_op_that_saved_the_tensor():
    grade = _grade("ex02_clamp_in_place")
    assert "sigmoid on line 6 had saved p" in grade.error.message


def _info(message: str, line: int, code: str, **extra) -> dict:
    return {"type": "RuntimeError", "message": message,
            "frames": [{"line": line, "function": "f", "code": code, "file": "s.py"}], **extra}


INPLACE = "one of the variables needed for gradient computation has been modified by an inplace operation: " \
          "[torch.FloatTensor [3]], which is output 0 of Sigmoid, is at version 1; expected version 0 instead."
SOURCE = textwrap.dedent("""\
    import torch
    def f(x, w):
        z = x @ w
        z += 1
        p = torch.sigmoid(z)
        p.clamp_(0.1, 0.9)
        p.sum().backward()
""")


def test_the_forward_traceback_picks_the_in_place_op_after_the_saving_op():
    units = (Unit("s.py", SOURCE),)
    info = _info(INPLACE, 7, "p.sum().backward()")
    guessed = explain(info, units)
    assert guessed is not None and guessed.line == 4  # from the source alone: the first in-place op on the way
    forward = [{"line": 5, "function": "f", "code": "p = torch.sigmoid(z)", "file": "s.py"}]
    found = explain(info, units, forward)
    assert found is not None and found.line == 6 and "sigmoid on line 5" in found.text


def test_the_explainer_reads_a_bounded_source_and_only_the_files_it_was_given():
    info = _info("element 0 of tensors does not require grad and does not have a grad_fn", 7, "y.backward()")
    assert explain(info, (Unit("s.py", "#" * (MAX_SOURCE + 1)),)) is None
    assert explain(info, (Unit("other.py", SOURCE),)) is None
    assert explain({**info, "frames": []}, (Unit("s.py", SOURCE),)) is None
    assert explain(_info("some other error", 7, "y.backward()"), (Unit("s.py", SOURCE),)) is None


def test_forward_frames_are_validated_like_the_exception_frames():
    info = _info(INPLACE, 7, "p.sum().backward()")
    check_exception({**info, "forward": [{"line": 5, "function": "f", "code": "", "file": "s.py"}]})
    for bad in ("not a list", [{"line": "5"}], [{"line": 1, "function": "f", "code": "", "file": "s.py"}] * 9):
        with pytest.raises(Malformed):
            check_exception({**info, "forward": bad})


def test_an_exercises_own_raises_mistake_wins_over_the_generic_explanation(tmp_path):
    course = tmp_path / "course"
    (course / "exercises").mkdir(parents=True)
    (course / "exercises" / "ex90_second.yaml").write_text(EXERCISE, encoding="utf-8")
    (course / "config.yaml").write_text("schema: 1\nexercises_dir: exercises\nhidden_trials: 0\n", encoding="utf-8")
    settings = load_settings(course / "config.yaml").with_overrides(timeout_s=5.0)
    path = tmp_path / "answer.py"
    path.write_text("import torch\n\ndef second_derivative(x):\n    y = (x ** 3).sum()\n"
                    "    (d1,) = torch.autograd.grad(y, x)\n    (d2,) = torch.autograd.grad(d1.sum(), x)\n"
                    "    return d1, d2\n", encoding="utf-8")
    grade = grade_submission(load_exercise(settings.exercises_dir, "ex90"), read_submission(path), settings,
                             spawner=SPAWNER, seeds=())
    assert grade.error.mistake == "forgot-create-graph"
    assert "create_graph=True" in grade.error.message and "no graph to go back through" not in grade.error.message


def test_a_notebook_cell_is_explained_at_its_own_lines(tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    answer = ("def q_backward(a, b):\n    Q = 3 * a**3 - b**2\n    Q.backward()\n    return Q\n")
    trying = "import torch\nx = torch.tensor([1.0, 2.0])\nwith torch.no_grad:\n    y = x * 2\n"
    path = tmp_path / "hw.ipynb"
    path.write_text(nbformat.writes(new_notebook(cells=[new_code_cell("import torch"), new_code_cell(trying),
                                                        new_code_cell(answer)])), encoding="utf-8")
    exercise = parse_exercise(exercise_files(SETTINGS.exercises_dir)["ex03"])
    grade = grade_submission(exercise, read_submission(path), SETTINGS, seeds=SEEDS, spawner=SPAWNER)
    assert "line 3" in grade.error.message and "Q.sum().backward()" in grade.error.message
    note = next(n for n in grade.notes if n.startswith("cell 2 failed"))
    assert "Line 3 writes `with torch.no_grad:`" in note and "Write `with torch.no_grad():`" in note


TWICE = "Trying to backward through the graph a second time (or directly access saved tensors after they have " \
        "already been freed)."
LOOPS = textwrap.dedent("""\
    import torch
    def train(w, x, steps):
        total = 0
        for _ in range(steps):
            loss = (x @ w).pow(2).mean()
            total = total + loss
            total.backward()
        h = x @ w
        for _ in range(steps):
            out = (h * 2).sum()
            out.backward()
            out.backward()
""")


@pytest.mark.parametrize("failing, code, cause, words", [
    (7, "total.backward()", 6, "Carry numbers, not graphs"),  # a running total carries every pass's graph
    (11, "out.backward()", 8, "Move the forward computation into the loop"),  # h is computed once, before the loop
    (12, "out.backward()", 11, "pass retain_graph=True there"),  # twice in one pass: the first call of this loop
])
def test_backward_twice_in_a_loop_is_told_apart_from_twice_on_purpose(failing, code, cause, words):
    found = explain(_info(TWICE, failing, code), (Unit("s.py", LOOPS),))
    assert found is not None and found.line == cause and words in found.text, found
    assert ("retain_graph=True) is wrong here" in found.text) == (failing != 12)


def test_sizes_that_do_not_broadcast_are_named_with_their_dimension():
    message = "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0"
    found = explain(_info(message, 2, "y = a + b"), (Unit("s.py", "def f(a, b):\n    y = a + b\n"),))
    assert found is not None and found.line == 2 and "along dimension 0 one has 3 entries and the other 4" in found.text
