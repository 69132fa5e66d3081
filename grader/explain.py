"""Explain the classic autograd errors: what happened, the line that caused it, and the fix, in plain words.

Torch's messages name the line where an error surfaced (`y.backward()`), rarely the line that caused it (the leaf made
without requires_grad two lines up), and its hints are sometimes the wrong fix for a beginner's case (retain_graph=True
for a backward() inside a loop; .detach().numpy(), which cuts the graph). The explainer reads the exception the child
described and the submission's source (parsed here, grader.codescope, bounded; never run) and, for the
in-place error, the forward traceback the child's anomaly-mode re-run found. It changes messages only: an
explanation never scores a check.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from dataclasses import dataclass
from typing import Sequence

from .codescope import (Scope, backward_target, factory, graph_cut, inside, last_assignment, names_read, reads_grad,
                        requires_grad_later, scope_at)
from .source import Unit

CONTEXTS = ("no_grad", "enable_grad", "inference_mode", "set_grad_enabled")
UPDATE_IN_PLACE = ("update in place under torch.no_grad() (w -= lr * w.grad) or use an optimizer "
                   "(torch.optim.SGD([w, b], lr=lr); optimizer.step())")


@dataclass(frozen=True)
class Explanation:
    """What happened and the fix, the line that caused it, and a diagnosis the checks take when the cause is known."""

    text: str
    line: int | None = None
    diagnosis: str | None = None  # e.g. 'unchanged' for a rebound name: the exercise's own diagnosis of that cause


def explain(info: dict, units: Sequence[Unit], evidence: Sequence[dict] = ()) -> Explanation | None:
    """The explanation of the exception `info` (grader.sandbox.observe.describe_exception) raised by `units`.

    `evidence` is the forward traceback of the op whose backward failed (the child's anomaly-mode re-run), if any.
    None when the error is none of the classic ones or its line cannot be read.
    """
    return _explain(json.dumps(info, sort_keys=True), tuple(units), json.dumps(list(evidence), sort_keys=True))


@functools.lru_cache(maxsize=16)  # one exception is explained once for every check it fails: read the source once
def _explain(described: str, units: tuple[Unit, ...], forward: str) -> Explanation | None:
    info, evidence = json.loads(described), json.loads(forward)
    message, kind = str(info.get("message", "")), str(info.get("type", ""))
    frames = info.get("frames") or []
    if not frames:
        return None
    frame = frames[-1]
    scope = scope_at(units, str(frame.get("file", "")), int(frame.get("line") or 0))
    if scope is None:
        return None
    code = str(frame.get("code", "")).strip()
    evidence = [f for f in evidence if f.get("file") == frame.get("file")]  # lines of the failing file or cell only
    for test, handler in _HANDLERS:
        if test(kind, message, code):
            return handler(scope, message, code, evidence)
    return None


# ---- the classic errors, each: a test on (type, message, code) and a handler -------------------------------------

def _no_grad_fn(scope: Scope, message: str, code: str, evidence: Sequence[dict]) -> Explanation:
    target = backward_target(code)
    names = scope.depends({target} if target else set())
    rebound = _rebound(scope, names)
    if rebound is not None:
        return rebound
    what = f"{target}" if target else "the tensor you called backward() on"
    head = (f"{what} has no graph to go back through: nothing it was computed from requires grad, so autograd "
            f"recorded nothing and backward() on line {scope.failing} has nowhere to send gradients.")
    for a in scope.before():
        if a.name in names and a.no_grad and a.value is not None:
            return Explanation(f"{head}\nThe cause is line {a.line}: {a.name} is computed inside torch.no_grad(), "
                               f"where nothing is recorded. Compute what you need gradients for outside the "
                               f"no_grad block; keep only updates of the parameters inside it.", a.line)
    for a in scope.before():
        cut = graph_cut(a.value) if a.name in names and a.value is not None else None
        if cut:
            return Explanation(f"{head}\nThe cause is line {a.line}: .{cut}() makes {a.name} a plain value outside "
                               f"the graph. Keep the tensor itself (drop .{cut}()) where the result must be "
                               f"differentiated; use .{cut}() only on values you print or store.", a.line)
    for a in scope.before():
        if a.name in names and factory(a.value) and not requires_grad_later(scope, a.name):
            return Explanation(f"{head}\nThe cause is line {a.line}: {a.name} is created without "
                               f"requires_grad=True, so autograd does not track it. Create it with "
                               f"requires_grad=True (e.g. torch.tensor(..., requires_grad=True)), or call "
                               f"{a.name}.requires_grad_() before using it. Setting requires_grad on the "
                               f"result instead ({target or 'loss'}.requires_grad = True) silences the error but "
                               f"leaves {a.name} without a gradient.", a.line)
    return Explanation(f"{head}\nMake the tensor you want the gradient of a leaf with requires_grad=True before you "
                       f"compute with it, and do not wrap that computation in torch.no_grad() or .detach() it.",
                       scope.failing)


def _non_scalar(scope: Scope, message: str, code: str, evidence: Sequence[dict]) -> Explanation:
    target = backward_target(code) or "the tensor"
    made = last_assignment(scope, target)
    where = f" (made on line {made.line})" if made else ""
    return Explanation(
        f"backward() with no argument needs a single number: on line {scope.failing} {target}{where} holds several "
        f"values, and autograd cannot tell how to weigh them. Reduce it to the scalar the exercise asks for first "
        f"({target}.sum().backward() or {target}.mean().backward()), or pass the weights of each value: "
        f"{target}.backward(gradient=torch.ones_like({target})).", scope.failing)


def _backward_twice(scope: Scope, message: str, code: str, evidence: Sequence[dict]) -> Explanation:
    loop = scope.loop_of_failing
    target = backward_target(code)
    in_body = [line for line, _, _ in scope.backward_calls() if loop is not None and inside(line, loop)]
    if loop is not None and min(in_body, default=None) == scope.failing:  # no earlier backward() in this pass
        names = scope.depends({target} if target else set())
        outside = [a for a in scope.before() if a.name in names and a.value is not None and not inside(a.line, loop)
                   and a.line < loop.lineno and not factory(a.value) and not isinstance(a.value, ast.Constant)]
        hint = ("torch's hint (retain_graph=True) is wrong here: it silences the error but every step goes back "
                "through the old graph again")
        if not outside:
            carried = [c for c in scope.before() if c.name in names and c.value is not None and inside(c.line, loop)
                       and c.name in names_read(c.value)]
            where = f" ({carried[0].name}, line {carried[0].line})" if carried else ""
            return Explanation(
                f"backward() on line {scope.failing} runs once per pass of the loop on line {loop.lineno}, and goes "
                f"back through a graph an earlier pass built and freed: a value carried from one pass to the "
                f"next{where} still holds it, like a running total of losses. Carry numbers, not graphs: add "
                f"loss.item() to a running total, or .detach() the value you carry. {hint}.",
                carried[0].line if carried else scope.failing)
        cause = outside[-1]
        return Explanation(
            f"backward() on line {scope.failing} runs once per pass of the loop on line {loop.lineno}, but it goes "
            f"back through {cause.name}, computed on line {cause.line} before the loop: the first pass freed that "
            f"graph, so the second pass fails. The cause is line {cause.line}. Move the forward computation into the "
            f"loop, so each step builds a fresh graph from the current values. {hint}, with old values.", cause.line)
    earlier = [(line, call) for line, call, _ in scope.backward_calls() if line < scope.failing]
    same = [line for line, call in earlier if isinstance(call.func.value, ast.Name) and call.func.value.id == target]
    first = (same or [line for line, _ in earlier] or [None])[0]
    if first is None:
        return Explanation(f"backward() on line {scope.failing} goes back through a graph an earlier backward() "
                           f"already freed. Pass retain_graph=True to every backward() through that graph except "
                           f"the last one.", scope.failing)
    return Explanation(
        f"The first backward() (line {first}) freed the graph's saved values, so the backward() on line "
        f"{scope.failing} has nothing to go back through. The fix belongs on line {first}, not on line "
        f"{scope.failing}: pass retain_graph=True there (every backward() through the same graph but the last one "
        f"needs it), or recompute the forward before calling backward() again.", first)


def _modified_inplace(scope: Scope, message: str, code: str, evidence: Sequence[dict]) -> Explanation:
    op = re.search(r"output \d+ of (\w+?)(?:Backward\d*)?\b", message)
    saved_line = _forward_line(evidence, scope)
    saved = {a.name for a in scope.assigns if a.line == saved_line} if saved_line else set()
    if not saved:
        target = backward_target(code)
        saved = scope.depends({target} if target else set())
    after = saved_line or 0
    culprits = [c for c in scope.inplace if c[1] in saved and after < c[0] <= scope.failing]
    what = f"{op.group(1).lower()}" if op else "an operation"
    made = f" on line {saved_line}" if saved_line else ""
    if not culprits:
        return Explanation(
            f"A tensor that {what}{made} saved to compute its gradient was changed in place before backward() "
            f"(line {scope.failing}) needed it. Replace in-place operations (x += 1, x[0] = ..., x.clamp_(...)) on "
            f"the values of the graph with their out-of-place forms (x = x + 1, x = x.clamp(...)).",
            saved_line or scope.failing)
    line, name, how, fix = culprits[0]
    return Explanation(
        f"Line {line} changes {name} in place ({how}), but {what}{made} had saved {name} to compute its gradient; "
        f"backward() on line {scope.failing} found it changed. The cause is line {line}: use the out-of-place form "
        f"({fix}), which leaves the saved values alone.", line)


def _leaf_inplace(scope: Scope, message: str, code: str, evidence: Sequence[dict]) -> Explanation:
    if ".grad" in code:
        return Explanation(
            f"Line {scope.failing} updates a parameter in place while autograd is recording, so the update itself "
            f"would become part of the graph. Wrap the update in `with torch.no_grad():` (w -= lr * w.grad), or "
            f"use an optimizer. Do not rebind the name instead (w = w - lr * w.grad): that makes a new tensor and "
            f"the caller's w never changes.", scope.failing)
    return Explanation(
        f"Line {scope.failing} changes a leaf tensor that requires grad in place: autograd needs its original values "
        f"to compute its gradient. Work on a copy (y = x.clone(), then change y) or write it out of place "
        f"(y = x + 1, y = x.clamp(...)).", scope.failing)


def _numpy(scope: Scope, message: str, code: str, evidence: Sequence[dict]) -> Explanation:
    later = [line for line, _, _ in scope.backward_calls() if line > scope.failing]
    head = (f"Line {scope.failing} calls .numpy() on a tensor that autograd is tracking. NumPy knows nothing of "
            f"autograd: whatever you compute from the array has no gradient.")
    if later:
        return Explanation(f"{head} Here the value is needed for a gradient (backward() on line {later[0]}), so "
                           f"torch's hint, .detach().numpy(), would cut the graph and leave the gradients None or "
                           f"wrong. Keep the computation in torch (torch.exp, torch.sum, torch.mean, x @ w instead "
                           f"of np.exp, np.sum, np.mean, np.dot).", scope.failing)
    return Explanation(f"{head} If the value is needed for a gradient, keep the computation in torch (torch.exp, "
                       f"torch.sum ... instead of np.exp, np.sum); only for a value you print or plot is torch's "
                       f"hint right: x.detach().numpy().", scope.failing)


def _int_dtype(scope: Scope, message: str, code: str, evidence: Sequence[dict]) -> Explanation:
    cause = scope.failing
    name = re.search(r"(\w+)\s*\.\s*requires_grad", code)
    if name:
        made = last_assignment(scope, name.group(1))
        cause = made.line if made else cause
    return Explanation(
        f"Only floating-point tensors can have gradients, and the tensor {'made on' if cause != scope.failing else 'on'}"
        f" line {cause} holds integers (torch.tensor(3) or torch.arange(5) make integers). Make it a float "
        f"tensor: write 3.0 instead of 3, pass dtype=torch.float32, or call .float() before requires_grad.", cause)


def _matmul(scope: Scope, message: str, code: str, evidence: Sequence[dict]) -> Explanation:
    shapes = re.search(r"\((\d+)x(\d+) and (\d+)x(\d+)\)", message)
    if shapes:
        rows, inner, other, cols = shapes.groups()
        sizes = (f"the left matrix is {rows}x{inner} and the right one {other}x{cols}: the left one's columns "
                 f"({inner}) must equal the right one's rows ({other})")
    elif vector := re.search(r"mat \((\d+)x(\d+)\), vec \((\d+)\)", message):
        rows, inner, length = vector.groups()
        sizes = (f"the matrix is {rows}x{inner} and the vector has {length} values: the matrix's columns ({inner}) "
                 f"must equal the vector's length ({length})")
    else:
        sizes = f"torch says: {message.split(chr(10))[0][:200]}"
    return Explanation(
        f"The matrix product on line {scope.failing} has operands whose sizes do not fit: {sizes}. Check the order "
        f"(x @ w, not w @ x) and whether one operand needs a transpose (.T) or a different shape; print the "
        f".shape of both to see.", scope.failing)


def _elementwise(scope: Scope, message: str, code: str, evidence: Sequence[dict]) -> Explanation:
    sizes = re.search(r"tensor a \((\d+)\) must match the size of tensor b \((\d+)\) at non-singleton dimension "
                      r"(-?\d+)", message)
    a, b, dim = sizes.groups() if sizes else ("?", "?", "?")
    return Explanation(
        f"Line {scope.failing} combines two tensors element by element, but along dimension {dim} one has {a} "
        f"entries and the other {b}; torch can only stretch (broadcast) a dimension of size 1. Print the .shape of "
        f"both: a wrong transpose, a missing .unsqueeze(), or a sum over the wrong dim (dim=0 vs dim=1) is the "
        f"usual cause.", scope.failing)


def _context(scope: Scope, message: str, code: str, evidence: Sequence[dict]) -> Explanation:
    name = re.search(r"torch\.(?:autograd\.)?(\w+)\s*:", code)
    called = name.group(1) if name else "no_grad"
    return Explanation(
        f"Line {scope.failing} writes `with torch.{called}:` without parentheses: torch.{called} is a class, and "
        f"`with` needs an object made from it. Write `with torch.{called}():`.", scope.failing)


def _none_grad(scope: Scope, message: str, code: str, evidence: Sequence[dict]) -> Explanation | None:
    names = re.findall(r"\b(\w+)\.grad\b", code)
    if not names:
        return None
    rebound = _rebound(scope, set(names))
    if rebound is not None:
        return rebound
    name = names[0]
    made = last_assignment(scope, name)
    backward = [line for line, _, _ in scope.backward_calls() if line < scope.failing]
    if made is not None and made.value is not None and not factory(made.value):
        first = backward[0] if backward else scope.failing
        return Explanation(
            f"{name}.grad is None on line {scope.failing}: {name} is not a leaf but the result of an operation (line "
            f"{made.line}), and backward() keeps .grad only for leaves. Call {name}.retain_grad() before backward() "
            f"(line {first}) to keep it, or read the gradient of the leaf you meant.", made.line)
    if not backward:
        return Explanation(f"{name}.grad is None on line {scope.failing}: no backward() ran before it in this "
                           f"function. Call backward() on the result first, then read {name}.grad.", scope.failing)
    return Explanation(f"{name}.grad is None on line {scope.failing}: backward() (line {backward[0]}) did not reach "
                       f"{name}. Make sure {name} requires grad and that the value you called backward() on was "
                       f"computed from it, outside torch.no_grad() and without .detach().", backward[0])


_HANDLERS = (
    (lambda k, m, c: "does not require grad and does not have a grad_fn" in m, _no_grad_fn),
    (lambda k, m, c: "grad can be implicitly created only for scalar outputs" in m, _non_scalar),
    (lambda k, m, c: "backward through the graph a second time" in m, _backward_twice),
    (lambda k, m, c: "modified by an inplace operation" in m, _modified_inplace),
    (lambda k, m, c: "leaf Variable that requires grad is being used in an in-place operation" in m, _leaf_inplace),
    (lambda k, m, c: "Can't call numpy() on Tensor that requires grad" in m, _numpy),
    (lambda k, m, c: "floating point and complex dtype can require gradients" in m, _int_dtype),
    (lambda k, m, c: "shapes cannot be multiplied" in m or "size mismatch, got input" in m, _matmul),
    (lambda k, m, c: "must match the size of tensor b" in m, _elementwise),
    (lambda k, m, c: ("context manager protocol" in m or m == "__enter__")
        and re.search(r"\btorch\.(autograd\.)?(" + "|".join(CONTEXTS) + r")\s*:", c) is not None, _context),
    (lambda k, m, c: "NoneType" in m and ".grad" in c, _none_grad),
)


# ---- the rebinding case and the anomaly evidence --------------------------------------------------------------

def _rebound(scope: Scope, names: set[str]) -> Explanation | None:
    """The rebinding case: `w = w - lr * w.grad` makes a new tensor, so the next step's w.grad is gone."""
    for a in scope.before():
        if a.name in names and a.value is not None and a.name in names_read(a.value) and reads_grad(a.value, a.name):
            where = " inside torch.no_grad()" if a.no_grad else ""
            return Explanation(
                f"Line {a.line} rebinds {a.name} to a new tensor ({a.name} = ... {a.name}.grad ...){where}: the new "
                f"{a.name} is not the tensor the caller passed in, it has no gradient of its own, and the caller's "
                f"{a.name} never changes. On the next step backward() (or {a.name}.grad) fails. The cause is line "
                f"{a.line}: {UPDATE_IN_PLACE}.", a.line, "unchanged")
    return None


def _forward_line(evidence: Sequence[dict], scope: Scope) -> int | None:
    """The student's innermost line in the forward traceback anomaly mode recorded for the op whose backward failed."""
    lines = [f.get("line") for f in evidence if isinstance(f.get("line"), int)]
    return lines[-1] if lines else None


