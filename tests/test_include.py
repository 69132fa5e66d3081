"""What ex22 needed: `include:` (values every trial's tensor holds) and a finite check's own hint."""

from __future__ import annotations

import pytest

from grader.errors import ExerciseError
from grader.exercise import parse_exercise
from grader.inputs import build_inputs

from test_rules import exercise_file, grade

TEXT = """\
schema: 2
id: ex56
title: "Softplus"
points: 1
prompt: "Return log(1 + exp(x))."
contract: {function: soft, signature: "soft(x) -> torch.Tensor", returns: [y]}
dims: {n: [2, 5]}
inputs:
  x: {tensor: [n], dist: normal, std: 5, include: INCLUDE}
trials: {public: [0, 1], hidden: 1}
reference: |
  def soft(x):
      return torch.nn.functional.softplus(x)
checks:
  - {name: y, kind: value, target: y, points: 1}
"""


def test_every_trial_holds_a_value_of_each_range(tmp_path):
    exercise = parse_exercise(exercise_file(tmp_path, TEXT.replace("INCLUDE", "[[89.5, 1000], [-1000, -89.5]]")))
    for seed in range(200):
        x = build_inputs(exercise, seed)["x"]
        assert (x > 89.5).any() and (x < -89.5).any(), (seed, x)
        assert ((x.abs() < 20).sum() >= len(x) - 2)  # the rest still follow the declared dist
    assert not build_inputs(exercise, 3)["x"].equal(build_inputs(exercise, 4)["x"])
    assert build_inputs(exercise, 3)["x"].equal(build_inputs(exercise, 3)["x"])


@pytest.mark.parametrize("include, part", [
    ("[[1000, 89.5]]", "must list ranges"),
    ("[89.5, 1000]", "must list ranges"),
    ("[[1, 2], [3, 4], [5, 6]]", "2 element(s) at the smallest dims, fewer than the 3 ranges"),
])
def test_bad_includes_are_refused_with_the_reason(tmp_path, include, part):
    with pytest.raises(ExerciseError, match=part.replace("(", r"\(").replace(")", r"\)")):
        parse_exercise(exercise_file(tmp_path, TEXT.replace("INCLUDE", include)))


def test_a_finite_checks_hint_replaces_its_stock_advice(tmp_path):
    text = TEXT.replace("INCLUDE", "[[89.5, 1000]]").replace(
        "  - {name: y, kind: value, target: y, points: 1}",
        "  - {name: y, kind: finite, target: y, points: 1, hint: \"exp overflows past 88.7: use x + log1p(exp(-x))\"}")
    result = grade(tmp_path, text, "import torch\n\ndef soft(x):\n    return torch.log(1 + torch.exp(x))\n")
    (check,) = result.checks
    assert check.diagnosis == "nonfinite" and check.message.endswith("exp overflows past 88.7: use x + log1p(exp(-x))")
    assert "log_softmax" not in check.message
