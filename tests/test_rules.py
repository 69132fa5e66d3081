"""Exercise `rules:`: required and forbidden torch functions, in-place writes to inputs, and autograd that must run.

Each rule is judged on the source (read in the grading process, never run there) and on what the child counted;
the exercises here are written to a tmp folder, the answers graded for real in the sandbox.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader.config import load_settings
from grader.errors import ExerciseError
from grader.exercise import parse_exercise
from grader.grade import grade_submission
from grader.result import Grade
from grader.ruleset import Rules, first_use, resolve, uses
from grader.source import read_submission
from grader.sandbox.protocol import Malformed, check_message

from conftest import CONFIG, HIDDEN_SEEDS, SPAWNER

SETTINGS = load_settings(CONFIG).with_overrides(timeout_s=5.0)

PER_SAMPLE = """\
schema: 2
id: ex51
title: "Per-sample gradients"
points: 2
prompt: "Return the gradient of (w . x_i)^2 with respect to w, for each row x_i of x."
contract: {function: per_sample, signature: "per_sample(w, x) -> torch.Tensor", returns: [g]}
dims: {n: [2, 5]}
inputs:
  w: {tensor: [3]}
  x: {tensor: [n, 3]}
trials: {public: [0, 1], hidden: 1}
rules:
  requires: [torch.func.vmap, torch.func.grad]
  hint: Compute per-sample gradients with vmap(grad(...)), not a Python loop.
reference: |
  def per_sample(w, x):
      def loss(w, xi):
          return (w @ xi) ** 2
      return torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0))(w, x)
checks:
  - {name: g, kind: value, target: g, points: 2}
"""

HESSIAN = """\
schema: 2
id: ex52
title: "A Hessian by hand"
points: 1
prompt: "Return the Hessian of sum(x^3)."
contract: {function: hess, signature: "hess(x) -> torch.Tensor", returns: [H]}
dims: {n: [2, 4]}
inputs:
  x: {tensor: [n], dtype: float64}
trials: {public: [0, 1], hidden: 1}
rules:
  forbids: [torch.autograd.functional.hessian, torch.func.hessian]
reference: |
  def hess(x):
      return torch.diag(6 * x)
checks:
  - {name: H, kind: value, target: H, points: 1}
"""

SHIFT = """\
schema: 2
id: ex53
title: "Shift, leaving x alone"
points: 1
prompt: "Return x + 1 without changing x."
contract: {function: shift, signature: "shift(x) -> torch.Tensor", returns: [y]}
dims: {n: [2, 4]}
inputs:
  x: {tensor: [n]}
trials: {public: [0, 1], hidden: 1}
rules:
  forbids: [in_place_on_inputs]
reference: |
  def shift(x):
      return x + 1
checks:
  - {name: y, kind: value, target: y, points: 1}
"""

AUTOGRAD = """\
schema: 2
id: ex54
title: "Gradient of a sum of squares, by autograd"
points: 1
prompt: "Return d/dx sum(x^2), computed by autograd."
contract: {function: square_grad, signature: "square_grad(x) -> torch.Tensor", returns: [g]}
dims: {n: [2, 4]}
inputs:
  x: {tensor: [n], requires_grad: true}
trials: {public: [0, 1], hidden: 1}
rules:
  uses_autograd: true
reference: |
  def square_grad(x):
      (g,) = torch.autograd.grad((x ** 2).sum(), x)
      return g
checks:
  - {name: g, kind: value, target: g, points: 1}
"""


def exercise_file(folder: Path, text: str) -> Path:
    exercise_id = text.split("id: ", 1)[1].split("\n", 1)[0]
    path = folder / f"{exercise_id}_rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def grade(tmp_path: Path, text: str, answer: str) -> Grade:
    exercise = parse_exercise(exercise_file(tmp_path, text))
    path = tmp_path / "answer.py"
    path.write_text(textwrap.dedent(answer), encoding="utf-8")
    return grade_submission(exercise, read_submission(path), SETTINGS, seeds=HIDDEN_SEEDS[:1], spawner=SPAWNER)


def assert_passes(result: Grade) -> None:
    assert result.error is None and all(c.passed for c in result.checks), [c.message for c in result.checks]


def assert_rule(result: Grade, *parts: str) -> str:
    assert result.checks and all(not c.passed and c.diagnosis == "rule" for c in result.checks), result.checks
    message = result.checks[0].message
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"
    return message


# --- requires ------------------------------------------------------------------------------------------------------

LOOP = """\
import torch

def per_sample(w, x):
    return torch.stack([2 * (w @ xi) * xi for xi in x])
"""


def test_requires_a_loop_answer_fails_with_the_rule_and_the_hint(tmp_path):
    message = assert_rule(grade(tmp_path, PER_SAMPLE, LOOP), "This exercise requires torch.func.vmap: your code "
                          "never calls it", "Compute per-sample gradients with vmap(grad(...)), not a Python loop.")
    assert message.count("\n") == 1


def test_requires_a_vmap_answer_passes(tmp_path):
    assert_passes(grade(tmp_path, PER_SAMPLE, """\
        import torch

        def per_sample(w, x):
            loss = lambda w, xi: (w @ xi) ** 2
            return torch.vmap(torch.func.grad(loss), in_dims=(None, 0))(w, x)
        """))


@pytest.mark.parametrize("imports, call", [
    ("from torch.func import vmap as v, grad as g", "v(g(loss), in_dims=(None, 0))(w, x)"),
    ("import torch.func as tf", "tf.vmap(tf.grad(loss), in_dims=(None, 0))(w, x)"),
    ("from torch import func", "func.vmap(func.grad(loss), in_dims=(None, 0))(w, x)"),
])
def test_requires_an_aliased_import_passes(tmp_path, imports, call):
    assert_passes(grade(tmp_path, PER_SAMPLE, f"{imports}\n\ndef per_sample(w, x):\n"
                                              f"    loss = lambda w, xi: (w @ xi) ** 2\n    return {call}\n"))


def test_requires_named_but_not_called_on_a_trial_fails(tmp_path):
    message = assert_rule(grade(tmp_path, PER_SAMPLE, """\
        import torch
        from torch.func import vmap, grad

        def per_sample(w, x):
            if len(x) > 100:
                return vmap(grad(lambda w, xi: (w @ xi) ** 2), in_dims=(None, 0))(w, x)
            return torch.stack([2 * (w @ xi) * xi for xi in x])
        """), "This exercise requires torch.func.vmap: your code did not call it on ")
    assert "public trial" in message or "hidden trial" in message


FORGED = """\
import sys
import torch

child = sys.modules["grader.sandbox.child"]
send = child._send

def claim(fd, message):
    if message.get("kind") == "trial":  # the child's own frame, rewritten: the counts say both were called
        message["rules"] = {"counts": {"torch.func." + "vmap": 3, "torch.func." + "grad": 3}, "modified": []}
    send(fd, message)

child._send = claim

def per_sample(w, x):
    return torch.stack([2 * (w @ xi) * xi for xi in x])
"""


def test_requires_a_forged_frame_claiming_the_count_fails(tmp_path):
    """The child's frames are the submission's to forge: a count alone never satisfies `requires`."""
    result = grade(tmp_path, PER_SAMPLE, FORGED)
    assert_rule(result, "This exercise requires torch.func.vmap: your code never calls it")


def test_requires_the_counter_is_not_fooled_by_unwrapping(tmp_path):
    """Putting the original back (from torch's private module) only loses the count: requires then fails."""
    assert_rule(grade(tmp_path, PER_SAMPLE, """\
        import torch
        import torch._functorch.apis as apis

        def per_sample(w, x):
            torch.func.vmap = apis.vmap
            return torch.func.vmap(torch.func.grad(lambda w, xi: (w @ xi) ** 2), in_dims=(None, 0))(w, x)
        """), "This exercise requires torch.func.vmap: your code did not call it")


# --- forbids -------------------------------------------------------------------------------------------------------

def test_forbids_calling_hessian_fails_with_the_line(tmp_path):
    assert_rule(grade(tmp_path, HESSIAN, """\
        import torch


        def hess(x):
            f = lambda x: (x ** 3).sum()
            # the Hessian, from autograd
            return torch.autograd.functional.hessian(f, x)
        """), "This exercise forbids torch.autograd.functional.hessian: line 7 calls it.")


def test_forbids_an_aliased_import_is_found(tmp_path):
    assert_rule(grade(tmp_path, HESSIAN, """\
        from torch.autograd.functional import hessian as H

        def hess(x):
            return H(lambda x: (x ** 3).sum(), x)
        """), "forbids torch.autograd.functional.hessian: line 1 imports it.")


def test_forbids_a_call_the_source_hides_is_counted(tmp_path):
    assert_rule(grade(tmp_path, HESSIAN, """\
        import torch

        def hess(x):
            return getattr(torch.autograd.functional, "hess" + "ian")(lambda x: (x ** 3).sum(), x)
        """), "forbids torch.autograd.functional.hessian: your code called it 1 time(s) by the end of")


def test_forbids_a_hand_computed_hessian_passes(tmp_path):
    assert_passes(grade(tmp_path, HESSIAN, """\
        import torch

        def hess(x):
            return torch.diag(6 * x)
        """))


# --- in_place_on_inputs --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", ["x.add_(1)\n    return x", "x += 1\n    return x", "x[:] = x + 1\n    return x",
                                  "y = x.detach()\n    y.add_(1)\n    return y.clone()",
                                  "with torch.no_grad():\n        x.mul_(1)\n    return x + 1"])
def test_in_place_on_inputs_fails(tmp_path, body):
    assert_rule(grade(tmp_path, SHIFT, f"import torch\n\ndef shift(x):\n    {body}\n"),
                "This exercise forbids in-place operations on its inputs: x was modified in place on ",
                "x.add_(...), x[...] = ..., x += ...")


def test_in_place_through_data_is_caught_by_the_values(tmp_path):
    """x.data has a version counter of its own: the values of x after the call show the write instead."""
    assert_rule(grade(tmp_path, SHIFT, "def shift(x):\n    x.data.add_(1)\n    return x.clone()\n"),
                "x was modified in place")


def test_in_place_through_data_that_leaves_the_values_is_not_seen(tmp_path):
    """Documented limit: a write through .data that restores the values leaves no trace."""
    assert_passes(grade(tmp_path, SHIFT, "def shift(x):\n    x.data.mul_(1)\n    return x + 1\n"))


def test_out_of_place_passes(tmp_path):
    assert_passes(grade(tmp_path, SHIFT, "def shift(x):\n    y = x.clone()\n    y.add_(1)\n    return y\n"))


# --- uses_autograd -------------------------------------------------------------------------------------------------

def test_uses_autograd_a_hand_formula_fails(tmp_path):
    assert_rule(grade(tmp_path, AUTOGRAD, "def square_grad(x):\n    return 2 * x.detach()\n"),
                "This exercise requires autograd: your code never calls backward() nor torch.autograd.grad")


def test_uses_autograd_backward_passes(tmp_path):
    assert_passes(grade(tmp_path, AUTOGRAD, """\
        def square_grad(x):
            (x ** 2).sum().backward()
            return x.grad
        """))


def test_uses_autograd_named_but_not_run_fails(tmp_path):
    assert_rule(grade(tmp_path, AUTOGRAD, """\
        def square_grad(x):
            if x.numel() > 100:
                (x ** 2).sum().backward()
            return 2 * x.detach()
        """), "This exercise requires autograd, at least 1 backward() or torch.autograd.grad call(s) on each "
              "trial: your code ran 0 on")


def test_uses_autograd_backward_hidden_from_the_count_breaks_the_rule(tmp_path):
    """The child puts its counting engine back before it reads the count: the hidden pass counts as none."""
    assert_rule(grade(tmp_path, AUTOGRAD, """\
        from torch.autograd.variable import Variable

        def square_grad(x):
            Variable._execution_engine = Variable._execution_engine._engine  # backward() then runs uncounted
            (x ** 2).sum().backward()
            return x.grad
        """), "This exercise requires autograd, at least 1 backward() or torch.autograd.grad call(s) on each "
              "trial: your code ran 0 on")


def test_uses_autograd_counts_n_calls_per_trial(tmp_path):
    twice = AUTOGRAD.replace("uses_autograd: true", "uses_autograd: 2")
    once = "import torch\n\ndef square_grad(x):\n    return torch.autograd.grad((x ** 2).sum(), x)[0]\n"
    assert_rule(grade(tmp_path, twice, once), "at least 2 backward() or torch.autograd.grad call(s) on each trial: "
                                              "your code ran 1 on")
    assert_passes(grade(tmp_path, twice, """\
        import torch

        def square_grad(x):
            first = torch.autograd.grad((x ** 2).sum(), x)[0]
            return torch.autograd.grad((x * first.detach()).sum(), x)[0]
        """))


# --- loading -------------------------------------------------------------------------------------------------------

def rejected(tmp_path: Path, text: str) -> tuple[str, Path]:
    path = exercise_file(tmp_path, text)
    with pytest.raises(ExerciseError) as info:
        parse_exercise(path)
    return str(info.value), path


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def test_an_unknown_name_names_the_closest(tmp_path):
    text = PER_SAMPLE.replace("requires: [torch.func.vmap,", "requires: [torch.func.vmapp,")
    message, path = rejected(tmp_path, text)
    assert message.startswith(f"{path}:{line_of(text, 'requires:')}: "), message
    assert "torch.func.vmapp: torch has no torch.func.vmapp (did you mean torch.func.vmap?)" in message


@pytest.mark.parametrize("name, part", [
    ("torch.Tensor.add_", "torch.Tensor is not a module: rules name functions of torch's modules"),
    ("torch.func", "torch.func is not a function"),
    ("numpy.sum", "name a public torch function by its dotted path"),
    ("torch._C._foo", "name a public torch function"),
])
def test_names_that_are_not_torch_functions_are_refused(tmp_path, name, part):
    message, _ = rejected(tmp_path, HESSIAN.replace("torch.func.hessian]", f"{name}]"))
    assert part in message, message


def test_no_autograd_and_uses_autograd_together_is_an_error(tmp_path):
    text = AUTOGRAD.replace("  - {name: g, kind: value, target: g, points: 1}",
                            "  - {name: g, kind: value, target: g, points: 1}\n  - {kind: no_autograd, points: 0}")
    message, path = rejected(tmp_path, text)
    assert message.startswith(f"{path}:{line_of(text, 'uses_autograd')}: "), message
    assert "contradicts the no_autograd check" in message


def test_a_reference_calling_what_it_forbids_is_an_error_at_its_line(tmp_path):
    text = HESSIAN.replace("return torch.diag(6 * x)",
                           "return torch.autograd.functional.hessian(lambda x: (x ** 3).sum(), x)")
    message, path = rejected(tmp_path, text)
    assert message.startswith(f"{path}:{line_of(text, 'functional.hessian(lambda')}: "), message
    assert "the reference uses torch.autograd.functional.hessian" in message and "rules.forbids" in message


def test_a_reference_not_using_what_it_requires_is_an_error(tmp_path):
    text = PER_SAMPLE.replace("return torch.func.vmap(torch.func.grad(loss), in_dims=(None, 0))(w, x)",
                              "return torch.stack([torch.func.grad(loss)(w, xi) for xi in x])")
    message, path = rejected(tmp_path, text)
    assert message.startswith(f"{path}:{line_of(text, 'def per_sample(w, x):')}: "), message
    assert "the reference never uses torch.func.vmap, which rules.requires" in message


def test_a_reference_without_autograd_breaks_uses_autograd(tmp_path):
    text = AUTOGRAD.replace("(g,) = torch.autograd.grad((x ** 2).sum(), x)\n      return g",
                            "return 2 * x.detach()")
    message, _ = rejected(tmp_path, text)
    assert "the reference never calls backward() nor torch.autograd.grad" in message


def test_a_name_both_required_and_forbidden_is_an_error(tmp_path):
    message, _ = rejected(tmp_path, PER_SAMPLE.replace("  hint:", "  forbids: [torch.func.vmap]\n  hint:"))
    assert "torch.func.vmap is both required and forbidden" in message


def test_an_exercise_without_rules_has_none():
    assert not parse_exercise(Path(__file__).resolve().parent.parent / "exercises" / "ex03_q_gradients.yaml").rules
    assert not Rules()


# --- the static reading and the protocol ---------------------------------------------------------------------------

def test_the_static_reading_resolves_aliases_by_identity():
    vmap = resolve("torch.func.vmap")
    source = "import torch as T\nfrom torch import *\nx = T.vmap\ny = vmap\n"
    found = uses(source)
    assert [u.line for u in found if u.obj is vmap] == [3, 4]
    assert first_use(uses("vmap = 1\nprint(vmap)\n"), vmap) is None  # a name of its own, never imported
    assert uses("def broken(:\n") == []


def test_the_parent_refuses_malformed_rule_counts():
    trial = {"kind": "trial", "index": 0, "seconds": 0.1, "freeform": True, "autograd_calls": 0}
    check_message({**trial, "rules": {"counts": {"torch.func.vmap": 1}, "modified": ["x"]}}, 0)
    for bad in ({"counts": {"torch.func.vmap": -1}, "modified": []}, {"counts": {}, "modified": [1]},
                {"counts": {str(i): 1 for i in range(65)}, "modified": []}, {"counts": {}}, []):
        with pytest.raises(Malformed):
            check_message({**trial, "rules": bad}, 0)


# --- notebooks: every cell is read, and a free-form notebook's re-runs are counted --------------------------------

def grade_notebook(tmp_path: Path, text: str, *cells: str) -> Grade:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    exercise = parse_exercise(exercise_file(tmp_path, text))
    path = tmp_path / "answer.ipynb"
    path.write_text(nbformat.writes(new_notebook(cells=[new_code_cell(c) for c in cells])), encoding="utf-8")
    return grade_submission(exercise, read_submission(path), SETTINGS, seeds=HIDDEN_SEEDS[:1], spawner=SPAWNER)


def test_a_notebook_cell_calling_a_forbidden_function_is_named(tmp_path):
    assert_rule(grade_notebook(tmp_path, HESSIAN, "import torch", "f = lambda x: (x ** 3).sum()",
                               "def hess(x):\n    return torch.func.hessian(f)(x)"),
                "This exercise forbids torch.func.hessian: cell 3, line 2 calls it.")


FREE_SHIFT = SHIFT + "notebook: {args: {x: x}, returns: {y: y}}\n"
FREE_PER_SAMPLE = PER_SAMPLE + "notebook: {args: {w: w, x: x}, returns: {g: g}}\n"


def test_a_free_form_notebook_writing_its_input_in_place_fails(tmp_path):
    assert_rule(grade_notebook(tmp_path, FREE_SHIFT, "import torch\nx = torch.zeros(3)", "x += 1\ny = x.clone()"),
                "x was modified in place")
    assert_passes(grade_notebook(tmp_path, FREE_SHIFT, "import torch\nx = torch.zeros(3)", "y = x + 1"))


def test_a_free_form_notebook_is_counted_on_every_re_run(tmp_path):
    setup = "import torch\nfrom torch.func import vmap, grad\nw = torch.randn(3)\nx = torch.randn(4, 3)"
    assert_passes(grade_notebook(tmp_path, FREE_PER_SAMPLE, setup,
                                 "g = vmap(grad(lambda w, xi: (w @ xi) ** 2), in_dims=(None, 0))(w, x)"))
    assert_rule(grade_notebook(tmp_path, FREE_PER_SAMPLE, setup,
                               "g = torch.stack([2 * (w @ xi) * xi for xi in x])"),
                "This exercise requires torch.func.vmap: your code did not call it on ")


def test_forbids_the_original_in_torch_private_modules_is_the_same_function(tmp_path):
    """torch._functorch keeps the unwrapped original; named plainly, the source reading still finds it."""
    assert_rule(grade(tmp_path, HESSIAN, """\
        import torch._functorch.eager_transforms as et

        def hess(x):
            return et.hessian(lambda x: (x ** 3).sum())(x)
        """), "This exercise forbids torch.func.hessian: line 4 calls it "
              "(as torch._functorch.eager_transforms.hessian).")


PROBE = """\
probes:
  curvature: |
    def probe(y):
        return torch.func.hessian(lambda v: (v ** 3).sum())(y.detach())
notebook: {args: {x: x}, returns: {y: y}}
"""
PROBED = SHIFT.replace("forbids: [in_place_on_inputs]", "forbids: [torch.func.hessian]").replace(
    "checks:", PROBE + "checks:") + "  - {name: curvature, kind: value, target: curvature, points: 0}\n"


def test_the_instructors_probes_are_not_counted_as_the_submissions_calls(tmp_path):
    assert_passes(grade_notebook(tmp_path, PROBED, "import torch\nx = torch.zeros(3)", "y = x + 1"))
    assert_passes(grade(tmp_path, PROBED, "def shift(x):\n    return x + 1\n"))


def test_grade_show_states_the_rules(tmp_path):
    from click.testing import CliRunner

    from grader.cli import main

    (tmp_path / "exercises").mkdir()
    exercise_file(tmp_path / "exercises", PER_SAMPLE)
    exercise_file(tmp_path / "exercises", HESSIAN.replace("torch.func.hessian]", "in_place_on_inputs]\n  "
                                                          "uses_autograd: 2").replace("torch.diag(6 * x)",
                                                                                      "x.sum().backward()"))
    (tmp_path / "config.yaml").write_text("schema: 1\nexercises_dir: exercises\nsolutions_dir: solutions\n")
    out = [CliRunner().invoke(main, ["show", e, "--config", str(tmp_path / "config.yaml")]).stdout
           for e in ("ex51", "ex52")]
    assert "Rules:   call torch.func.vmap; call torch.func.grad\n" in out[0]
    assert ("Rules:   never use torch.autograd.functional.hessian; never modify the inputs in place; compute "
            "gradients with autograd (at least 2 backward()/autograd.grad calls each time your function runs)\n"
            ) in out[1], out[1]
