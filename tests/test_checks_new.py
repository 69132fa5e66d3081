"""The check kinds gradcheck, hooks, finite and flag: measured in the child, judged in the parent, not forgeable by
patching torch from the submission."""

from __future__ import annotations

import nbformat
import pytest
import torch
from conftest import CONFIG, SPAWNER
from nbformat.v4 import new_code_cell, new_notebook
from test_contracts import CORRECT_EXP, EXP_YAML, NET_YAML, NO_EXP_IN_BACKWARD, by_name, grade, write

from grader.compare import judge
from grader.config import load_settings
from grader.errors import ExerciseError
from grader.exercise import Check, parse_exercise
from grader.grade import grade_submission
from grader.measured import judge_finite
from grader.oracle import build_oracle
from grader.sandbox.protocol import Malformed, check_message
from grader.source import read_submission

HOOK_YAML = """\
schema: 2
id: ex23
title: "A gradient hook, removed after use"
points: 10
prompt: Double x's gradient with a hook during one backward pass, then remove the hook.
contract:
  function: doubled_grad
  signature: "doubled_grad(x, model)"
  returns: [y]
dims:
  n: [2, 5]
inputs:
  x: {tensor: [n], requires_grad: true}
  model: {fixture: small_convnet}
trials:
  public: [0, 1]
reference: |
  def doubled_grad(x, model):
      handle = x.register_hook(lambda g: 2 * g)
      y = (x ** 2).sum()
      y.backward()
      handle.remove()
      features = []
      forward = model.register_forward_hook(lambda m, i, o: features.append(o))
      model(torch.zeros(1, 3, 8, 8))
      forward.remove()
      return y
checks:
  - {name: x.grad, kind: grad, target: x, points: 4}
  - {name: x hooks, kind: hooks, target: x, expect: 0, points: 2}
  - {name: model hooks, kind: hooks, target: model, points: 2}
  - {name: x requires grad, kind: flag, target: x.requires_grad, points: 2}
"""

HOOK_REMOVED = """\
import torch


def doubled_grad(x, model):
    handle = x.register_hook(lambda g: 2 * g)
    y = (x ** 2).sum()
    y.backward()
    handle.remove()
    features = []
    forward = model.register_forward_hook(lambda m, i, o: features.append(o))
    model(torch.zeros(1, 3, 8, 8))
    forward.remove()
    return y
"""

HOOK_LEFT = HOOK_REMOVED.replace("    handle.remove()\n", "")
FORWARD_HOOK_LEFT = HOOK_REMOVED.replace("    forward.remove()\n", "")

# The hook is left, and the submission hides it behind torch.Tensor's own attribute: the grader reads TensorBase's.
HOOK_LEFT_HIDDEN = HOOK_LEFT.replace("import torch\n", "import torch\n\ntorch.Tensor._backward_hooks = property("
                                     "lambda self: None)\ntorch.nn.Module._forward_hooks = {}\n")

ENTROPY_YAML = """\
schema: 2
id: ex24
title: "Negative entropy, with zeros"
points: 4
prompt: Compute sum(p * log p), taking 0 log 0 as 0.
contract:
  function: neg_entropy
  signature: "neg_entropy(p)"
  returns: [y]
inputs:
  p: {tensor: [6], dist: bernoulli, p: 0.5}
trials:
  public: [0, 1]
reference: |
  def neg_entropy(p):
      return torch.special.xlogy(p, p).sum()
checks:
  - {name: y is finite, kind: finite, target: y, points: 2}
  - {name: y, kind: value, target: y, points: 2}
"""

NAIVE_ENTROPY = """\
import torch


def neg_entropy(p):
    return (p * torch.log(p)).sum()
"""

# Wrong backward (no exp); torch's gradcheck patched every way the child can undo or notice.
PATCHED_AT_IMPORT = NO_EXP_IN_BACKWARD.replace("import torch\n", """\
import sys
import torch

_module = sys.modules["torch.autograd.gradcheck"]
torch.autograd.gradcheck = lambda *args, **kwargs: True
_module.gradcheck = lambda *args, **kwargs: True
_module._gradcheck_helper = lambda *args, **kwargs: True
_module._allclose_with_type_promotion.__code__ = (lambda a, b, rtol, atol: True).__code__
""")
PATCHED_IN_BACKWARD = NO_EXP_IN_BACKWARD.replace("        return grad_output\n", """\
        import sys
        torch.allclose = lambda *args, **kwargs: True
        sys.modules["torch.autograd.gradcheck"]._allclose_with_type_promotion = lambda *args, **kwargs: True
        return grad_output
""")


def test_a_hook_left_registered_fails_with_hooks_and_a_removed_one_passes(tmp_path):
    passed = grade(tmp_path, HOOK_YAML, HOOK_REMOVED, name="ex23_hook.yaml")
    assert passed.score == 10, [(c.name, c.message) for c in passed.checks]
    left = by_name(grade(tmp_path, HOOK_YAML, HOOK_LEFT, name="ex23_hook.yaml"))
    assert left["x.grad"].passed and left["model hooks"].passed
    assert not left["x hooks"].passed and left["x hooks"].diagnosis == "hooks"
    assert "1 hook(s) still registered" in left["x hooks"].message and "handle.remove()" in left["x hooks"].message


def test_a_forward_hook_left_on_a_module_is_counted_against_the_references(tmp_path):
    checks = by_name(grade(tmp_path, HOOK_YAML, FORWARD_HOOK_LEFT, name="ex23_hook.yaml"))
    assert checks["x hooks"].passed
    assert not checks["model hooks"].passed and checks["model hooks"].diagnosis == "hooks"


def test_patching_tensor_hook_attributes_hides_no_hook(tmp_path):
    checks = by_name(grade(tmp_path, HOOK_YAML, HOOK_LEFT_HIDDEN, name="ex23_hook.yaml"))
    assert not checks["x hooks"].passed and checks["x hooks"].diagnosis == "hooks"


def test_log_of_zero_fails_finite_with_nonfinite(tmp_path):
    checks = by_name(grade(tmp_path, ENTROPY_YAML, NAIVE_ENTROPY, name="ex24_entropy.yaml"))
    finite = checks["y is finite"]
    assert not finite.passed and finite.diagnosis == "nonfinite"
    assert "1 NaN of 1 entry" in finite.message and "log_softmax" in finite.message


@pytest.mark.parametrize("code", [PATCHED_AT_IMPORT, PATCHED_IN_BACKWARD], ids=["at-import", "in-backward"])
def test_patching_torchs_gradcheck_never_passes_gradcheck(tmp_path, code):
    checks = by_name(grade(tmp_path, EXP_YAML, code, name="ex21_exp.yaml"))
    assert not checks["gradcheck"].passed and checks["gradcheck"].diagnosis == "gradcheck"


def test_an_honest_run_is_not_taken_for_a_patched_one(tmp_path):
    """The child's check that nothing was patched during gradcheck does not fire on plain code."""
    checks = by_name(grade(tmp_path, EXP_YAML, CORRECT_EXP, name="ex21_exp.yaml"))
    assert checks["gradcheck"].passed, checks["gradcheck"].message


def _flag_check(**options) -> Check:
    return Check(name="training", kind="flag", points=1, target="instance.training", **options)


def test_a_flag_that_is_no_bool_is_reported_by_its_type(tmp_path):
    exercise = parse_exercise(write(tmp_path, "ex22_net.yaml", NET_YAML))
    want = {"measures": {"training": {"t": "flag", "value": True}}}
    got = {"measures": {"training": {"t": "flag", "value": None, "cls": "str"}}}
    finding = judge(_flag_check(), exercise, want, got, before={}, autograd_calls=0, rtol=1e-4, atol=1e-6)
    assert finding is not None and finding.code == "value" and "is a str, not True or False" in finding.message
    finding = judge(_flag_check(diagnosis="frozen"), exercise, want, {"measures": {"training": {
        "t": "flag", "value": False}}}, before={}, autograd_calls=0, rtol=1e-4, atol=1e-6)
    assert finding is not None and finding.code == "frozen"


def test_finite_reads_a_gradient_path():
    check = Check(name="x.grad finite", kind="finite", points=1, target="x.grad")
    finding = judge_finite(check, torch.tensor([[0.0, float("inf")], [float("nan"), 1.0]], dtype=torch.float64))
    assert finding is not None and finding.code == "nonfinite"
    assert "1 NaN and 1 infinite of 4 entries (the first at [0, 1]: inf)" in finding.message
    assert judge_finite(check, torch.zeros(3, dtype=torch.float64)) is None


@pytest.mark.parametrize("measure, ok", [
    ({"t": "gradcheck", "ok": True, "message": ""}, True),
    ({"t": "hooks", "count": 2}, True),
    ({"t": "flag", "value": False}, True),
    ({"t": "flag", "value": None, "cls": "int"}, True),
    ({"t": "gradcheck", "ok": "yes", "message": ""}, False),
    ({"t": "hooks", "count": -1}, False),
    ({"t": "hooks", "count": 2**40}, False),
    ({"t": "flag", "value": 1}, False),
    ({"t": "flag", "value": None}, False),
    ({"t": "tensor", "ref": 0, "cls": "Tensor"}, False),
])
def test_the_parent_accepts_only_the_shapes_of_measurements(measure, ok):
    message = {"kind": "trial", "index": 0, "seconds": 0.1, "autograd_calls": 0,
               "values": {"returns": {}, "args": {}, "probes": {}, "measures": {"m": measure}}}
    if ok:
        check_message(message, 0)
    else:
        with pytest.raises(Malformed):
            check_message(message, 0)


NOTEBOOK_YAML = """\
schema: 2
id: ex25
title: "A hook in a notebook"
points: 4
prompt: Double x's gradient with a hook, then remove it.
contract:
  function: doubled_grad
  signature: "doubled_grad(x)"
  returns: [y]
inputs:
  x: {tensor: [3], requires_grad: true}
trials:
  public: [0, 1]
reference: |
  def doubled_grad(x):
      handle = x.register_hook(lambda g: 2 * g)
      y = (x ** 2).sum()
      y.backward()
      handle.remove()
      return y
checks:
  - {name: x.grad, kind: grad, target: x, points: 2}
  - {name: x hooks, kind: hooks, target: x, expect: 0, points: 1}
  - {name: x requires grad, kind: flag, target: x.requires_grad, expect: true, points: 1}
notebook:
  args: {x: x}
  returns: {y: y}
"""


@pytest.mark.parametrize("removed, score", [(True, 4), (False, 3)])
def test_hooks_and_flags_are_measured_on_a_free_form_notebooks_variables(tmp_path, removed, score):
    cells = ["import torch\nx = torch.randn(3, requires_grad=True)",
             "h = x.register_hook(lambda g: 2 * g)\ny = (x ** 2).sum()\ny.backward()"]
    path = tmp_path / "hw.ipynb"
    path.write_text(nbformat.writes(new_notebook(cells=[new_code_cell(c) for c in cells + ["h.remove()"] * removed])),
                    encoding="utf-8")
    exercise = parse_exercise(write(tmp_path, "ex25_nb.yaml", NOTEBOOK_YAML))
    result = grade_submission(exercise, read_submission(path), load_settings(CONFIG).with_overrides(timeout_s=10.0),
                              spawner=SPAWNER, seeds=(4242,), oracle=build_oracle(exercise))
    assert result.score == score, [(c.name, c.message) for c in result.checks]
    assert by_name(result)["x hooks"].passed is removed


def test_gradcheck_is_refused_for_a_free_form_notebook(tmp_path):
    text = NOTEBOOK_YAML.replace("checks:\n", "checks:\n  - {name: gc, kind: gradcheck, points: 1}\n").replace(
        "points: 4", "points: 5")
    with pytest.raises(ExerciseError, match="no function to run gradcheck on"):
        parse_exercise(write(tmp_path, "ex25_nb.yaml", text))


FUNCTION_YAML = """\
schema: 2
id: ex26
title: "gradcheck of a function and of a returned callable"
points: 2
prompt: Return softplus(x) and the function that computes it.
contract:
  function: softplus
  signature: "softplus(x, w) -> (y, f)"
  returns: [y, f]
inputs:
  x: {tensor: [3], requires_grad: true}
  w: {tensor: [2, 3], dtype: int64, dist: randint, low: 0, high: 3}
trials:
  public: [0]
reference: |
  def softplus(x, w):
      return torch.nn.functional.softplus(x), lambda x, w: torch.nn.functional.softplus(x)
checks:
  - {name: gradcheck, kind: gradcheck, points: 1}
  - {name: f gradcheck, kind: gradcheck, target: f, points: 1}
"""

BAD_CALLABLE = """\
import torch


class Softplus(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.nn.functional.softplus(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(-x)  # the sign of x flipped


def softplus(x, w):
    return torch.nn.functional.softplus(x), lambda x, w: Softplus.apply(x)
"""


def test_gradcheck_of_a_function_contract_and_of_a_returned_callable(tmp_path):
    checks = by_name(grade(tmp_path, FUNCTION_YAML, BAD_CALLABLE, name="ex26_softplus.yaml"))
    assert checks["gradcheck"].passed  # the function itself is torch's softplus: its backward is right
    failed = checks["f gradcheck"]
    assert not failed.passed and failed.diagnosis == "gradcheck"
    assert failed.message.startswith("f: gradcheck failed with respect to x")
