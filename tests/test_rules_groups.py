"""Rules beyond single functions: a group of `requires` met by any one of its names, and classes as rule names.

The forward-mode group is ex19's (torch.func.jvp, torch.func.linearize, torch.autograd.forward_ad.make_dual); the
class is ex22's nn.Softplus. Answers are graded for real in the sandbox, like tests/test_rules.py's.
"""

from __future__ import annotations

import pytest

from grader.errors import ExerciseError
from grader.exercise import parse_exercise

from test_rules import assert_passes, assert_rule, exercise_file, grade

FORWARD = """\
schema: 2
id: ex54
title: "A forward-mode product"
points: 1
prompt: "Return the JVP of tanh at x along v, in forward mode."
contract: {function: tangent, signature: "tangent(x, v) -> torch.Tensor", returns: [t]}
dims: {n: [2, 5]}
inputs:
  x: {tensor: [n]}
  v: {tensor: [n]}
trials: {public: [0, 1], hidden: 1}
rules:
  requires: [[torch.func.jvp, torch.func.linearize, torch.autograd.forward_ad.make_dual]]
  forbids: [torch.autograd.functional.jvp]
  hint: torch.autograd.functional.jvp runs two backward passes, not forward mode.
reference: |
  def tangent(x, v):
      return torch.func.jvp(torch.tanh, (x,), (v,))[1]
checks:
  - {name: t, kind: value, target: t, points: 1}
"""


@pytest.mark.parametrize("answer", [
    "import torch\n\ndef tangent(x, v):\n    return torch.func.jvp(torch.tanh, (x,), (v,))[1]\n",
    "from torch.func import linearize\n\ndef tangent(x, v):\n    return linearize(__import__('torch').tanh, x)[1](v)\n",
    "import torch\nimport torch.autograd.forward_ad as fwAD\n\ndef tangent(x, v):\n    with fwAD.dual_level():\n"
    "        return fwAD.unpack_dual(torch.tanh(fwAD.make_dual(x, v))).tangent.clone()\n",
])
def test_one_of_a_group_any_member_passes(tmp_path, answer):
    assert_passes(grade(tmp_path, FORWARD, answer))


def test_one_of_none_named_fails_listing_the_group(tmp_path):
    message = assert_rule(grade(tmp_path, FORWARD, """\
        import torch

        def tangent(x, v):
            return (1 - torch.tanh(x) ** 2) * v
        """), "This exercise requires one of torch.func.jvp, torch.func.linearize or "
              "torch.autograd.forward_ad.make_dual: your code never calls any of them.")
    assert message.endswith("not forward mode.")


def test_one_of_named_but_not_called_fails_on_the_trial(tmp_path):
    assert_rule(grade(tmp_path, FORWARD, """\
        import torch

        def tangent(x, v):
            if len(x) > 100:
                return torch.func.jvp(torch.tanh, (x,), (v,))[1]
            return (1 - torch.tanh(x) ** 2) * v
        """), "your code called none of them on ")


def test_reverse_mode_jvp_is_forbidden_with_the_reason(tmp_path):
    message = assert_rule(grade(tmp_path, FORWARD, """\
        import torch

        def tangent(x, v):
            return torch.autograd.functional.jvp(torch.tanh, x, v)[1]
        """), "This exercise forbids torch.autograd.functional.jvp: line 4 calls it.")
    assert "two backward passes" in message


def test_a_group_the_reference_never_uses_is_an_error(tmp_path):
    text = FORWARD.replace("torch.func.jvp(torch.tanh, (x,), (v,))[1]", "(1 - torch.tanh(x) ** 2) * v")
    with pytest.raises(ExerciseError, match="the reference uses none of torch.func.jvp"):
        parse_exercise(exercise_file(tmp_path, text))


@pytest.mark.parametrize("group, part", [
    ("[torch.func.jvp]", "a group of two or more dotted names"),
    ("[torch.func.jvp, torch.func.jvpp]", "did you mean torch.func.jvp"),
    ("[torch.func.jvp, torch.func.jvp]", "listed twice in the group"),
])
def test_a_malformed_group_is_refused(tmp_path, group, part):
    text = FORWARD.replace("[[torch.func.jvp, torch.func.linearize, torch.autograd.forward_ad.make_dual]]",
                           f"[{group}]")
    with pytest.raises(ExerciseError, match=part):
        parse_exercise(exercise_file(tmp_path, text))


def test_a_group_name_also_forbidden_is_refused(tmp_path):
    text = FORWARD.replace("forbids: [torch.autograd.functional.jvp]", "forbids: [torch.func.linearize]")
    with pytest.raises(ExerciseError, match="torch.func.linearize is both required and forbidden"):
        parse_exercise(exercise_file(tmp_path, text))


def test_the_summary_states_the_group():
    from pathlib import Path
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        rules = parse_exercise(exercise_file(Path(folder), FORWARD)).rules
    assert "call one of torch.func.jvp, torch.func.linearize or torch.autograd.forward_ad.make_dual" \
        in rules.summary()


SOFTPLUS = """\
schema: 2
id: ex55
title: "Softplus by hand"
points: 1
prompt: "Return log(1 + exp(x))."
contract: {function: soft, signature: "soft(x) -> torch.Tensor", returns: [y]}
dims: {n: [2, 5]}
inputs:
  x: {tensor: [n]}
trials: {public: [0, 1], hidden: 1}
rules:
  forbids: [torch.nn.Softplus, torch.nn.functional.softplus]
reference: |
  def soft(x):
      return torch.log1p(torch.exp(x))
checks:
  - {name: y, kind: value, target: y, points: 1}
"""


def test_a_forbidden_class_named_in_the_source_is_found(tmp_path):
    assert_rule(grade(tmp_path, SOFTPLUS, """\
        from torch import nn

        def soft(x):
            return nn.Softplus()(x)
        """), "This exercise forbids torch.nn.Softplus: line 4 calls it.")


def test_a_forbidden_class_constructed_by_reflection_is_counted(tmp_path):
    """The class stays a class (subclassing works); its constructions are counted through __init__."""
    assert_rule(grade(tmp_path, SOFTPLUS, """\
        import torch

        Soft = getattr(torch.nn, "Soft" + "plus")

        class Mine(Soft):
            pass

        def soft(x):
            assert isinstance(Mine(), Soft)
            return torch.log1p(torch.exp(x))
        """), "This exercise forbids torch.nn.Softplus: your code called it ")


def test_a_class_that_is_never_constructed_is_not_counted(tmp_path):
    assert_passes(grade(tmp_path, SOFTPLUS, """\
        import torch

        def soft(x):
            return torch.log1p(torch.exp(x))
        """))
