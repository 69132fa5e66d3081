"""What a numeric mismatch most likely means: accumulated, sign, scaled, summed, transposed, shape, unchanged."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .context import Context

MAX_SHOWN = 6


@dataclass(frozen=True)
class Finding:
    """A diagnosis code and the sentences that explain it to the student."""

    code: str
    message: str


def number(x: float) -> str:
    return f"{x:.6g}"


def show(t: torch.Tensor) -> str:
    """A short rendering: the first few values, and the shape when it is not a plain scalar."""
    if t.dim() == 0:
        return number(t.item())
    flat = t.reshape(-1).tolist()
    body = ", ".join(number(v) for v in flat[:MAX_SHOWN]) + (", ..." if len(flat) > MAX_SHOWN else "")
    return f"[{body}] (shape {tuple(t.shape)})"


def close(a: torch.Tensor, b: torch.Tensor, rtol: float, atol: float) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def _worst(expected: torch.Tensor, actual: torch.Tensor) -> str:
    if expected.numel() <= 1:
        return ""
    diff = (actual - expected).abs().nan_to_num(nan=float("inf"))
    flat = int(diff.reshape(-1).argmax())
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), expected.shape))
    where = ", ".join(str(i) for i in index)
    return (f"; worst at [{where}]: got {number(actual.reshape(-1)[flat].item())}, "
            f"expected {number(expected.reshape(-1)[flat].item())}")


def _ratio(expected: torch.Tensor, actual: torch.Tensor, rtol: float, atol: float) -> float | None:
    """The constant c with actual == c * expected, when there is one."""
    mask = expected.abs() > max(atol * 10, 1e-12)
    if not bool(mask.any()):
        return None
    c = float((actual[mask] / expected[mask]).median())
    if not math.isfinite(c):
        return None
    return c if close(actual, c * expected, rtol * 10, atol * 10) else None


def _nice(c: float) -> bool:
    """A factor a slip would produce: a whole number, a half (0.5, 1.5), or 1/k."""
    return abs(2 * c - round(2 * c)) < 1e-3 or abs(c) > 1e-6 and abs(1 / c - round(1 / c)) < 1e-3


def tensor_mismatch(label: str, expected: torch.Tensor, actual: torch.Tensor, *, rtol: float, atol: float,
                    grad: bool = False, original: torch.Tensor | None = None,
                    backward_calls: int | None = None, context: Context | None = None) -> Finding | None:
    """None when the tensors agree; otherwise the likeliest explanation, naming `label`.

    `backward_calls` is how many times the student's run called autograd, when known: a gradient k times too
    large is only called accumulated when autograd ran at least twice. `context` says which causes of a constant
    factor exist in the exercise (grader.context); without it, none beyond a constant in the formula is named."""
    if close(actual, expected, rtol, atol):
        return None
    if actual.shape != expected.shape:
        return _shape_mismatch(label, expected, actual, rtol, atol)
    seen = f"{label}: got {show(actual)}, expected {show(expected)}{_worst(expected, actual)}"
    if original is not None and close(actual, original, rtol, atol) and not close(expected, original, rtol, atol):
        return Finding("unchanged", f"{seen}.\n{label} still holds the values it was given: the tensor passed in was "
                       f"never updated in place. 'w = w - lr * w.grad' makes a new tensor and leaves the caller's "
                       f"unchanged; update in place under torch.no_grad() (w -= lr * w.grad) or use an optimizer.")
    if bool((torch.isfinite(expected) & ~torch.isfinite(actual)).any()):
        return Finding("value", f"{seen}.\nSome results are nan or inf where finite numbers were expected: look for "
                       f"a log or square root of a negative number, a division by zero, or an overflow.")
    if (actual.dim() == 2 and actual.shape[0] == actual.shape[1] and close(actual, expected.T, rtol, atol)):
        return _transposed(seen)
    c = _ratio(expected, actual, rtol, atol)
    if c is not None and abs(c - 1) < 0.01:
        return Finding("value", f"{seen}.\nThe values are close (within {abs(c - 1):.2%}) but outside the "
                       f"tolerance: the computation differs slightly somewhere, such as a constant or an epsilon, "
                       f"a step done once more or once less, or a gradient left over from an earlier step"
                       # rounding alone (float32 where float64 is due) stays far below 0.1%
                       f"{' (or float32 where float64 is expected)' if abs(c - 1) < 1e-3 else ''}.")
    if c is None:
        return Finding("value", f"{seen}.\nThe values differ by more than a constant factor, sign or sum: "
                       f"recheck the formula step by step against the exercise.")
    if actual.numel() == 1 and not _nice(c):  # two single numbers always have some ratio: it means nothing
        return Finding("value", f"{seen}.\nThe number is wrong, and not by a sign or a simple factor: recheck the "
                       f"formula step by step against the exercise.")
    k = round(c)
    if abs(c + 1) < 1e-3:
        return Finding("sign", f"{seen}.\nThe right size with the opposite sign: check the sign of each term "
                       f"(the derivative of -b**2 is -2b) and whether you subtract where you should add.")
    if grad and k >= 2 and abs(c - k) < 1e-3 and (backward_calls is None or backward_calls >= 2):
        return Finding("accumulated", f"{seen}.\nExactly {k}x the expected gradient: gradients accumulated over {k} "
                       f"backward() calls. .grad adds up across calls; clear it (x.grad.zero_() or "
                       f"optimizer.zero_grad()) before each backward(), or call backward() once.")
    if abs(c) < 1e-6:
        return Finding("value", f"{seen}.\nEverything is zero: the value was cleared (zero_()) before it was read, "
                       f"or computed from a detached copy.")
    return scaled(seen, c, context or Context())


def _whole(x: float) -> int | None:
    k = round(x)
    return k if k >= 2 and abs(x - k) < 1e-3 * k else None


def _causes(direction: str, k: int | None, context: Context) -> list[str]:
    """The causes of a factor k (multiplied or divided) that exist in this exercise, likeliest first."""
    causes = []
    sized = k is not None and k in context.sizes
    twice = k is not None and next((m for m in sorted(context.sizes) if m * m == k), None)
    if direction == "divided" and sized and not context.averages:
        causes.append(f"a mean where this exercise takes none: .mean() divides the result, and every gradient "
                      f"through it, by the number of elements, {k} here; use .sum() (or backward() with a gradient "
                      f"of ones) where the exercise sums")
    elif direction == "divided" and sized:
        causes.append(f"averaging twice: the exercise takes one mean, and dividing once more by n = {k} (a .mean() "
                      f"and a '/ n', or two .mean() calls) shrinks the result {k}-fold")
    elif direction == "divided" and twice:
        causes.append(f"dividing by n = {twice} twice (n * n = {k}): one division, or one mean, is too many")
    elif direction == "multiplied" and sized and context.averages:
        causes.append(f"a sum where the exercise takes a mean: divide by n = {k} (use .mean(), or "
                      f"reduction='mean', the default)")
    if context.squares and k == 2:
        causes.append("a missing 2 from the derivative of a square (d/dx x**2 = 2x)" if direction == "divided"
                      else "the 2 from the derivative of a square counted twice")
    if context.learning_rate:
        causes.append(f"the learning rate {context.learning_rate} left out or applied twice")
    if not causes:
        causes.append("a constant in the formula: compare each coefficient with the exercise")
    return causes


def scaled(seen: str, c: float, context: Context) -> Finding:
    """Explain a result that is c times the expected one, by direction and by what this exercise holds."""
    size = abs(c)
    direction = "divided" if size < 1 else "multiplied"
    k = _whole(1 / size) if size < 1 else _whole(size)
    flipped = " and its sign flipped" if c < 0 else ""
    amount = f"by {k}" if k is not None else f"by about {1 / size if size < 1 else size:.4g}"
    causes = _causes(direction, k, context)
    likely = causes[0] if len(causes) == 1 else "; or ".join(causes)
    return Finding("scaled", f"{seen}.\nEvery element is {c:.4g}x the expected value: the result was {direction} "
                   f"{amount}{flipped} somewhere. Likely cause: {likely}.")


def _shape_mismatch(label: str, expected: torch.Tensor, actual: torch.Tensor, rtol: float, atol: float) -> Finding:
    seen = f"{label}: got {show(actual)}, expected {show(expected)}"
    if actual.numel() == 1 and expected.numel() > 1:
        value = actual.reshape(())
        if close(value, expected.sum(), rtol, atol):
            return Finding("summed", f"{seen}.\nA single number equal to the sum of the expected values: the "
                           f"per-element results were summed (for example '(dloss * x).sum()' where the gradient "
                           f"of a vector needs one value per element). Drop the .sum() over that dimension.")
        if close(value, expected.mean(), rtol, atol):
            return Finding("summed", f"{seen}.\nA single number equal to the mean of the expected values: the "
                           f"per-element results were averaged away. Keep one value per element.")
    if actual.dim() == 2 and expected.dim() == 2 and close(actual, expected.T, rtol, atol):
        return _transposed(seen)
    if actual.numel() == expected.numel() and close(actual.reshape(expected.shape), expected, rtol, atol):
        return Finding("shape", f"{seen}.\nThe right values in the wrong shape: keep the shape "
                       f"{tuple(expected.shape)} (avoid flatten/view/squeeze on the way).")
    broadcast = _broadcast(expected, actual, rtol, atol)
    if broadcast is not None:
        return Finding("shape", f"{seen}.\n{broadcast}")
    return Finding("shape", f"{seen}.\nExpected shape {tuple(expected.shape)} but got {tuple(actual.shape)}: check "
                   f"which dimensions are reduced, broadcast or indexed.")


def _broadcast(expected: torch.Tensor, actual: torch.Tensor, rtol: float, atol: float) -> str | None:
    """Why `actual` has the shape of `expected` broadcast against itself with a 1 inserted, e.g. (n, 1) - (n,)."""
    want = tuple(expected.shape)
    for at in range(len(want) + 1):
        column = want[:at] + (1,) + want[at:]
        try:
            spread = tuple(torch.broadcast_shapes(column, want))
        except RuntimeError:
            continue
        if spread != tuple(actual.shape) or spread == want:
            continue
        diagonal = ""
        if actual.dim() == 2 and close(torch.diagonal(actual), expected.reshape(-1), rtol, atol):
            diagonal = " Its diagonal holds the expected values: the other elements pair every row with every column."
        return (f"Broadcasting: a tensor of shape {column} combined with one of shape {want} (for example "
                f"y_pred of shape {column} minus y of shape {want}) broadcasts to {spread} instead of "
                f"raising an error.{diagonal} Make both operands shape {want} before you combine them: remove the "
                f"extra dimension with .squeeze({at}) on the one of shape {column}.")
    return None


def _transposed(seen: str) -> Finding:
    return Finding("transposed", f"{seen}.\nThe transpose of the expected matrix: check the order of the operands "
                   f"in the matrix product (x @ w versus w @ x) and any stray .T.")


def unexpected_grad(label: str, expected: dict, tensor: dict) -> Finding:
    """Explain a .grad that should be None, from what the expected tensor says about why it has none."""
    got = tensor["grad"]
    values = show(torch.tensor(got["data"], dtype=torch.float64).reshape(got["shape"])) \
        if got.get("data") is not None else "a tensor"
    seen = f"{label}.grad: expected nothing (None), got {values}."
    if not expected.get("requires_grad"):
        return Finding("requires_grad", f"{seen}\n{label} should not get a gradient: it must not require grad.")
    if not expected.get("is_leaf"):
        return Finding("value", f"{seen}\n{label} is not a leaf, and no gradient should be kept for it: do not call "
                       f"retain_grad() on it.")
    return Finding("value", f"{seen}\n{label} requires grad, but no gradient should be left in it when the function "
                   f"returns: no backward() should reach it, or its .grad should be cleared to None "
                   f"(zero_grad() sets it to None) at the end.")


def missing_grad(label: str, tensor: dict) -> Finding:
    """Explain a .grad that is None, from what the tensor itself says."""
    if not tensor.get("requires_grad"):
        why = (f"{label} does not require grad, so autograd never computes its gradient: create it with "
               f"requires_grad=True (or call .requires_grad_()) before using it.")
    elif not tensor.get("is_leaf"):
        why = (f"{label} is not a leaf of the graph, and autograd only keeps .grad for leaves: call "
               f"{label}.retain_grad() before backward(), or make it a leaf.")
    else:
        why = (f"backward() never reached {label}: call backward() on a result computed from it, and do not "
               f"detach() or use torch.no_grad() on the way.")
    return Finding("missing_grad", f"{label}.grad is None, but a gradient was expected.\n{why}")
