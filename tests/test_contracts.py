"""Contracts that name a class: a custom torch.autograd.Function called as Exp.apply, an nn.Module built with init."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from conftest import CONFIG, SPAWNER

from grader.byhand import audit
from grader.config import load_settings
from grader.contract import Contract
from grader.errors import ExerciseError
from grader.exercise import parse_exercise
from grader.grade import grade_submission
from grader.oracle import build_oracle
from grader.source import Unit, read_submission
from grader.starter import starter_text

EXP_YAML = """\
schema: 2
id: ex21
title: "A custom autograd.Function: exp"
points: 10
prompt: Write Exp, a torch.autograd.Function computing exp(x) with its own backward.
contract:
  class: Exp
  base: torch.autograd.Function
  signature: "Exp.apply(x)"
  returns: [y]
dims:
  n: [2, 5]
inputs:
  x: {tensor: [n], requires_grad: true}
trials:
  public: [0, 1]
probes:
  dy_dx: |
    def probe(y, x):
        return torch.autograd.grad(y, x, torch.ones_like(y))[0]
reference: |
  class Exp(torch.autograd.Function):
      @staticmethod
      def forward(ctx, x):
          result = x.exp()
          ctx.save_for_backward(result)
          return result

      @staticmethod
      def backward(ctx, grad_output):
          (result,) = ctx.saved_tensors
          return grad_output * result
checks:
  - {name: y, kind: value, target: y, points: 3}
  - {name: dy/dx, kind: value, target: dy_dx, points: 3}
  - {name: gradcheck, kind: gradcheck, points: 4}
"""

CORRECT_EXP = """\
import torch


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = torch.exp(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y
"""

NO_EXP_IN_BACKWARD = CORRECT_EXP.replace("return grad_output * y", "return grad_output")

RECOMPUTES = """\
import torch


class Exp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.x = x.detach()
        return x.exp()

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.x.exp()
"""

PLAIN_FUNCTION = """\
import torch


def Exp(x):
    return torch.exp(x)
"""

NET_YAML = """\
schema: 2
id: ex22
title: "A small network"
points: 10
prompt: Write Net, two linear layers with a tanh between them.
contract:
  class: Net
  base: torch.nn.Module
  init: {hidden: 8}
  returns: [y]
inputs:
  x: {tensor: [4, 3]}
trials:
  public: [0, 1]
reference: |
  class Net(torch.nn.Module):
      def __init__(self, hidden):
          super().__init__()
          self.fc = torch.nn.Linear(3, hidden)
          self.out = torch.nn.Linear(hidden, 2)

      def forward(self, x):
          return self.out(torch.tanh(self.fc(x)))
checks:
  - {name: y, kind: value, target: y, points: 4}
  - {name: fc.weight, kind: value, target: instance.fc.weight, points: 2}
  - {name: fc shape, kind: shape, target: instance.fc.weight, points: 1}
  - {name: trainable, kind: trainable, target: instance, points: 1}
  - {name: training mode, kind: flag, target: instance.training, expect: true, points: 2}
"""

CORRECT_NET = """\
import torch


class Net(torch.nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.fc = torch.nn.Linear(3, hidden)
        self.out = torch.nn.Linear(hidden, 2)

    def forward(self, x):
        return self.out(torch.tanh(self.fc(x)))
"""

EVAL_NET = CORRECT_NET.replace("        self.out = torch.nn.Linear(hidden, 2)\n",
                               "        self.out = torch.nn.Linear(hidden, 2)\n        self.eval()\n")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def grade(tmp_path: Path, yaml_text: str, code: str, *, name: str = "ex.yaml"):
    exercise = parse_exercise(write(tmp_path, name, yaml_text))
    settings = load_settings(CONFIG).with_overrides(timeout_s=10.0)
    submission = read_submission(write(tmp_path, "answer.py", code))
    return grade_submission(exercise, submission, settings, spawner=SPAWNER, seeds=(4242,),
                            oracle=build_oracle(exercise))


def by_name(grade) -> dict:
    return {check.name: check for check in grade.checks}


def test_a_correct_custom_function_scores_full_marks(tmp_path):
    result = grade(tmp_path, EXP_YAML, CORRECT_EXP, name="ex21_exp.yaml")
    assert result.error is None, result.error
    assert result.score == result.max_score == 10, [(c.name, c.message) for c in result.checks]


def test_a_backward_without_exp_fails_the_gradient_and_gradcheck(tmp_path):
    result = grade(tmp_path, EXP_YAML, NO_EXP_IN_BACKWARD, name="ex21_exp.yaml")
    checks = by_name(result)
    assert checks["y"].passed
    assert not checks["dy/dx"].passed
    gradcheck = checks["gradcheck"]
    assert not gradcheck.passed and gradcheck.diagnosis == "gradcheck"
    assert "with respect to x" in gradcheck.message and "finite differences" in gradcheck.message


def test_recomputing_in_backward_instead_of_saving_passes(tmp_path):
    result = grade(tmp_path, EXP_YAML, RECOMPUTES, name="ex21_exp.yaml")
    assert result.score == 10, [(c.name, c.message) for c in result.checks]


@pytest.mark.parametrize("code, found", [
    (PLAIN_FUNCTION, "found a function"),
    ("import torch\n\nclass Exp:\n    pass\n", "found a class deriving from object"),
    ("import torch\n", "found nothing by that name"),
])
def test_a_missing_class_or_a_plain_function_is_a_missing_error(tmp_path, code, found):
    result = grade(tmp_path, EXP_YAML, code, name="ex21_exp.yaml")
    assert result.error is not None and result.error.kind == "missing"
    assert "Exp must be a class deriving from torch.autograd.Function" in result.error.message
    assert found in result.error.message
    assert result.score == 0


def test_a_module_contract_builds_the_instance_under_the_trial_seed(tmp_path):
    result = grade(tmp_path, NET_YAML, CORRECT_NET, name="ex22_net.yaml")
    assert result.score == 10, [(c.name, c.message) for c in result.checks]


def test_a_flag_on_the_instance_fails_when_the_module_is_left_in_eval_mode(tmp_path):
    result = grade(tmp_path, NET_YAML, EVAL_NET, name="ex22_net.yaml")
    checks = by_name(result)
    assert not checks["training mode"].passed
    assert checks["training mode"].diagnosis == "value"
    assert "instance.training: got False, expected True" in checks["training mode"].message
    assert checks["y"].passed and checks["fc.weight"].passed


def test_a_module_whose_layers_are_built_differently_fails_the_weight_check(tmp_path):
    swapped = CORRECT_NET.replace("self.fc = torch.nn.Linear(3, hidden)\n        self.out = torch.nn.Linear(hidden, 2)",
                                  "self.out = torch.nn.Linear(hidden, 2)\n        self.fc = torch.nn.Linear(3, hidden)")
    result = grade(tmp_path, NET_YAML, swapped, name="ex22_net.yaml")
    assert not by_name(result)["fc.weight"].passed  # other draws from the seed: other initial weights


def test_the_reference_must_define_the_class(tmp_path):
    bad = EXP_YAML.replace("  class Exp(torch.autograd.Function):", "  class Other(torch.autograd.Function):")
    with pytest.raises(ExerciseError, match=r"ex21_exp.yaml:\d+: reference must define a class 'Exp'"):
        parse_exercise(write(tmp_path, "ex21_exp.yaml", bad))


def test_a_reference_class_of_the_wrong_base_is_refused_with_its_line(tmp_path):
    bad = EXP_YAML.replace("  class Exp(torch.autograd.Function):", "  class Exp:")
    exercise = parse_exercise(write(tmp_path, "ex21_exp.yaml", bad))
    with pytest.raises(ExerciseError, match=r"ex21_exp.yaml:\d+: Exp must be a class deriving from "
                                            r"torch.autograd.Function; found a class deriving from object"):
        build_oracle(exercise)


@pytest.mark.parametrize("change, message", [
    (("  class: Exp\n", "  class: Exp\n  function: exp\n"), "exactly one of 'function' and 'class'"),
    (("base: torch.autograd.Function", "base: nn.Module"), "torch.autograd.Function, torch.nn.Module"),
    (("trials:", "notebook: {args: {x: x}, returns: {y: y}}\ntrials:"), "never a class"),
    (("  x: {tensor: [n], requires_grad: true}", "  x: {tensor: [n]}"), "requires_grad: true"),
    (("  n: [2, 5]", "  n: [2, 100]"), "up to 100 elements"),
    (("checks:\n", "checks:\n  - {name: by hand, kind: no_autograd, points: 0}\n"), "keep one of them"),
    (("  signature: \"Exp.apply(x)\"\n", "  init: {a: {b: 1}}\n"), "unknown key 'init'"),
])
def test_class_contracts_and_gradchecks_are_validated_at_load(tmp_path, change, message):
    with pytest.raises(ExerciseError, match=message):
        parse_exercise(write(tmp_path, "ex21_exp.yaml", EXP_YAML.replace(*change)))


def test_the_starter_of_a_class_contract_is_a_class_skeleton(tmp_path):
    exercise = parse_exercise(write(tmp_path, "ex21_exp.yaml", EXP_YAML))
    text = starter_text(exercise)
    assert "class Exp(torch.autograd.Function):" in text
    assert "def forward(ctx, x):" in text and "def backward(ctx, grad_output):" in text
    compile(text, "starter", "exec")
    net = starter_text(parse_exercise(write(tmp_path, "ex22_net.yaml", NET_YAML)))
    assert "class Net(torch.nn.Module):" in net and "def __init__(self, hidden):" in net
    compile(net, "starter", "exec")


BY_HAND_NET = """\
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.w = nn.Parameter(torch.ones(hidden))

    def forward(self, x):
        return (self.w * x).sum()
"""


def test_the_by_hand_reading_accepts_the_contracts_class_and_no_other():
    contract = Contract("Net", "Net(hidden)(x)", ("y",), base="torch.nn.Module", init={"hidden": 2})
    assert audit((Unit("a.py", BY_HAND_NET),), contract) is None
    assert audit((Unit("a.py", BY_HAND_NET),)).code == "unverifiable"  # no class contract: no class on a base
    for changed in (BY_HAND_NET.replace("(nn.Module)", "(torch.Tensor)"),  # a tensor subclass sees torch's internals
                    BY_HAND_NET.replace("class Net", "class Other"),
                    BY_HAND_NET + "\n\nclass Net(nn.Module):\n    pass\n"):
        finding = audit((Unit("a.py", changed),), contract)
        assert finding is not None and finding.code == "unverifiable" and "builds on another class" in finding.message


def test_init_holds_plain_values_and_names_the_default_signature(tmp_path):
    exercise = parse_exercise(write(tmp_path, "ex22_net.yaml", NET_YAML))
    assert exercise.contract.init == {"hidden": 8} and exercise.contract.signature == "Net(hidden=8)(...)"
    with pytest.raises(ExerciseError, match=r"ex22_net.yaml:\d+: .*init holds keyword arguments with plain values"):
        parse_exercise(write(tmp_path, "ex22_net.yaml", NET_YAML.replace("{hidden: 8}", "{hidden: {a: 1}}")))
