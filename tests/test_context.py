"""Diagnoses read in context: a factor's direction, only the causes the exercise has, broadcasting, what to return."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import torch

from conftest import SPAWNER
from grader.config import load_settings
from grader.context import Context, read_context
from grader.diagnose import tensor_mismatch
from grader.exercise import load_exercise
from grader.grade import grade_submission
from grader.oracle import build_oracle
from grader.source import read_submission

REPO = Path(__file__).resolve().parent.parent
SETTINGS = load_settings(REPO / "config.yaml")
SEEDS = (9101,)


def _exercise(exercise_id: str):
    return load_exercise(SETTINGS.exercises_dir, exercise_id, SETTINGS)


def _grade(tmp_path: Path, exercise_id: str, code: str):
    exercise = _exercise(exercise_id)
    path = tmp_path / f"{exercise_id}.py"
    path.write_text("import torch\n\n" + textwrap.dedent(code))
    return grade_submission(exercise, read_submission(path), SETTINGS, seeds=SEEDS,
                            oracle=build_oracle(exercise), spawner=SPAWNER)


def _failed(grade, name: str):
    (check,) = [c for c in grade.checks if c.name == name]
    assert not check.passed, check
    return check


def test_a_mean_in_an_exercise_that_sums_is_a_division_not_a_forgotten_mean(tmp_path):
    grade = _grade(tmp_path, "ex03", """\
        def q_backward(a, b):
            Q = 3 * a**3 - b**2
            Q.mean().backward()
            return Q
    """)
    check = _failed(grade, "a.grad")
    assert check.diagnosis == "scaled"
    assert "divided by" in check.message and "a mean where this exercise takes none" in check.message
    assert "forgotten mean" not in check.message and "learning rate" not in check.message
    assert "multiplied" not in check.message


def test_dividing_twice_where_the_exercise_averages_is_averaging_twice(tmp_path):
    grade = _grade(tmp_path, "ex09", """\
        def manual_mse_grads(x1, x2, w1, w2, b, y_true):
            n = y_true.numel()
            r = 2 * (x1 * w1 + x2 * w2 + b - y_true) / n / n
            return r * x1, r * x2, r.sum()
    """)
    check = _failed(grade, "dw1")
    assert check.diagnosis == "scaled" and "divided by" in check.message
    assert "averaging twice" in check.message and "learning rate" not in check.message


def test_a_factor_above_one_is_multiplied(tmp_path):
    grade = _grade(tmp_path, "ex03", """\
        def q_backward(a, b):
            Q = 3 * a**3 - b**2
            (3 * Q).sum().backward()
            return Q
    """)
    check = _failed(grade, "b.grad")
    assert "multiplied by 3" in check.message and "divided" not in check.message
    assert "mean" not in check.message and "learning rate" not in check.message


def test_a_broadcast_is_called_broadcasting_with_both_shapes(tmp_path):
    grade = _grade(tmp_path, "ex09", """\
        def manual_mse_grads(x1, x2, w1, w2, b, y_true):
            y_pred = (x1 * w1 + x2 * w2 + b).unsqueeze(1)
            r = 2 * (y_pred - y_true) / y_true.numel()
            return r * x1, r * x2, r.sum()
    """)
    check = _failed(grade, "dw1")
    assert check.diagnosis == "shape" and "Broadcasting" in check.message
    assert re.search(r"shape \((\d+), 1\) combined with one of shape \(\1,\)", check.message), check.message
    assert ".squeeze(1)" in check.message and "precision" not in check.message and "epsilon" not in check.message


def test_returning_item_says_to_return_the_tensor(tmp_path):
    grade = _grade(tmp_path, "ex01", """\
        def first_gradient(x):
            x_tensor = torch.tensor(x, requires_grad=True)
            y = 3 * x_tensor**2 + 4 * x_tensor + 2
            y.backward()
            return x_tensor, y.item()
    """)
    check = _failed(grade, "y")
    assert check.diagnosis == "type" and "not y.item()" in check.message and "return the tensor y" in check.message


def test_returning_a_numpy_array_says_to_keep_the_tensor(tmp_path):
    grade = _grade(tmp_path, "ex03", """\
        def q_backward(a, b):
            Q = 3 * a**3 - b**2
            Q.sum().backward()
            return Q.detach().numpy()
    """)
    check = _failed(grade, "Q")
    assert check.diagnosis == "type" and "got a numpy array" in check.message
    assert "return the tensor Q itself, not Q.detach().numpy()" in check.message


@pytest.mark.parametrize("exercise_id, rate, averages", [
    ("ex01", "", False), ("ex02", "", True), ("ex03", "", False), ("ex04", "", False), ("ex05", "lr", True),
    ("ex07", "", False), ("ex09", "", True), ("ex10", "", True),
])
def test_the_context_is_what_the_exercise_declares(exercise_id, rate, averages):
    context = read_context(_exercise(exercise_id))
    assert (context.learning_rate, context.averages) == (rate, averages)


def test_a_student_bundle_reads_the_mean_from_the_prompt():
    """A bundle holds no reference code: the prompt says whether the exercise averages."""
    for exercise_id, averages in (("ex03", False), ("ex10", True)):
        exercise = _exercise(exercise_id)
        bundled = type(exercise)(**{**exercise.__dict__, "reference": type(exercise.reference)("", 0)})
        assert read_context(bundled).averages is averages


def test_causes_only_where_they_exist():
    want = torch.tensor([1.0, -2.0, 3.0, 0.5], dtype=torch.float64)
    bare = tensor_mismatch("g", want, want * 0.37, rtol=1e-5, atol=1e-8)
    assert "learning rate" not in bare.message and "mean" not in bare.message and "divided by about 2.703" in \
        bare.message
    with_rate = tensor_mismatch("g", want, want * 0.37, rtol=1e-5, atol=1e-8, context=Context(learning_rate="lr"))
    assert "the learning rate lr" in with_rate.message
    summed = tensor_mismatch("g", want, want * 4, rtol=1e-5, atol=1e-8,
                             context=Context(averages=True, sizes=frozenset({4})))
    assert "multiplied by 4" in summed.message and "a sum where the exercise takes a mean" in summed.message
    negative = tensor_mismatch("g", want, want * -2, rtol=1e-5, atol=1e-8)
    assert "multiplied by 2 and its sign flipped" in negative.message


def test_a_number_or_array_where_a_tensor_is_read_says_to_keep_the_tensor():
    from grader.compare import _tensor_fields
    assert _tensor_fields("y", 23.08).message == ("y: expected a tensor, got 23.08. Keep y the tensor itself, not "
                                                  "y.item() or float(y): a Python number has no gradient.")
    assert "not y.detach().numpy()" in _tensor_fields("y", {"t": "object", "cls": "ndarray"}).message
