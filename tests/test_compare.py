"""grader.compare: judge one check on real observations (as the child and the oracle make them)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from torch import nn

from grader.compare import MISSING, as_tensor, judge, match_mistake, resolve
from grader.diagnose import Finding
from grader.exercise import Check, Exercise, parse_exercise
from grader.inputs import Trial, build_inputs
from grader.sandbox.observe import Encoder, measure
from grader.oracle import build_oracle, expect

EX03 = Path(__file__).resolve().parent.parent / "exercises" / "ex03_q_gradients.yaml"
TOL = dict(rtol=1e-4, atol=1e-6)
BUDGET = 100_000

MODEL_EXERCISE = """\
schema: 1
id: ex09
title: Fine-tune a head
points: 1
prompt: Replace the head and train it.
contract:
  function: finetune
  signature: "finetune(w, model, k)"
  returns: [out, opt, hs]
inputs:
  w: {tensor: [3], requires_grad: true}
  model: {fixture: small_convnet}
  k: {int: [1, 3]}
trials:
  public: [0]
reference: |
  def finetune(w, model, k):
      return w, None, []
checks:
  - {name: out, kind: value, target: out, points: 1}
"""


@pytest.fixture(scope="module")
def ex03() -> Exercise:
    return parse_exercise(EX03)


@pytest.fixture(scope="module")
def model_ex(tmp_path_factory) -> Exercise:
    path = tmp_path_factory.mktemp("ex") / "ex09_finetune.yaml"
    path.write_text(MODEL_EXERCISE, encoding="utf-8")
    return parse_exercise(path)


def observe(returned, args: dict | None = None, names: tuple[str, ...] = ("Q",), *, budget: int = BUDGET) -> dict:
    """What the child (and the oracle) send back for one trial."""
    return measure(returned, args or {}, names=names, function="f", probes={}, seed=0, max_elements=budget)


def encode_before(args: dict) -> dict:
    return {name: Encoder(max_elements=BUDGET).encode(value) for name, value in args.items()}


def run(check: Check, exercise: Exercise, expected: dict, actual: dict, *, before: dict | None = None,
        autograd_calls: int = 0, **tol):
    return judge(check, exercise, expected, actual, before=before or {}, autograd_calls=autograd_calls,
                 **{**TOL, **tol})


def vec(*values: float, grad: bool = False) -> torch.Tensor:
    return torch.tensor(values, requires_grad=grad)


# --- resolve -------------------------------------------------------------------------------------------------------

class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.fc = nn.Linear(4, 2)


def test_resolve_names_args_modules_lists_and_dicts():
    torch.manual_seed(0)
    x = vec(1.0, 2.0, grad=True)
    (x * 3).sum().backward()
    net = Net()
    values = observe((x * 2, [vec(1.0), vec(2.0), vec(3.0)], {"loss": 0.5}), {"x": x, "model": net},
                     names=("y", "hs", "d"))
    assert resolve(values, "y")["data"] == [2.0, 4.0]
    assert resolve(values, "args.x")["data"] == [1.0, 2.0]
    assert resolve(values, "x") is resolve(values, "args.x")
    assert resolve(values, "args.x.grad")["data"] == [3.0, 3.0]
    assert resolve(values, "x.grad")["data"] == [3.0, 3.0]
    assert resolve(values, "hs.1")["data"] == [2.0]
    assert resolve(values, "d.loss") == 0.5

    fc = resolve(values, "model.fc")
    assert fc["t"] == "module" and fc["cls"] == "Linear"
    assert set(fc["params"]) == {"weight", "bias"}
    assert fc["params"]["weight"]["shape"] == [2, 4]
    body = resolve(values, "args.model.body")
    assert body["cls"] == "Linear" and body["params"]["bias"]["shape"] == [4]
    weight = resolve(values, "model.fc.weight")
    assert weight["t"] == "tensor" and weight["param"] is True and weight["shape"] == [2, 4]
    assert weight["data"] == net.fc.weight.detach().reshape(-1).tolist()


def test_resolve_nested_module_paths():
    values = observe(None, {"model": nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))},
                     names=("out",))
    inner = resolve(values, "model.1")
    assert inner["cls"] == "Sequential" and set(inner["params"]) == {"1.weight", "1.bias"}
    assert inner["modules"] == {"": "Sequential", "0": "ReLU", "1": "Linear"}
    assert resolve(values, "model.1.1.bias")["shape"] == [1]
    assert resolve(values, "model.1.0")["params"] == {}


@pytest.mark.parametrize("path", ["nothing", "args.nothing", "hs.3", "hs.x", "hs.-1", "y.0", "model.head",
                                  "model.fc.weight.grad", "d.other", "y.grad.data"])
def test_resolve_missing_names(path):
    values = observe((vec(1.0), [vec(1.0)], {"loss": 1.0}), {"model": Net()}, names=("y", "hs", "d"))
    assert resolve(values, path) == MISSING


def test_resolve_grad_that_is_none():
    values = observe(vec(1.0, grad=True), names=("y",))
    assert resolve(values, "y.grad") is None


def test_resolve_prefers_returns_over_args():
    values = observe(vec(5.0), {"w": vec(1.0)}, names=("w",))
    assert resolve(values, "w")["data"] == [5.0]
    assert resolve(values, "args.w")["data"] == [1.0]


# --- as_tensor -----------------------------------------------------------------------------------------------------

class MyTensor(torch.Tensor):
    pass


def test_as_tensor_numbers_lists_and_tensors():
    enc = Encoder(max_elements=BUDGET)
    assert as_tensor(3).dtype == torch.float64 and float(as_tensor(3)) == 3.0
    assert float(as_tensor(True)) == 1.0
    got = as_tensor(enc.encode(torch.arange(6).reshape(2, 3)))
    assert got.dtype == torch.float64 and got.shape == (2, 3) and got[1, 2] == 5
    stacked = as_tensor(enc.encode([vec(1.0, 2.0), vec(3.0, 4.0)]))
    assert stacked.shape == (2, 2) and stacked.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert as_tensor(enc.encode((1.5, 2.5))).tolist() == [1.5, 2.5]
    assert torch.isnan(as_tensor(enc.encode(float("nan"))))
    assert as_tensor(enc.encode(float("-inf"))) == float("-inf")
    assert as_tensor(enc.encode(torch.zeros(0, 3))).shape == (0, 3)


def test_as_tensor_explains_what_is_not_a_tensor():
    enc = Encoder(max_elements=BUDGET)
    assert as_tensor(None) == "nothing (None)"
    assert as_tensor(enc.encode("text")) == "a str"
    assert as_tensor(enc.encode([vec(1.0), vec(1.0, 2.0)])) == "a list"
    assert as_tensor(enc.encode([])) == "a list"
    assert as_tensor(enc.encode(Net())) == "a Net"
    assert as_tensor({"t": "missing", "why": "f returned a list of 3"}) == "f returned a list of 3"


def test_as_tensor_on_a_tensor_subclass():
    node = Encoder(max_elements=BUDGET).encode(torch.ones(2).as_subclass(MyTensor))
    assert node["subclass"] is True and "data" not in node
    assert as_tensor(node) == "a tensor subclass 'MyTensor' (return a plain torch.Tensor)"


def test_as_tensor_on_an_oversized_tensor():
    node = Encoder(max_elements=10).encode(torch.ones(11))
    assert node["data"] is None and node["numel"] == 11
    assert as_tensor(node) == "a tensor too large to compare (11 elements)"


def test_as_tensor_on_a_small_complex_tensor_does_not_call_it_too_large():
    # BUG: data is None for any dtype outside PLAIN_DTYPES, and as_tensor then says "too large" for a
    # 2-element complex tensor
    result = as_tensor(Encoder(max_elements=BUDGET).encode(torch.ones(2, dtype=torch.complex64)))
    assert isinstance(result, str)
    assert "too large" not in result


# --- value ---------------------------------------------------------------------------------------------------------

def test_value_passes_and_fails_with_a_diagnosis(ex03):
    check = Check(name="Q", kind="value", points=4, target="Q")
    expected = observe(vec(1.0, -2.0, 3.0))
    assert run(check, ex03, expected, observe(vec(1.0, -2.0, 3.0))) is None
    finding = run(check, ex03, expected, observe(vec(-1.0, 2.0, -3.0)))
    assert finding.code == "sign"
    assert finding.message.startswith("Q: got [-1, 2, -3] (shape (3,)), expected [1, -2, 3] (shape (3,))")
    assert run(check, ex03, expected, observe(vec(2.0, -4.0, 6.0))).code == "scaled"


def test_value_uses_the_tolerance_given(ex03):
    check = Check(name="Q", kind="value", points=4, target="Q")
    expected, actual = observe(vec(1.0, 2.0)), observe(vec(1.01, 2.02))
    assert run(check, ex03, expected, actual) is not None
    assert run(check, ex03, expected, actual, rtol=0.05) is None


def test_value_missing_or_wrong_type(ex03):
    check = Check(name="Q", kind="value", points=4, target="Q")
    expected = observe(vec(1.0, 2.0))
    finding = run(check, ex03, expected, observe(None))
    assert finding.code == "type"
    assert finding.message == ("Q: got None, expected a tensor: q_backward() gave None for it; end it with return Q "
                               "(a function that never reaches a return statement returns None).")
    finding = run(check, ex03, expected, observe(torch.ones(2).as_subclass(MyTensor)))
    assert finding.code == "type"
    assert finding.message == ("Q: got a tensor subclass 'MyTensor', expected a tensor: return a plain torch.Tensor, "
                               "not a subclass of it.")
    wrong_arity = measure((vec(1.0), vec(2.0)), {}, names=("Q", "R", "S"), function="f", probes={}, seed=0,
                          max_elements=BUDGET)
    finding = run(check, ex03, expected, wrong_arity)
    assert "f returned a tuple of 2; expected a tuple of 3: (Q, R, S)" in finding.message


def test_value_expected_nothing_but_got_a_tensor(ex03):
    check = Check(name="Q", kind="value", points=4, target="Q")
    finding = run(check, ex03, observe(None), observe(vec(1.0)))
    assert finding.code == "value"
    assert finding.message == "Q: expected nothing (None), got [1] (shape (1,))."


def test_value_shape_and_summed(ex03):
    check = Check(name="Q", kind="value", points=4, target="Q")
    expected = observe(vec(1.0, 2.0, 3.0))
    assert run(check, ex03, expected, observe(torch.tensor(6.0))).code == "summed"
    assert run(check, ex03, expected, observe(vec(1.0, 2.0))).code == "shape"


def test_value_on_an_in_place_update_that_never_happened(ex03):
    # target args.a: the student rebound a name instead of updating the caller's tensor
    check = Check(name="a", kind="value", points=1, target="args.a")
    a0 = vec(1.0, 2.0, grad=True)
    before = encode_before({"a": a0, "b": vec(0.0)})
    expected = observe(None, {"a": vec(0.9, 1.8)})
    finding = run(check, ex03, expected, observe(None, {"a": a0}), before=before)
    assert finding.code == "unchanged"
    assert "a still holds the values it was given" in finding.message


def test_value_check_fails_when_the_expected_tensor_is_too_large_to_compare(ex03):
    # BUG: when the reference's tensor is over the element budget, as_tensor gives a string for it, and
    # _values passes any answer that is not a comparable tensor: a wrong (also too large) tensor or a string
    check = Check(name="Q", kind="value", points=4, target="Q")
    expected = observe(torch.ones(50), budget=10)
    assert run(check, ex03, expected, observe(torch.zeros(50), budget=10)) is not None
    assert run(check, ex03, expected, observe("oops", budget=10)) is not None


# --- grad ----------------------------------------------------------------------------------------------------------

def backward_q(a: torch.Tensor, b: torch.Tensor, times: int = 1) -> torch.Tensor:
    for _ in range(times):
        q = 3 * a**3 - b**2
        q.sum().backward()
    return q


def test_grad_passes_accumulates_and_names_k(ex03):
    check = Check(name="a.grad", kind="grad", points=3, target="a")
    a, b = vec(1.0, -1.0, 2.0, grad=True), vec(0.5, 1.0, -1.0, grad=True)
    expected = observe(backward_q(a, b), {"a": a, "b": b})
    a2, b2 = vec(1.0, -1.0, 2.0, grad=True), vec(0.5, 1.0, -1.0, grad=True)
    assert run(check, ex03, expected, observe(backward_q(a2, b2), {"a": a2, "b": b2})) is None
    a3, b3 = vec(1.0, -1.0, 2.0, grad=True), vec(0.5, 1.0, -1.0, grad=True)
    finding = run(check, ex03, expected, observe(backward_q(a3, b3, times=3), {"a": a3, "b": b3}))
    assert finding.code == "accumulated"
    assert finding.message.startswith("a.grad: got [27, 27, 108] (shape (3,)), expected [9, 9, 36] (shape (3,))")
    assert "Exactly 3x" in finding.message


def test_grad_missing_because_the_input_does_not_require_grad(ex03):
    check = Check(name="a.grad", kind="grad", points=3, target="a")
    a, b = vec(1.0, 2.0, grad=True), vec(1.0, 1.0, grad=True)
    expected = observe(backward_q(a, b), {"a": a, "b": b})
    a2, b2 = vec(1.0, 2.0), vec(1.0, 1.0, grad=True)
    actual = observe(backward_q(a2, b2), {"a": a2, "b": b2})
    finding = run(check, ex03, expected, actual)
    assert finding.code == "missing_grad"
    assert finding.message.startswith("a.grad is None, but a gradient was expected.")
    assert "a does not require grad" in finding.message


def test_grad_missing_because_backward_never_ran(ex03):
    check = Check(name="b.grad", kind="grad", points=3, target="b")
    a, b = vec(1.0, 2.0, grad=True), vec(1.0, 1.0, grad=True)
    expected = observe(backward_q(a, b), {"a": a, "b": b})
    a2, b2 = vec(1.0, 2.0, grad=True), vec(1.0, 1.0, grad=True)
    finding = run(check, ex03, expected, observe(3 * a2**3 - b2**2, {"a": a2, "b": b2}))
    assert finding.code == "missing_grad"
    assert "backward() never reached b" in finding.message


def test_grad_present_where_none_was_expected(ex03):
    check = Check(name="b.grad", kind="grad", points=3, target="b")
    a, b = vec(1.0, 2.0, grad=True), vec(1.0, 1.0)            # the reference: b must not require grad
    expected = observe(backward_q(a, b), {"a": a, "b": b})
    assert resolve(expected, "b")["grad"] is None
    a2, b2 = vec(1.0, 2.0, grad=True), vec(1.0, 1.0, grad=True)
    finding = run(check, ex03, expected, observe(backward_q(a2, b2), {"a": a2, "b": b2}))
    assert finding.code == "requires_grad"
    assert finding.message == ("b.grad: expected nothing (None), got [-2, -2] (shape (2,)).\n"
                               "b should not get a gradient: it must not require grad.")


def test_grad_of_something_that_is_not_a_tensor(ex03):
    check = Check(name="Q.grad", kind="grad", points=3, target="Q")
    finding = run(check, ex03, observe(vec(1.0, grad=True)), observe(3.5))
    assert finding.code == "type"
    assert finding.message.startswith("Q: got a Python float, expected a tensor: return the tensor Q itself, not "
                                      "Q.item() or float(Q)")


def test_grad_that_happens_to_equal_the_input_is_not_called_unchanged(ex03):
    # BUG: _values passes the input's *values* as `original` for grad checks too (name = check.target), so a
    # gradient equal to the input's values (here Q = 3a^3 + b^2/2, so b.grad == b) is diagnosed "unchanged"
    # ("never updated in place") instead of "scaled" (-0.5x). Seen end to end with `grade ex03`.
    check = Check(name="b.grad", kind="grad", points=3, target="b")
    a, b = vec(1.0, 2.0, grad=True), vec(0.5, -1.5, grad=True)
    before = encode_before({"a": a, "b": b})
    expected = observe(backward_q(a, b), {"a": a, "b": b})
    a2, b2 = vec(1.0, 2.0, grad=True), vec(0.5, -1.5, grad=True)
    (3 * a2**3 + b2**2 / 2).sum().backward()
    finding = run(check, ex03, expected, observe(None, {"a": a2, "b": b2}), before=before)
    assert finding.code == "scaled"


# --- shape, requires_grad, is_leaf, grad_fn ------------------------------------------------------------------------

def test_shape(model_ex):
    check = Check(name="out", kind="shape", points=1, target="out")
    expected = observe(torch.zeros(2, 3), names=("out",))
    assert run(check, model_ex, expected, observe(torch.ones(2, 3), names=("out",))) is None
    finding = run(check, model_ex, expected, observe(torch.ones(3, 2), names=("out",)))
    assert finding.code == "shape"
    assert finding.message.startswith("out: got shape (3, 2), expected (2, 3).")
    assert run(check, model_ex, expected, observe([1, 2], names=("out",))).code == "type"


def test_shape_of_a_module_parameter(model_ex):
    check = Check(name="fc", kind="shape", points=1, target="model.fc.weight")
    net = Net()
    expected = observe(None, {"model": net}, names=("out",))
    student = Net()
    student.fc = nn.Linear(4, 5)
    finding = run(check, model_ex, expected, observe(None, {"model": student}, names=("out",)))
    assert finding.code == "shape"
    assert finding.message.startswith("model.fc.weight: got shape (5, 4), expected (2, 4).")


def test_requires_grad_against_the_reference(model_ex):
    check = Check(name="out", kind="requires_grad", points=1, target="out")
    expected = observe(vec(1.0, grad=True), names=("out",))
    assert run(check, model_ex, expected, observe(vec(2.0, grad=True), names=("out",))) is None
    finding = run(check, model_ex, expected, observe(vec(1.0), names=("out",)))
    assert finding.code == "requires_grad"
    assert finding.message.startswith("out.requires_grad: got False, expected True.\nout must track gradients")


def test_requires_grad_against_the_checks_expect(model_ex):
    check = Check(name="out", kind="requires_grad", points=1, target="out", expect=False)
    expected = observe(vec(1.0, grad=True), names=("out",))     # expect overrides the reference
    x = vec(1.0, grad=True)
    finding = run(check, model_ex, expected, observe(x * 2, names=("out",)))
    assert finding.code == "requires_grad"
    assert finding.message.startswith("out.requires_grad: got True, expected False.\nout must not track gradients")
    with torch.no_grad():
        assert run(check, model_ex, expected, observe(x * 2, names=("out",))) is None


def test_is_leaf_gives_not_leaf(model_ex):
    check = Check(name="out", kind="is_leaf", points=1, target="out")
    expected = observe(vec(1.0, grad=True), names=("out",))
    finding = run(check, model_ex, expected, observe(vec(1.0, grad=True) * 1, names=("out",)))
    assert finding.code == "not_leaf"
    assert finding.message.startswith("out.is_leaf: got False, expected True.\nout must be a leaf")
    assert run(check, model_ex, expected, observe(vec(3.0, grad=True), names=("out",))) is None


def test_grad_fn(model_ex):
    check = Check(name="out", kind="grad_fn", points=1, target="out")
    x = vec(1.0, 2.0, grad=True)
    expected = observe(x * 2, names=("out",))
    assert resolve(expected, "out")["grad_fn"] == "MulBackward0"
    assert run(check, model_ex, expected, observe(x * 3, names=("out",))) is None
    finding = run(check, model_ex, expected, observe(x + x, names=("out",)))
    assert finding.code == "grad_fn"
    assert finding.message.startswith("out.grad_fn: got AddBackward0, expected MulBackward0.")
    finding = run(check, model_ex, expected, observe(x.detach(), names=("out",)))
    assert finding.message.startswith("out.grad_fn: got None, expected MulBackward0.")


def test_flag_on_something_that_is_not_a_tensor(model_ex):
    check = Check(name="out", kind="requires_grad", points=1, target="out")
    finding = run(check, model_ex, observe(vec(1.0, grad=True), names=("out",)), observe("x", names=("out",)))
    assert finding.code == "type"
    assert finding.message.startswith("out: got a string, expected a tensor: return a tensor there, as the exercise's "
                                      "signature says: finetune(w, model, k)")


# --- trainable -----------------------------------------------------------------------------------------------------

def frozen_except_fc() -> Net:
    net = Net()
    for p in net.parameters():
        p.requires_grad_(False)
    net.fc = nn.Linear(4, 2)
    return net


def test_trainable_passes_when_the_same_parameters_train(model_ex):
    check = Check(name="model", kind="trainable", points=1, target="model")
    expected = observe(None, {"model": frozen_except_fc()}, names=("out",))
    assert run(check, model_ex, expected, observe(None, {"model": frozen_except_fc()}, names=("out",))) is None


def test_trainable_nothing_frozen(model_ex):
    check = Check(name="model", kind="trainable", points=1, target="model")
    expected = observe(None, {"model": frozen_except_fc()}, names=("out",))
    finding = run(check, model_ex, expected, observe(None, {"model": Net()}, names=("out",)))
    assert finding.code == "frozen"
    assert finding.message.startswith("model: trainable but should be frozen: bn.bias, bn.weight, body.bias, "
                                      "body.weight.\n")
    assert "requires_grad_(False)" in finding.message


def test_trainable_everything_frozen(model_ex):
    check = Check(name="model", kind="trainable", points=1, target="model")
    expected = observe(None, {"model": frozen_except_fc()}, names=("out",))
    student = Net()
    student.requires_grad_(False)
    finding = run(check, model_ex, expected, observe(None, {"model": student}, names=("out",)))
    assert finding.code == "frozen"
    assert finding.message.startswith("model: frozen but should train: fc.bias, fc.weight.")


def test_trainable_with_exclude(model_ex):
    check = Check(name="model", kind="trainable", points=1, target="model", exclude=("bn",))
    expected = observe(None, {"model": frozen_except_fc()}, names=("out",))
    student = frozen_except_fc()
    student.bn.requires_grad_(True)                        # excluded: may train or not
    assert run(check, model_ex, expected, observe(None, {"model": student}, names=("out",))) is None
    finding = run(check, model_ex, expected, observe(None, {"model": Net()}, names=("out",)))
    assert finding.code == "frozen"
    assert finding.message.startswith("model: trainable but should be frozen: body.bias, body.weight.")


def test_trainable_of_a_submodule(model_ex):
    check = Check(name="fc", kind="trainable", points=1, target="model.fc")
    expected = observe(None, {"model": frozen_except_fc()}, names=("out",))
    student = Net()
    student.fc.requires_grad_(False)
    finding = run(check, model_ex, expected, observe(None, {"model": student}, names=("out",)))
    assert finding.message.startswith("model.fc: frozen but should train: bias, weight.")


def test_trainable_lists_at_most_six_names(model_ex):
    check = Check(name="model", kind="trainable", points=1, target="model")
    expected = observe(None, {"model": nn.Sequential(*[nn.Linear(1, 1) for _ in range(5)]).requires_grad_(False)},
                       names=("out",))
    finding = run(check, model_ex, expected,
                  observe(None, {"model": nn.Sequential(*[nn.Linear(1, 1) for _ in range(5)])}, names=("out",)))
    assert "trainable but should be frozen: 0.bias, 0.weight, 1.bias, 1.weight, 2.bias, 2.weight and 4 more." \
        in finding.message


def test_trainable_of_something_that_is_not_a_module(model_ex):
    check = Check(name="model", kind="trainable", points=1, target="out")
    expected = observe(Net(), names=("out",))
    finding = run(check, model_ex, expected, observe(vec(1.0), names=("out",)))
    assert finding.code == "type"
    assert finding.message == "out: got a tensor, expected an nn.Module (Net): return the model (the nn.Module) itself."


# --- optimizer -----------------------------------------------------------------------------------------------------

def optimizer_run(make) -> dict:
    """make(net) -> optimizer, called the way a student would: on the model it was given."""
    net = Net()
    return observe((None, make(net)), {"model": net}, names=("out", "opt"))


def new_head_then_opt(net: Net) -> torch.optim.Optimizer:
    for p in net.parameters():
        p.requires_grad_(False)
    net.fc = nn.Linear(4, 2)
    return torch.optim.SGD(net.fc.parameters(), lr=0.1)


def test_optimizer_over_the_same_parameters_passes(model_ex):
    check = Check(name="opt", kind="optimizer", points=1, target="opt", module="model")
    expected = optimizer_run(new_head_then_opt)
    assert run(check, model_ex, expected, optimizer_run(new_head_then_opt)) is None



def test_optimizer_of_another_class_or_settings_fails(model_ex):
    check = Check(name="opt", kind="optimizer", points=1, target="opt", module="model")
    expected = optimizer_run(new_head_then_opt)
    adam = optimizer_run(lambda net: torch.optim.Adam(new_head_then_opt(net).param_groups[0]["params"]))
    finding = run(check, model_ex, expected, adam)
    assert finding.code == "value"
    assert finding.message.startswith("opt: got a Adam optimizer, expected SGD.")
    slow = optimizer_run(lambda net: torch.optim.SGD(new_head_then_opt(net).param_groups[0]["params"], lr=0.01))
    finding = run(check, model_ex, expected, slow)
    assert finding.code == "value"
    assert finding.message.startswith("opt: lr=0.01 (expected 0.1).")


def model_params_opt(net: Net) -> torch.optim.Optimizer:
    new_head_then_opt(net)
    return torch.optim.SGD(net.parameters(), lr=0.1)


def test_optimizer_with_extra_parameters(model_ex):
    strict = Check(name="opt", kind="optimizer", points=1, target="opt", module="model")
    lenient = dataclasses.replace(strict, allow_extra=True)
    expected = optimizer_run(new_head_then_opt)
    actual = optimizer_run(model_params_opt)
    finding = run(strict, model_ex, expected, actual)
    assert finding.code == "frozen"
    assert finding.message.startswith("opt: it holds bn.bias, bn.weight, body.bias, body.weight as well.\n")
    assert run(lenient, model_ex, expected, actual) is None


def test_optimizer_missing_parameters(model_ex):
    check = Check(name="opt", kind="optimizer", points=1, target="opt", module="model", allow_extra=True)
    expected = optimizer_run(model_params_opt)

    def body_only(net):
        new_head_then_opt(net)
        return torch.optim.SGD(net.body.parameters(), lr=0.1)

    finding = run(check, model_ex, expected, optimizer_run(body_only))
    assert finding.code == "frozen"
    assert finding.message.startswith("opt: it does not hold bn.bias, bn.weight, fc.bias, fc.weight, so those "
                                      "never train.")


@pytest.mark.parametrize("allow_extra", [False, True])
def test_optimizer_created_before_the_head_was_replaced(model_ex, allow_extra):
    check = Check(name="opt", kind="optimizer", points=1, target="opt", module="model", allow_extra=allow_extra)
    expected = optimizer_run(new_head_then_opt)

    def too_early(net):
        opt = torch.optim.SGD(net.fc.parameters(), lr=0.1)
        new_head_then_opt(net)
        return opt

    finding = run(check, model_ex, expected, optimizer_run(too_early))
    assert finding.code == "frozen"
    assert finding.message.startswith("opt: it does not hold fc.bias, fc.weight, so those never train; it holds "
                                      "tensors that are not in the model")


def test_optimizer_stray_tensor_alongside_the_right_ones(model_ex):
    check = Check(name="opt", kind="optimizer", points=1, target="opt", module="model", allow_extra=True)
    expected = optimizer_run(new_head_then_opt)

    def with_stray(net):
        new_head_then_opt(net)
        return torch.optim.SGD([*net.fc.parameters(), torch.zeros(2, requires_grad=True)], lr=0.1)

    finding = run(check, model_ex, expected, optimizer_run(with_stray))
    assert finding.code == "frozen"
    assert finding.message.startswith("opt: it holds tensors that are not in the model")


def test_optimizer_that_is_not_an_optimizer(model_ex):
    check = Check(name="opt", kind="optimizer", points=1, target="opt", module="model")
    expected = optimizer_run(new_head_then_opt)
    finding = run(check, model_ex, expected, optimizer_run(lambda net: list(net.parameters())))
    assert finding.code == "type"
    assert finding.message.startswith("opt: got a list of tensors, expected a torch.optim optimizer (SGD): return the "
                                      "torch.optim optimizer itself")


# --- unmutated -----------------------------------------------------------------------------------------------------

def unmutated_case(model_ex, change):
    check = Check(name="w", kind="unmutated", points=1, target="args.w")
    w = vec(1.0, 2.0, 3.0, grad=True)
    before = encode_before({"w": w})
    expected = observe(None, {"w": vec(1.0, 2.0, 3.0, grad=True)}, names=("out",))
    change(w)
    return run(check, model_ex, expected, observe(None, {"w": w}, names=("out",)), before=before)


def test_unmutated_passes_when_left_alone(model_ex):
    assert unmutated_case(model_ex, lambda w: (w * 2).detach()) is None


def test_unmutated_values_changed(model_ex):
    def bump(w):
        with torch.no_grad():
            w.add_(1.0)

    finding = unmutated_case(model_ex, bump)
    assert finding.code == "mutated_input"
    assert finding.message.startswith("w was changed: its values changed from [1, 2, 3] (shape (3,)) to "
                                      "[2, 3, 4] (shape (3,)).\n")


def test_unmutated_requires_grad_switched_off(model_ex):
    finding = unmutated_case(model_ex, lambda w: w.requires_grad_(False))
    assert finding.code == "mutated_input"
    assert finding.message.startswith("w was changed: requires_grad went from True to False.")


def test_unmutated_grad_filled(model_ex):
    finding = unmutated_case(model_ex, lambda w: (w * w).sum().backward())
    assert finding.code == "mutated_input"
    assert finding.message.startswith("w was changed: .grad was filled in (backward() ran through it).\nLeave the inputs as they came: do not call backward()")


def test_unmutated_lists_every_change(model_ex):
    def everything(w):
        (w * w).sum().backward()
        with torch.no_grad():
            w.mul_(-1)
        w.requires_grad_(False)

    finding = unmutated_case(model_ex, everything)
    assert finding.message.startswith("w was changed: requires_grad went from True to False; .grad was filled in (backward() ran through it); "
                                      "its values changed from [1, 2, 3] (shape (3,)) to [-1, -2, -3] (shape (3,)).")


# --- not_aliased ---------------------------------------------------------------------------------------------------

def test_not_aliased(model_ex):
    check = Check(name="not_aliased", kind="not_aliased", points=1, targets=("g1", "g2"))
    x = vec(1.0, 2.0, grad=True)
    (x * 2).sum().backward()
    same = observe((x.grad, x.grad), names=("g1", "g2"))
    finding = run(check, model_ex, {}, same)
    assert finding.code == "aliased"
    assert finding.message.startswith("g1 and g2 are the same tensor (they share memory)")
    assert "x.grad.clone()" in finding.message
    clones = observe((x.grad.clone(), x.grad.clone()), names=("g1", "g2"))
    assert run(check, model_ex, {}, clones) is None


def test_not_aliased_through_a_list_and_a_grad(model_ex):
    check = Check(name="not_aliased", kind="not_aliased", points=1, targets=("hs.0", "hs.1", "args.x.grad"))
    x = vec(1.0, 2.0, grad=True)
    (x * 2).sum().backward()
    finding = run(check, model_ex, {}, observe([x.grad.clone(), x.grad], {"x": x}, names=("hs",)))
    assert finding.code == "aliased"
    assert finding.message.startswith("hs.1 and args.x.grad are the same tensor")


# --- no_autograd ---------------------------------------------------------------------------------------------------

def test_no_autograd(model_ex):
    check = Check(name="no_autograd", kind="no_autograd", points=1)
    assert run(check, model_ex, {}, {}, autograd_calls=0) is None
    finding = run(check, model_ex, {}, {}, autograd_calls=2)
    assert finding.code == "used_autograd"
    assert finding.message.startswith("The submission ran autograd 2 time(s) (backward() or torch.autograd.grad; "
                                      "wherever it runs, loading the file included, it counts).")
    finding = run(check, model_ex, {}, {}, autograd_calls=-1)
    assert finding.code == "used_autograd"
    assert finding.message.startswith("The submission replaced torch's autograd engine")


# --- equal ---------------------------------------------------------------------------------------------------------

def test_equal_uses_the_declared_diagnosis(model_ex):
    check = Check(name="k", kind="equal", points=1, target="args.k", diagnosis="mutated_input")
    expected = observe(None, {"k": 3}, names=("out",))
    assert run(check, model_ex, expected, observe(None, {"k": 3}, names=("out",))) is None
    finding = run(check, model_ex, expected, observe(None, {"k": 4}, names=("out",)))
    assert finding.code == "mutated_input"
    assert finding.message.startswith("args.k: got 4, expected 3.")


def test_equal_with_the_default_diagnosis(model_ex):
    check = Check(name="out", kind="equal", points=1, target="out")
    finding = run(check, model_ex, observe(vec(1.0, 2.0), names=("out",)), observe(vec(2.0, 4.0), names=("out",)))
    assert finding.code == "value"
    assert "Every element is 2x" in finding.message


# --- match_mistake -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ex03_trial(ex03):
    oracle = build_oracle(ex03)
    return oracle, expect(oracle, Trial(index=0, seed=0, hidden=False), max_elements=BUDGET)


def student_run(ex03, source: str) -> dict:
    namespace: dict = {"torch": torch}
    exec(source, namespace)  # noqa: S102 - test code
    args = build_inputs(ex03, 0)
    torch.manual_seed(1)
    returned = namespace["q_backward"](*args.values())
    return measure(returned, args, names=("Q",), function="q_backward", probes={}, seed=0, max_elements=BUDGET)


PLUS_B = "def q_backward(a, b):\n    Q = 3 * a**3 + b**2\n    Q.sum().backward()\n    return Q\n"
CORRECT = "def q_backward(a, b):\n    Q = 3 * a**3 - b**2\n    Q.sum().backward()\n    return Q\n"


def mistake_for(check, exercise, expectation, actual):
    return match_mistake(check, exercise, expectation.reference, expectation.mistakes, actual,
                         before=expectation.before, autograd_calls=1, **TOL)


def test_match_mistake_names_the_known_wrong_approach(ex03, ex03_trial):
    _, expectation = ex03_trial
    actual = student_run(ex03, PLUS_B)
    q, a_grad, b_grad = ex03.checks
    assert judge(b_grad, ex03, expectation.reference, actual, before=expectation.before, autograd_calls=1,
                 **TOL).code == "sign"
    assert mistake_for(b_grad, ex03, expectation, actual).id == "plus-b-squared"
    assert mistake_for(q, ex03, expectation, actual).id == "plus-b-squared"
    assert mistake_for(a_grad, ex03, expectation, actual) is None   # the mistake's a.grad is right


def test_match_mistake_none_for_a_correct_or_unknown_answer(ex03, ex03_trial):
    _, expectation = ex03_trial
    correct = student_run(ex03, CORRECT)
    for check in ex03.checks:
        assert judge(check, ex03, expectation.reference, correct, before=expectation.before, autograd_calls=1,
                     **TOL) is None
        assert mistake_for(check, ex03, expectation, correct) is None
    unknown = student_run(ex03, CORRECT.replace("3 * a**3", "4 * a**3"))
    assert mistake_for(ex03.checks[0], ex03, expectation, unknown) is None


def test_match_mistake_respects_the_mistakes_checks(ex03, ex03_trial):
    _, expectation = ex03_trial
    only_q = dataclasses.replace(ex03, mistakes=tuple(dataclasses.replace(m, checks=("Q",)) for m in ex03.mistakes))
    actual = student_run(ex03, PLUS_B)
    q, _, b_grad = only_q.checks
    assert mistake_for(q, only_q, expectation, actual).id == "plus-b-squared"
    assert mistake_for(b_grad, only_q, expectation, actual) is None


def test_match_mistake_skips_mistakes_that_raised(ex03, ex03_trial):
    _, expectation = ex03_trial
    broken = dataclasses.replace(expectation, mistakes={k: None for k in expectation.mistakes})
    actual = student_run(ex03, PLUS_B)
    assert mistake_for(ex03.checks[2], ex03, broken, actual) is None


def test_match_mistake_never_for_absolute_checks(ex03, ex03_trial):
    _, expectation = ex03_trial
    actual = student_run(ex03, PLUS_B)
    for kind in ("no_autograd", "not_aliased", "unmutated"):
        check = Check(name=kind, kind=kind, points=0, target="a" if kind == "unmutated" else "",
                      targets=("Q", "a") if kind == "not_aliased" else ())
        assert mistake_for(check, ex03, expectation, actual) is None


# --- backward count, encodings that cannot be compared, flags with expect: and mistakes -----------------------------

@pytest.mark.parametrize("calls, code", [(3, "accumulated"), (2, "accumulated"), (-1, "accumulated"),
                                         (0, "accumulated"), (1, "scaled")])
def test_grad_k_times_too_large_is_accumulated_only_when_backward_ran_more_than_once(ex03, calls, code):
    # 1 call: the factor is in the formula; 0 (the count saw no backward) and -1 (engine replaced) say nothing
    check = Check(name="a.grad", kind="grad", points=3, target="a")
    a, b = vec(1.0, -1.0, 2.0, grad=True), vec(0.5, 1.0, -1.0, grad=True)
    expected = observe(backward_q(a, b), {"a": a, "b": b})
    a2, b2 = vec(1.0, -1.0, 2.0, grad=True), vec(0.5, 1.0, -1.0, grad=True)
    (2 * (3 * a2**3 - b2**2)).sum().backward()
    finding = run(check, ex03, expected, observe(None, {"a": a2, "b": b2}), autograd_calls=calls)
    assert finding.code == code


def test_as_tensor_names_the_dtype_it_cannot_compare():
    node = Encoder(max_elements=BUDGET).encode(torch.ones(2, dtype=torch.complex64))
    assert as_tensor(node) == "a complex64 tensor (only real numbers and bools can be compared)"


def test_value_check_on_a_tensor_that_cannot_be_compared_fails_even_when_equal(ex03):
    check = Check(name="Q", kind="value", points=4, target="Q")
    expected = observe(torch.ones(50), budget=10)
    finding = run(check, ex03, expected, observe(torch.ones(50), budget=10))
    assert finding is not None and finding.code == "value"
    assert "a tensor too large to compare (50 elements)" in finding.message
    assert "max_tensor_elements" in finding.message


def test_value_check_with_nothing_expected_and_nothing_returned_passes(ex03):
    check = Check(name="Q", kind="value", points=4, target="Q")
    assert run(check, ex03, observe(None), observe(None)) is None
    finding = run(check, ex03, observe(None), observe("oops"))
    assert finding is not None and finding.message == "Q: expected nothing (None), got a str."


def test_grad_check_with_no_grad_expected_or_present_passes(ex03):
    check = Check(name="b.grad", kind="grad", points=3, target="b")
    a, b = vec(1.0, 2.0, grad=True), vec(1.0, 1.0)
    expected = observe(backward_q(a, b), {"a": a, "b": b})
    a2, b2 = vec(1.0, 2.0, grad=True), vec(1.0, 1.0)
    assert run(check, ex03, expected, observe(backward_q(a2, b2), {"a": a2, "b": b2})) is None


def test_grad_check_on_a_too_large_gradient_fails_without_blaming_requires_grad(ex03):
    check = Check(name="a.grad", kind="grad", points=3, target="a")
    a = torch.ones(50, requires_grad=True)
    (a * 2).sum().backward()
    expected = observe(None, {"a": a}, budget=60)   # the tensor fits, its gradient does not
    a2 = torch.ones(50, requires_grad=True)
    (a2 * 2).sum().backward()
    finding = run(check, ex03, expected, observe(None, {"a": a2}, budget=60))
    assert finding is not None and finding.code == "value"
    assert "must not require grad" not in finding.message


def test_value_check_on_an_input_still_says_unchanged(ex03):
    check = Check(name="b", kind="value", points=1, target="b")
    b0 = vec(0.5, -1.5)
    before = encode_before({"a": vec(1.0), "b": b0})
    finding = run(check, ex03, observe(None, {"b": vec(0.4, -1.2)}), observe(None, {"b": b0}), before=before)
    assert finding.code == "unchanged"


FLAG_EXERCISE = MODEL_EXERCISE.replace("""checks:
  - {name: out, kind: value, target: out, points: 1}
""", """checks:
  - {name: out, kind: requires_grad, target: out, expect: true, points: 1}
mistakes:
  - id: detached
    diagnosis: requires_grad
    message: You detached it.
    code: |
      def finetune(w, model, k):
          return w.detach(), None, []
""")


@pytest.fixture(scope="module")
def flag_ex(tmp_path_factory) -> Exercise:
    path = tmp_path_factory.mktemp("ex") / "ex09_finetune.yaml"
    path.write_text(FLAG_EXERCISE, encoding="utf-8")
    return parse_exercise(path)


def _flag_mistake(exercise, check, expected, mistake, actual):
    return match_mistake(check, exercise, expected, {"detached": mistake}, actual, before={}, autograd_calls=0,
                         **TOL)


@pytest.mark.parametrize("kind, field_value", [("requires_grad", True), ("is_leaf", True)])
def test_match_mistake_on_a_flag_check_with_expect(flag_ex, kind, field_value):
    check = Check(name="out", kind=kind, points=1, target="out", expect=field_value)
    w = vec(1.0, grad=True)
    expected = observe(w, names=("out",))
    mistake = observe(w.detach() * 1 if kind == "requires_grad" else w * 1, names=("out",))
    wrong = observe(vec(2.0) * 1 if kind == "requires_grad" else vec(2.0, grad=True) * 3, names=("out",))
    assert run(check, flag_ex, expected, wrong) is not None
    assert _flag_mistake(flag_ex, check, expected, mistake, wrong).id == "detached"
    assert _flag_mistake(flag_ex, check, expected, mistake, expected) is None           # a right answer
    assert _flag_mistake(flag_ex, check, expected, expected, expected) is None         # the "mistake" is right
    assert _flag_mistake(flag_ex, check, expected, mistake, observe(3.0, names=("out",))) is None


def test_match_mistake_on_a_grad_fn_check_with_expect(flag_ex):
    check = Check(name="out", kind="grad_fn", points=1, target="out", expect="MulBackward0")
    x = vec(1.0, 2.0, grad=True)
    expected, mistake = observe(x * 2, names=("out",)), observe(x + x, names=("out",))
    assert _flag_mistake(flag_ex, check, expected, mistake, observe(x + 1, names=("out",))).id == "detached"
    assert _flag_mistake(flag_ex, check, expected, mistake, observe(x - 1, names=("out",))) is None


def test_match_mistake_on_a_flag_check_with_expect_that_overrides_the_reference(flag_ex):
    # expect: false while the reference happens to track: the mistake that tracks is not a mistake to name
    check = Check(name="out", kind="requires_grad", points=1, target="out", expect=False)
    w = vec(1.0, grad=True)
    tracked, detached = observe(w * 2, names=("out",)), observe(w.detach() * 2, names=("out",))
    assert _flag_mistake(flag_ex, check, tracked, tracked, tracked).id == "detached"
    assert _flag_mistake(flag_ex, check, tracked, detached, detached) is None


# --- type: a returned value of another kind than the reference's, judged before its values -------------------------

def test_type_a_list_where_a_tensor_is_expected(ex03):
    # BUG (issue 12): as_tensor reads a list of numbers as a tensor, so `return Q.tolist()` passed the Q check
    check = Check(name="Q", kind="value", points=4, target="Q")
    q = vec(1.0, -2.0, 3.0)
    finding = run(check, ex03, observe(q), observe(q.tolist()))
    assert finding == Finding("type", "Q: got a list of Python floats, expected a tensor: return the tensor Q itself, "
                                      "not Q.tolist().")
    two_d = torch.ones(2, 2)
    assert run(check, ex03, observe(two_d), observe(two_d.tolist())).message.startswith(
        "Q: got a list of lists, expected a tensor: return the tensor Q itself, not Q.tolist()")
    finding = run(check, ex03, observe(q), observe(list(q.unbind())))
    assert finding.code == "type" and "torch.stack" in finding.message


def test_type_a_python_float_where_a_tensor_is_expected(ex03):
    check = Check(name="Q", kind="value", points=4, target="Q")
    finding = run(check, ex03, observe(torch.tensor(2.5)), observe(2.5))
    assert finding == Finding("type", "Q: got a Python float, expected a tensor: return the tensor Q itself, not "
                                      "Q.item() or float(Q): a Python number has no shape, no grad_fn and no "
                                      "gradient.")
    assert run(check, ex03, observe(torch.tensor(2.5)), observe(torch.tensor(2.5, dtype=torch.float64))) is None


def test_type_a_tensor_where_python_floats_are_expected(model_ex):
    check = Check(name="out", kind="value", points=1, target="out")
    losses = [1.0, 0.5, 0.25]
    expected = observe(losses, names=("out",))
    as_tensors = [torch.tensor(v, requires_grad=True) * 1 for v in losses]
    finding = run(check, model_ex, expected, observe(as_tensors, names=("out",)))
    assert finding == Finding("type", "out: got a list of tensors, expected a list of Python floats: call .item() on "
                                      "each one-element tensor before you add it to the list "
                                      "(out.append(loss.item())).")
    finding = run(check, model_ex, expected, observe(torch.tensor(losses), names=("out",)))
    assert finding.code == "type" and finding.message.startswith(
        "out: got a tensor, expected a list of Python floats: collect .item() of each value as you go")
    finding = run(check, model_ex, expected, observe([1.0, torch.tensor(0.5), 0.25], names=("out",)))
    assert finding.code == "type" and finding.message.startswith(
        "out[1]: got a tensor, expected a Python float: turn the one-element tensor into a Python number with .item()")
    finding = run(check, model_ex, observe(0.5, names=("out",)), observe(torch.tensor(0.5), names=("out",)))
    assert finding.code == "type" and ".item()" in finding.message


def test_type_lets_equivalent_kinds_through(model_ex):
    # ints and floats are both Python numbers, lists and tuples both sequences: their values decide
    check = Check(name="out", kind="value", points=1, target="out")
    expected = observe([1.0, 2.0], names=("out",))
    assert run(check, model_ex, expected, observe((1.0, 2.0), names=("out",))) is None
    assert run(check, model_ex, expected, observe([1, 2], names=("out",))) is None
    assert run(check, model_ex, expected, observe([1, 3], names=("out",))).code != "type"
    assert run(check, model_ex, observe(vec(1.0, grad=True), names=("out",)),
               observe(nn.Parameter(vec(1.0)), names=("out",))) is None  # a Parameter is a tensor


@pytest.mark.parametrize("check", [
    Check(name="out.grad", kind="grad", points=1, target="out"),
    Check(name="out.requires_grad", kind="requires_grad", points=1, target="out"),
    Check(name="out.is_leaf", kind="is_leaf", points=1, target="out"),
    Check(name="out.grad_fn", kind="grad_fn", points=1, target="out"),
    Check(name="out.shape", kind="shape", points=1, target="out"),
    Check(name="out.equal", kind="equal", points=1, target="out"),
    Check(name="copies", kind="not_aliased", points=1, targets=("out", "hs")),
], ids=lambda c: c.kind)
def test_type_is_judged_for_every_check_that_reads_a_returned_value(model_ex, check):
    w = vec(1.0, 2.0, grad=True)
    expected = observe((w * 2, None, w.detach() * 3), names=("out", "hs", "opt"))
    student = observe(((w * 2).tolist(), None, w.detach() * 3), names=("out", "hs", "opt"))
    finding = run(check, model_ex, expected, student)
    assert finding is not None and finding.code == "type"
    assert finding.message.startswith("out: got a list of Python floats, expected a tensor")


def test_type_walks_down_a_path_through_returned_containers(model_ex):
    check = Check(name="head", kind="shape", points=1, target="out.fc.weight")
    expected = observe(Net(), names=("out",))
    finding = run(check, model_ex, expected, observe(torch.optim.SGD(Net().parameters(), lr=0.1), names=("out",)))
    assert finding.code == "type"
    assert finding.message == ("out: got a torch.optim optimizer (SGD), expected an nn.Module (Net): return the model "
                               "(the nn.Module) itself.")
    items = Check(name="h1", kind="value", points=1, target="hs.1")
    expected = observe([vec(1.0), vec(2.0)], names=("hs",))
    finding = run(items, model_ex, expected, observe([vec(1.0), 2.0], names=("hs",)))
    assert finding.code == "type" and finding.message.startswith("hs[1]: got a Python float, expected a tensor")


def test_type_leaves_inputs_probes_and_expected_none_to_the_value_comparison(model_ex):
    # a notebook's own variables are rebuilt as the inputs: an int input may stand as a 0-d tensor there
    check = Check(name="k", kind="equal", points=1, target="args.k")
    assert run(check, model_ex, observe(None, {"k": 3}, names=("out",)),
               observe(None, {"k": torch.tensor(3)}, names=("out",))) is None
    finding = run(Check(name="out", kind="value", points=1, target="out"), model_ex, observe(None, names=("out",)),
                  observe(vec(1.0), names=("out",)))
    assert finding.code == "value"


def test_type_comes_before_a_known_mistake_of_the_right_kind(ex03, ex03_trial):
    # Q = 3a^3 + b^2 returned as a list: the list is the first thing to fix, so the mistake is not named
    _, expectation = ex03_trial
    as_list = student_run(ex03, PLUS_B.replace("return Q", "return Q.tolist()"))
    q = ex03.checks[0]
    finding = judge(q, ex03, expectation.reference, as_list, before=expectation.before, autograd_calls=1, **TOL)
    assert finding.code == "type" and finding.message.startswith("Q: got a list of Python floats, expected a tensor")
    assert mistake_for(q, ex03, expectation, as_list) is None


def test_type_of_a_known_mistake_is_matched_like_its_values(ex03, ex03_trial):
    # an instructor may declare a mistake that returns another kind: a student who does the same is told so
    _, expectation = ex03_trial
    listed = student_run(ex03, CORRECT.replace("return Q", "return Q.tolist()"))
    mistakes = {**expectation.mistakes, "plus-b-squared": listed}
    q = ex03.checks[0]
    assert match_mistake(q, ex03, expectation.reference, mistakes, listed, before=expectation.before,
                         autograd_calls=1, **TOL).id == "plus-b-squared"
