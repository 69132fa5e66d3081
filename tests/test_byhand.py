"""grader.byhand: the source of a by-hand answer is read for ways around the autograd count; plain code passes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.byhand import audit
from grader.source import Unit
from grader.source import read_submission, units_for

REPO = Path(__file__).resolve().parent.parent

PLAIN = '''
from __future__ import annotations
import math
from typing import Tuple
import numpy as np
import torch
import torch.nn.functional as F
from functools import reduce


class Helper:
    def __init__(self, n):
        super().__init__()
        self.n = n

    def scale(self):
        return 2 / self.n


def manual_mse_grads(x1, x2, w1, w2, b, y_true) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        y_pred = torch.add(x1 * w1, x2 * w2) + b
        r = (y_pred - y_true).detach().clone()
        d = Helper(len(y_true)).scale() * r
        assert d.dtype == torch.float64 and y_true.shape[0] == y_true.numel()
        print(f"{d.mean().item():.3f}", math.sqrt(4), np.array([1.0]).sum(), F.relu(d).shape, d.unsqueeze(0).T)
        return d * x1, d.mul(x2), reduce(lambda a, c: a + c, d.tolist()) + 0 * d.sum()


# checking the answer against autograd outside the function: the run's count judges any use during grading
w = torch.ones(3, requires_grad=True)
loss = (w * 2).sum()
loss.backward()
print(w.grad, loss.grad_fn, torch.autograd.grad((w * w).sum(), w), torch.optim.SGD([w], lr=0.1))
assert loss.grad_fn is not None
'''


def finding(source: str, cell: int | None = None):
    return audit((Unit("answer.py" if cell is None else f"<cell {cell}>", source, cell),))


def test_plain_arithmetic_with_torch_math_numpy_passes():
    assert finding(PLAIN) is None


def test_the_reference_solution_and_the_tutorial_notebooks_pass():
    assert finding((REPO / "solutions" / "ex09.py").read_text()) is None
    for notebook in sorted((REPO / "tests" / "data" / "notebooks").glob("*.ipynb")):
        assert audit(units_for(read_submission(notebook), "ex09")) is None, notebook.name


@pytest.mark.parametrize("line, code, opening", [
    ("e = getattr(torch, 'ones')", "unverifiable", "line 2: getattr() fetches attributes, code or modules by a name"),
    ("e = torch.__dict__", "unverifiable", "line 2: .__dict__ is private to Python or torch"),
    ("e = __builtins__", "unverifiable", "line 2: __builtins__ is private to Python"),
    ("e = torch._C", "unverifiable", "line 2: ._C is private"),
    ("e = torch.autograd.Variable._execution_engine", "unverifiable", "line 2: ._execution_engine is private"),
    ("e = torch.serialization.pickle", "unverifiable", "line 2: .serialization leads from a module to another"),
    ("e = torch.load('x.pt', weights_only=False)", "unverifiable", "line 2: .load fetches attributes"),
    ("e = (lambda: (yield))().gi_frame", "unverifiable", "line 2: .gi_frame reaches into the interpreter"),
    ("e = torch.flurb", "unverifiable", "line 2: .flurb is not a public name of torch, math or numpy"),
    ("import os", "unverifiable", "line 2: import os: by-hand code imports only torch (and torch.nn, nn.functional"),
    ("import torch._C", "unverifiable", "line 2: ._C is private"),
    ("from torch import _C", "unverifiable", "line 2: ._C is private"),
    ("from torch import *", "unverifiable", "line 2: from torch import * (import the names you use)"),
    ("from . import helper", "unverifiable", "line 2: from . import ...: by-hand code imports only torch"),
    ("from torch.autograd.variable import ImperativeEngine", "unverifiable",
     "line 2: from torch.autograd.variable import ...: by-hand code imports only torch"),
    ("from torch.autograd.graph import get_gradient_edge", "unverifiable", "line 2: from torch.autograd.graph import"),
    ("import torch.nn.utils", "unverifiable", "line 2: import torch.nn.utils: by-hand code imports only torch"),
    ("import torch.nn.functional as F\nimport numpy.linalg", None, None),
    ("e = torch.batch_norm_backward_elemt", "used_autograd", "line 2: .batch_norm_backward_elemt is one of"),
    ("e = torch.autograd.graph.get_gradient_edge", "unverifiable", "line 2: .graph leads from a module to another"),
    ("e = edge.get_gradient_edge(x)", "used_autograd", "line 2: .get_gradient_edge computes gradients outside"),
    ("from typing import get_type_hints", "unverifiable", "line 2: .get_type_hints fetches attributes"),
    ("import torch.autograd.forward_ad as fwad", "used_autograd", "line 2: .forward_ad computes gradients outside"),
    ("e = torch.func.grad", "used_autograd", "line 2: .func computes gradients outside the backward engine"),
    ("e = loss.grad_fn(d)", "used_autograd", "line 2: .grad_fn computes gradients outside"),
    ("node = loss.grad_fn", "used_autograd", "line 2: .grad_fn computes gradients outside"),
    ("e = torch.nn.grad.conv1d_weight", "used_autograd", "line 2: .conv1d_weight computes gradients outside"),
    ("match torch:\n    case object(_C=c): pass", "unverifiable", "line 3: ._C is private"),
    ("class Spy(torch.Tensor):\n    pass", "unverifiable", "line 2: class Spy(...) builds on another class"),
    ("class K(metaclass=M):\n    pass", "unverifiable", "line 2: class K(...) builds on another class"),
    ("S = type('S', (torch.Tensor,), {})", "unverifiable", "line 2: type() with three arguments builds a class"),
    ("make = type", "unverifiable", "line 2: type() with three arguments builds a class"),
    ("print(type(torch.ones(1)))", None, None),
    ("u = torch.CompilationUnit('def f(x: Tensor) -> Tensor: return x')", "unverifiable",
     "line 2: .CompilationUnit is TorchScript"),
    ("print(torch.trace(torch.eye(2)))", None, None),
    ("e = torch.autograd.gradcheck", "used_autograd", "line 2: .gradcheck computes gradients outside"),
])
def test_each_way_around_the_count_is_named_with_its_line(line, code, opening):
    found = finding("import torch\n" + line + "\n")
    if code is None:
        assert found is None
        return
    assert found is not None and found.code == code, found
    assert found.message.startswith(opening), found.message


def test_a_name_the_code_defines_for_itself_cannot_open_a_module():
    found = finding("import torch\nclass A:\n    serialization = 1\nprint(torch.serialization)\n")
    assert found.message.startswith("line 4: .serialization leads from a module to another module")
    assert finding("class A:\n    pass\na = A()\na.weights = 1\nprint(a.weights)\n") is None


@pytest.mark.parametrize("use, shown", [
    ("print(y.grad_fn)", True),
    ("print(f'{y.grad_fn}', str(y.grad_fn), repr(y.grad_fn))", True),
    ("assert y.grad_fn is not None\nassert y.grad_fn", True),
    ("def print(x):\n    pass\nprint(y.grad_fn)", False),  # a print of its own could keep the node
    ("assert k == y.grad_fn", False),  # an __eq__ of its own could keep it
    ("isinstance(y.grad_fn, K)", False),  # a metaclass's __instancecheck__ could keep it
    ("assert False, y.grad_fn", False),  # the message comes back in AssertionError.args
    ("node = y.grad_fn", False),
])
def test_grad_fn_may_be_shown_but_not_handed_to_code_that_could_keep_it(use, shown):
    found = finding("import torch\ny = torch.ones(1, requires_grad=True) * 2\nk = K = 1\n" + use + "\n")
    assert (found is None) == shown, found


def test_an_attribute_of_its_own_cannot_claim_a_name_torch_uses_elsewhere():
    found = finding("class Mine:\n    spsolve = None\nprint(Mine().spsolve)\n")
    assert found.message.startswith("line 3: .spsolve names something inside torch or numpy"), found.message


def test_the_leftmost_problem_is_named_and_the_rest_counted():
    found = finding("import torch\nx = torch._C._ImperativeEngine\ny = getattr(torch, 'x')\n")
    assert found.message.startswith("line 2: ._C is private to Python or torch (and 2 more such place(s)).")


def test_notebook_cells_are_named_and_cells_that_do_not_parse_are_skipped():
    units = (Unit("<cell 1>", "def broken(:\n", 1), Unit("<cell 4>", "x = 1\ny = vars()\n", 4))
    found = audit(units)
    assert found.message.startswith("cell 4, line 2: vars() fetches attributes"), found.message


def test_code_too_deep_to_read_is_not_vouched_for():
    found = finding("x = " + "-" * 200_000 + "1\n")
    assert found is not None and found.code == "unverifiable" and "nested too deeply" in found.message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_gives_a_finding_or_none_never_a_traceback(text):
    result = audit((Unit("fuzz.py", text),))
    assert result is None or result.code in ("used_autograd", "unverifiable")
