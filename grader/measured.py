"""Judge the checks measured on live objects (gradcheck, hooks, flag) and the finite check, in the grading process."""

from __future__ import annotations

import re
from typing import Any

import torch

from .diagnose import Finding
from .exercise import Check, Exercise

ABSENT = object()
SHOWN = 800  # characters of gradcheck's report shown when its Jacobians cannot be read
SHOWN_ENTRIES = 3  # the first differing Jacobian entries named


def measurement(values: dict, check: Check) -> Any:
    """What the child (or oracle) measured for this check: a hook count, a flag, a gradcheck verdict; or ABSENT."""
    node = (values.get("measures") or {}).get(check.name)
    if not isinstance(node, dict):
        return ABSENT
    tag = node.get("t")
    if tag == "hooks" and check.kind == "hooks":
        return node["count"]
    if tag == "flag" and check.kind == "flag":
        return node["value"] if node["value"] is not None else ("not a bool", node.get("cls", "?"))
    if tag == "gradcheck" and check.kind == "gradcheck":
        return node
    return ABSENT


def _unmeasured(check: Check, values: dict, whose: str) -> Finding:
    node = (values.get("measures") or {}).get(check.name)
    if isinstance(node, dict) and node.get("t") == "missing":
        why = node["why"]
    elif isinstance(node, dict) and node.get("t") == "error":
        why = f"{node['type']}: {node['message']}"
    else:
        why = "nothing was measured"
    what = check.target or "the contract's code"
    if whose == "reference":
        return Finding(check.diagnosis, f"{what}: the exercise's own measurement failed on the reference ({why}); "
                       f"this is a bug in the exercise, not in your code.")
    return Finding(check.diagnosis if check.kind == "flag" else check.kind,
                   f"{what}: could not be measured on your code: {why}.")


def judge_measured(check: Check, exercise: Exercise, expected: dict, actual: dict) -> Finding | None:
    """A gradcheck, hooks or flag check: the student's measurement against `expect:` or the reference's."""
    got = measurement(actual, check)
    if got is ABSENT:
        return _unmeasured(check, actual, "student")
    if check.kind == "gradcheck":
        return None if got["ok"] else _gradcheck_failed(check, exercise, got["message"])
    want = check.expect if check.expect is not None else measurement(expected, check)
    if want is ABSENT:
        return _unmeasured(check, expected, "reference")
    if got == want:
        return None
    t = check.target
    if check.kind == "hooks":
        if got > want:
            return Finding("hooks", f"{t}: {got} hook(s) still registered after the call, expected {want}.\nA hook "
                           f"stays until it is removed: keep the handle that register_hook (or "
                           f"register_forward_hook) returns and call handle.remove() once the hook has done its job.")
        return Finding("hooks", f"{t}: {got} hook(s) registered after the call, expected {want}.\nRegister the hook "
                       f"the exercise asks for, and keep it registered.")
    if isinstance(got, tuple):
        return Finding(check.diagnosis, f"{t}: is a {got[1]}, not True or False.")
    return Finding(check.diagnosis, f"{t}: got {got}, expected {want}.")


def _gradcheck_failed(check: Check, exercise: Exercise, message: str) -> Finding:
    found = re.search(r"for output (\d+) with respect to input (\d+)", message)
    out_index, in_index = (int(found.group(1)), int(found.group(2))) if found else (-1, -1)
    names, returns = exercise.input_names, exercise.contract.returns
    x = names[in_index] if 0 <= in_index < len(names) else "the input"
    y = returns[out_index] if 0 <= out_index < len(returns) and not check.target else "out"
    where = f" with respect to {x}" if found else ""
    subject = check.target or (f"{exercise.contract.function}.backward" if exercise.contract.base else
                               f"{exercise.contract.function}")
    detail = _bad_entries(message, x, y) or message.strip()[:SHOWN]
    if exercise.contract.base == "torch.autograd.Function":
        advice = ("backward must return, for each input of forward, grad_output times the derivative of forward's "
                  "output with respect to that input (for y = f(x): grad_output * f'(x)).")
    else:
        advice = ("The gradients autograd gets from your code disagree with the derivative of what it computes: look "
                  "for a gradient made by hand (a custom Function's backward, a hook that changes gradients) or for "
                  "values autograd cannot see (.detach(), .item(), .data) mixed into the result.")
    return Finding("gradcheck", f"{subject}: gradcheck failed{where}: backward disagrees with finite differences "
                   f"(float64).\n{detail}\n{advice}")


def _bad_entries(message: str, x: str, y: str) -> str:
    """The first entries where gradcheck's two Jacobians (rows: input elements, columns: output elements) differ."""
    numerical, analytical = _matrix(message, "numerical:"), _matrix(message, "analytical:")
    if not numerical or len(numerical) != len(analytical):
        return ""
    bad = []
    for i, (row_n, row_a) in enumerate(zip(numerical, analytical)):
        if len(row_n) != len(row_a):
            return ""
        bad += [f"d{y}[{j}]/d{x}[{i}]: finite differences {n:g}, your backward {a:g}"
                for j, (n, a) in enumerate(zip(row_n, row_a)) if not abs(n - a) <= 1e-4 + 1e-3 * abs(n)]
    if not bad:
        return ""
    more = f" (and {len(bad) - SHOWN_ENTRIES} more)" if len(bad) > SHOWN_ENTRIES else ""
    return "; ".join(bad[:SHOWN_ENTRIES]) + more + " (indices into the flattened tensors)."


def _matrix(message: str, label: str) -> list[list[float]]:
    """A Jacobian as torch printed it in gradcheck's report; [] when it was cut short ('...') or is not there."""
    start = message.find(label)
    if start < 0:
        return []
    text = message[start + len(label):]
    text = text[:text.find(")") + 1]
    if "..." in text or not text.startswith("tensor("):
        return []
    body = text[len("tensor("):text.rfind("]") + 1]
    rows = re.findall(r"\[([^\[\]]*)\]", body)
    number = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|[-+]?inf|nan"
    try:
        return [[float(v) for v in re.findall(number, row)] for row in rows]
    except ValueError:
        return []


def judge_finite(check: Check, values: torch.Tensor | str) -> Finding | None:
    """No NaN and no inf in the target's values (compare.as_tensor of the encoded data, or why there are none)."""
    if not isinstance(values, torch.Tensor):
        return Finding("nonfinite", f"{check.target}: expected numbers to check, got {values}.")
    bad = ~torch.isfinite(values)
    if not bool(bad.any()):
        return None
    nan, inf = int(torch.isnan(values).sum()), int(torch.isinf(values).sum())
    first = [int(i) for i in bad.nonzero()[0]] if values.dim() else []
    at = f" (the first at [{', '.join(map(str, first))}]: {float(values[tuple(first)])})" if first else ""
    parts = [f"{nan} NaN" if nan else "", f"{inf} infinite" if inf else ""]
    return Finding("nonfinite", f"{check.target}: {' and '.join(p for p in parts if p)} of {values.numel()} "
                   f"entr{'y' if values.numel() == 1 else 'ies'}{at}.\nUsual causes: log of 0, division by 0, exp "
                   f"overflowing. Use torch.log_softmax or torch.logsumexp instead of log(softmax) or log(sum(exp)), "
                   f"and clamp before a log or a division (x.clamp_min(1e-12)).")
