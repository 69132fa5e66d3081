"""Observation versus expectation -> one check result with a diagnosis. Runs only in the grading process."""

from __future__ import annotations

from typing import Any

import torch

from .context import read_context
from .diagnose import Finding, missing_grad, show, tensor_mismatch, unexpected_grad
from .exercise import Check, Exercise, Mistake
from .kinds import kind_mismatch, kind_of
from .measured import ABSENT, judge_finite, judge_measured, measurement
from .sandbox.observe import PLAIN_DTYPES

MISSING = {"t": "missing", "why": "nothing by that name came back"}
# judged on the student's run alone, never against a mistake
ABSOLUTE = ("no_autograd", "not_aliased", "unmutated", "gradcheck", "finite")
SHOWN_NAMES = 10  # names listed when an `equal` check shows a list of names
FLAGS = ("requires_grad", "is_leaf", "grad_fn")


def resolve(values: dict, path: str) -> Any:
    """Follow a dotted target such as 'Q', 'args.w', 'model.fc.weight' or 'losses.0' through encoded values."""
    head, *rest = path.split(".")
    if head == "args" and rest:
        node, rest = values["args"].get(rest[0], MISSING), rest[1:]
    else:
        groups = (values["returns"], values["args"], values["probes"])
        node = next((g[head] for g in groups if head in g), MISSING)
    while rest and isinstance(node, dict):
        key = rest[0]
        tag = node.get("t")
        if tag == "module":
            return _submodule(node, ".".join(rest))
        if tag == "tensor" and key == "grad":
            node = node.get("grad")
        elif tag in ("list", "tuple") and key.isdigit() and int(key) < len(node["items"]):
            node = node["items"][int(key)]
        elif tag == "dict" and key in node["items"]:
            node = node["items"][key]
        else:
            return MISSING
        rest = rest[1:]
    return MISSING if rest else node


def _submodule(module: dict, name: str) -> Any:
    if name in module["params"]:
        return module["params"][name]
    prefix = name + "."
    params = {k[len(prefix):]: v for k, v in module["params"].items() if k.startswith(prefix)}
    if not params and name not in module["modules"]:
        return MISSING
    modules = {k[len(prefix):] if k != name else "": v for k, v in module["modules"].items()
               if k == name or k.startswith(prefix)}
    return {"t": "module", "cls": module["modules"].get(name, "Module"), "params": params, "modules": modules}


def as_tensor(node: Any) -> torch.Tensor | str:
    """A float64 tensor for numbers, lists of numbers and tensors; otherwise why it is not one."""
    if isinstance(node, bool) or isinstance(node, (int, float)):
        return torch.tensor(float(node), dtype=torch.float64)
    if not isinstance(node, dict):
        return "nothing (None)"
    tag = node.get("t")
    if tag == "tensor":
        if node.get("subclass"):
            return f"a tensor subclass '{node['cls']}' (return a plain torch.Tensor)"
        if node["data"] is None:
            if not node["numel"]:
                return "an empty tensor"
            if node["dtype"] not in PLAIN_DTYPES:
                return f"a {node['dtype']} tensor (only real numbers and bools can be compared)"
            return f"a tensor too large to compare ({node['numel']} elements)"
        return torch.tensor(node["data"], dtype=torch.float64).reshape(node["shape"])
    if tag in ("list", "tuple") and node["items"]:
        parts = [as_tensor(item) for item in node["items"]]
        if all(isinstance(p, torch.Tensor) for p in parts) and len({p.shape for p in parts}) == 1:
            return torch.stack(parts)  # type: ignore[arg-type]
    if tag == "missing":
        return node["why"]
    if tag == "float":
        return torch.tensor(float(node["text"]), dtype=torch.float64)
    if tag == "error":  # a probe that raised: say what it raised, not "a error"
        return f"an exception in the probe ({node.get('type')}: {node.get('message')})"
    cls = node.get("cls", tag)
    return "a numpy array" if cls == "ndarray" else f"a {cls}"


def _tensor_fields(label: str, node: Any) -> dict | Finding:
    if isinstance(node, dict) and node.get("t") == "tensor" and not node.get("subclass"):
        return node
    what = as_tensor(node)
    kind = kind_of(node)
    instead = (f" Keep {label} the tensor itself, not {label}.item() or float({label}): a Python number has no "
               f"gradient." if kind == "number" else
               f" Keep {label} the tensor itself, not {label}.detach().numpy(): a numpy array has no gradient."
               if kind == "object:ndarray" else "")
    return Finding("value", f"{label}: expected a tensor, got {what if isinstance(what, str) else show(what)}."
                   f"{instead}")


def _values(check: Check, exercise: Exercise, label: str, expected: Any, actual: Any, before: dict,
            rtol: float, atol: float, *, grad: bool, backward_calls: int | None = None) -> Finding | None:
    want, got = as_tensor(expected), as_tensor(actual)
    if not isinstance(want, torch.Tensor):
        if expected is None and actual is None:  # e.g. no .grad expected and none there
            return None
        got_text = show(got) if isinstance(got, torch.Tensor) else got
        if expected is None and grad and isinstance(got, torch.Tensor):
            return Finding("requires_grad", f"{label}: expected {want}, got {got_text}.\n"
                           f"{label.removesuffix('.grad')} should not get a gradient: it must not require grad.")
        if expected is None:
            return Finding("value", f"{label}: expected {want}, got {got_text}.")
        return Finding("value", f"{label}: the expected result is {want}, so the grader cannot check this answer "
                       f"(got {got_text}); this check fails until the exercise or limits.max_tensor_elements "
                       f"is fixed.")
    if not isinstance(got, torch.Tensor):
        return Finding("value", f"{label}: expected {show(want)}, got {got}.")
    name = check.target.removeprefix("args.")
    # only a value check on an input can find it unchanged; a gradient equal to the input's values is no such sign
    original = as_tensor(before[name]) if not grad and name in before and name in exercise.input_names else None
    return tensor_mismatch(label, want, got, rtol=rtol, atol=atol, grad=grad, backward_calls=backward_calls,
                           original=original if isinstance(original, torch.Tensor) else None,
                           context=read_context(exercise, before))


def _flag(check: Check, expected: Any, actual: Any, field: str, code: str) -> Finding | None:
    node = _tensor_fields(check.target, actual)
    if isinstance(node, Finding):
        return node
    want = check.expect if check.expect is not None else (expected or {}).get(field)
    got = node.get(field)
    if got == want:
        return None
    t = check.target
    advice = {
        ("requires_grad", True): f"{t} must track gradients: create it with requires_grad=True, and do not make it "
                                 f"under torch.no_grad() or with .detach().",
        ("requires_grad", False): f"{t} must not track gradients: make it under torch.no_grad() or with .detach(), "
                                  f"and do not switch requires_grad on.",
        ("is_leaf", True): f"{t} must be a leaf: create it directly (torch.tensor(..., requires_grad=True)) rather "
                           f"than as the result of an operation such as .float() or * 1.",
        ("is_leaf", False): f"{t} must be computed from the inputs so it stays in the graph; do not detach() it or "
                            f"make a fresh tensor.",
    }.get((field, want), f"{t} must come from {want}: use the operation the exercise asks for (autograd records "
                         f"the last operation that made a tensor in grad_fn).")
    return Finding(code, f"{t}.{field}: got {got}, expected {want}.\n{advice}")


def _trainable(check: Check, expected: Any, actual: Any) -> Finding | None:
    if not (isinstance(actual, dict) and actual.get("t") == "module"):
        return Finding("value", f"{check.target}: expected a module, got {as_tensor(actual)}.")
    def trainable(module: dict) -> set:
        return {n for n, p in module["params"].items()
                if p.get("requires_grad") and not any(n == e or n.startswith(e + ".") for e in check.exclude)}
    want, got = trainable(expected), trainable(actual)
    if want == got:
        return None
    parts = []
    if want - got:
        parts.append(f"frozen but should train: {_names(want - got)}")
    if got - want:
        parts.append(f"trainable but should be frozen: {_names(got - want)}")
    return Finding("frozen", f"{check.target}: {'; '.join(parts)}.\nFreeze with p.requires_grad_(False) for every "
                   f"parameter first, then replace the head: a new nn.Linear is trainable by default.")


def _names(names: set) -> str:
    listed = sorted(names)
    return ", ".join(listed[:6]) + (f" and {len(listed) - 6} more" if len(listed) > 6 else "")


def _optimizer(check: Check, expected_values: dict, actual_values: dict) -> Finding | None:
    def held(values: dict) -> set | None:
        opt, module = resolve(values, check.target), resolve(values, check.module)
        if not (isinstance(opt, dict) and opt.get("t") == "optimizer" and isinstance(module, dict)
                and module.get("t") == "module"):
            return None
        names = {p["ref"]: n for n, p in module["params"].items()}
        return {names.get(p["ref"], "<a tensor not in the model>") for g in opt["groups"] for p in g["params"]}
    want, got = held(expected_values), held(actual_values)
    if got is None:
        return Finding("value", f"{check.target}: expected a torch.optim optimizer over {check.module}'s parameters.")
    module = resolve(actual_values, check.module)
    ok = got == want or (check.allow_extra and want <= got <= set(module["params"]))
    if ok:
        return _optimizer_settings(check, resolve(expected_values, check.target), resolve(actual_values, check.target))
    missing, stray = (want or set()) - got, got - set(module["params"])
    detail = []
    if missing:
        detail.append(f"it does not hold {_names(missing)}, so those never train")
    if stray:
        detail.append("it holds tensors that are not in the model (was it created before the head was replaced?)")
    if not detail:
        detail.append(f"it holds {_names(got - (want or set()))} as well")
    return Finding("frozen", f"{check.target}: {'; '.join(detail)}.\nCreate the optimizer after replacing the head, "
                   f"from the parameters that must train (the new head's .parameters()).")


SETTINGS = ("lr", "momentum", "weight_decay", "dampening", "nesterov")


def _optimizer_settings(check: Check, expected: dict, actual: dict) -> Finding | None:
    """The optimizer's class and its hyperparameters (first parameter group) as the reference's."""
    if actual["cls"] != expected["cls"]:
        return Finding("value", f"{check.target}: got a {actual['cls']} optimizer, expected {expected['cls']}.\n"
                       f"Use torch.optim.{expected['cls']} as the exercise asks.")
    want = expected["groups"][0]["options"] if expected["groups"] else {}
    got = actual["groups"][0]["options"] if actual["groups"] else {}
    wrong = [f"{key}={got.get(key)!r} (expected {want[key]!r})" for key in SETTINGS
             if key in want and got.get(key) != want[key]]
    if not wrong:
        return None
    return Finding("value", f"{check.target}: {', '.join(wrong)}.\nPass the settings the exercise gives when you create "
                   f"the optimizer.")


def _failed(node: Any) -> bool:
    return isinstance(node, dict) and node.get("t") == "error"


def _plain(node: Any) -> Any:
    """Encoded data back to plain Python for an exact comparison: text, numbers, lists, dicts, tensor values."""
    if not isinstance(node, dict):
        return node
    tag = node.get("t")
    if tag == "str":
        return node["text"]
    if tag in ("list", "tuple"):
        return [_plain(item) for item in node["items"]]
    if tag == "dict":
        return {key: _plain(value) for key, value in node["items"].items()}
    if tag == "tensor":
        return {"tensor": node.get("data"), "shape": node.get("shape")}
    if tag == "float":
        return float(node["text"])
    if tag == "missing":
        return f"<{node['why']}>"
    return f"<{node.get('cls', tag)}>"


def _render(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        more = f" and {len(value) - SHOWN_NAMES} more" if len(value) > SHOWN_NAMES else ""
        return "[" + ", ".join(value[:SHOWN_NAMES]) + more + "]"
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def _equal(check: Check, expected: Any, actual: Any) -> Finding | None:
    """Exact comparison of plain data such as a probe's sorted list of names."""
    t = check.target
    if _failed(expected):
        return Finding("value", f"{t}: the exercise's own check failed on the reference ({expected['type']}: "
                       f"{expected['message']}); this is a bug in the exercise, not in your code.")
    if _failed(actual):
        return Finding("value", f"{t}: could not be measured on what your function returned: {actual['type']}: "
                       f"{actual['message']}.\nMake sure the objects you return still work as the exercise "
                       f"describes (for a model: a forward pass on a batch of the right shape).")
    want, got = _plain(expected), _plain(actual)
    if want == got:
        return None
    detail = ""
    names = isinstance(want, list) and isinstance(got, list) and all(isinstance(v, str) for v in want + got)
    if names and max(len(want), len(got)) > SHOWN_NAMES:  # the lists are cut short: name the differences
        parts = []
        if set(want) - set(got):
            parts.append(f"missing: {_names(set(want) - set(got))}")
        if set(got) - set(want):
            parts.append(f"not expected: {_names(set(got) - set(want))}")
        detail = f" ({'; '.join(parts)})" if parts else ""
    return Finding(check.diagnosis, f"{t}: got {_render(got)}, expected {_render(want)}{detail}.")


def _unmutated(check: Check, before: dict, actual: Any, rtol: float, atol: float) -> Finding | None:
    name = check.target.removeprefix("args.")
    original, node = before.get(name), _tensor_fields(check.target, actual)
    if isinstance(node, Finding) or not isinstance(original, dict):
        return node if isinstance(node, Finding) else None
    changes = []
    if node["requires_grad"] != original["requires_grad"]:
        changes.append(f"requires_grad went from {original['requires_grad']} to {node['requires_grad']}")
    if node.get("grad") is not None and original.get("grad") is None:
        changes.append(".grad was filled in (backward() ran through it)")
    want, got = as_tensor(original), as_tensor(node)
    if isinstance(want, torch.Tensor) and isinstance(got, torch.Tensor) and tensor_mismatch(
            name, want, got, rtol=rtol, atol=atol) is not None:
        changes.append(f"its values changed from {show(want)} to {show(got)}")
    if not changes:
        return None
    return Finding("mutated_input", f"{name} was changed: {'; '.join(changes)}.\nLeave the inputs as they came: do not "
                   f"call backward() when only a forward pass is asked for, and work under torch.no_grad() or on "
                   f".detach() copies instead of switching flags or writing in place.")


def _aliased(check: Check, actual_values: dict) -> Finding | None:
    seen: dict = {}
    for target in check.targets:
        node = resolve(actual_values, target)
        if isinstance(node, dict) and node.get("t") == "tensor" and node.get("storage") is not None:
            key = node["storage"]
            if key in seen:
                return Finding("aliased", f"{seen[key]} and {target} are the same tensor (they share memory), so "
                               f"they show the same final values.\nReturn copies taken at each step, e.g. "
                               f"x.grad.clone(), instead of the same .grad tensor several times.")
            seen[key] = target
    return None


def _wrong_kind(check: Check, exercise: Exercise, expected: dict, actual: dict) -> Finding | None:
    """A returned value the check reads (or a container on its way) that is another kind than the reference's."""
    if "returns" not in expected:
        return None
    for target in (*check.targets, check.target, check.module):
        parts = target.split(".")
        if parts[0] not in exercise.contract.returns:  # inputs and probes are the grader's to build, not returned
            continue
        for end in range(1, len(parts) + 1):
            path = ".".join(parts[:end])
            want, got = resolve(expected, path), resolve(actual, path)
            finding = kind_mismatch(path, want, got, exercise.contract)
            if finding is not None:
                return finding
            if not isinstance(want, dict) or want.get("t") == "tensor":
                break  # past a tensor lies only its .grad, whose None-or-not the grad check itself explains
    return None


def judge(check: Check, exercise: Exercise, expected: dict, actual: dict, *, before: dict, autograd_calls: int,
          rtol: float, atol: float) -> Finding | None:
    """Compare one trial's observation with the expectation for one check; None means it passed."""
    kind, target = check.kind, check.target
    if kind == "no_autograd":
        if autograd_calls == 0:
            return None
        how = "replaced torch's autograd engine" if autograd_calls < 0 else f"ran autograd {autograd_calls} time(s)"
        return Finding("used_autograd", f"The submission {how} (backward() or torch.autograd.grad; wherever it runs, "
                                        f"loading the file included, it counts).\nThis exercise asks for the "
                                        f"gradients by hand: apply the chain rule with plain tensor arithmetic.")
    if kind in ("gradcheck", "hooks", "flag"):
        return judge_measured(check, exercise, expected, actual)
    wrong = _wrong_kind(check, exercise, expected, actual)
    if wrong is not None:
        return wrong
    if kind == "finite":
        return judge_finite(check, as_tensor(resolve(actual, target)))
    if kind == "not_aliased":
        return _aliased(check, actual)
    if kind == "optimizer":
        return _optimizer(check, expected, actual)
    want, got = resolve(expected, target), resolve(actual, target)
    if _failed(want) or _failed(got) or kind == "equal" and not isinstance(as_tensor(want), torch.Tensor):
        return _equal(check, want, got)  # a probe that raised is explained there, with its exception, for any kind
    if kind in ("value", "equal"):
        finding = _values(check, exercise, target, want, got, before, rtol, atol, grad=False)
        if finding is not None and kind == "equal":
            return Finding(check.diagnosis, finding.message)
        return finding
    if kind == "grad":
        # the autograd count tells accumulated from scaled, when it saw the backward() that filled .grad (> 0)
        # and the engine was not replaced (-1)
        node = _tensor_fields(target, got)
        if isinstance(node, Finding):
            return node
        expected_grad = (want or {}).get("grad") if isinstance(want, dict) else None
        if node.get("grad") is None and expected_grad is not None:
            return missing_grad(target, node)
        if expected_grad is None and node.get("grad") is not None and isinstance(want, dict) \
                and want.get("t") == "tensor":
            return unexpected_grad(target, want, node)
        return _values(check, exercise, f"{target}.grad", expected_grad, node.get("grad"), before, rtol, atol,
                       grad=True, backward_calls=autograd_calls if autograd_calls > 0 else None)
    if kind == "shape":
        node = _tensor_fields(target, got)
        if isinstance(node, Finding) or node["shape"] == want.get("shape"):
            return node if isinstance(node, Finding) else None
        return Finding("shape", f"{target}: got shape {tuple(node['shape'])}, expected {tuple(want['shape'])}.\n"
                       f"Check the sizes you pass when you build it (for a new layer: in_features and out_features).")
    if kind in FLAGS:
        return _flag(check, want, got, kind, {"is_leaf": "not_leaf"}.get(kind, kind))
    if kind == "trainable":
        return _trainable(check, want, got)
    return _unmutated(check, before, got, rtol, atol)


_ABSENT = object()


def _field(values: dict, check: Check) -> Any:
    """The flag a flag check reads (requires_grad, is_leaf or grad_fn) of its target, or _ABSENT."""
    node = resolve(values, check.target)
    if isinstance(node, dict) and node.get("t") == "tensor" and not node.get("subclass"):
        return node.get(check.kind)
    return _ABSENT


def match_mistake(check: Check, exercise: Exercise, expected: dict, mistakes: dict, actual: dict, *,
                  before: dict, autograd_calls: int, rtol: float, atol: float) -> Mistake | None:
    """The known mistake whose result the student's matches, where that result differs from the reference."""
    if check.kind in ABSOLUTE:
        return None
    for mistake in exercise.mistakes:
        values = mistakes.get(mistake.id)
        if values is None or (mistake.checks and check.name not in mistake.checks):
            continue
        if check.kind in (*FLAGS, "hooks", "flag"):  # judge() holds these to check.expect: compare runs directly
            field = _field if check.kind in FLAGS else measurement
            mine, theirs = field(actual, check), field(values, check)
            want = check.expect if check.expect is not None else field(expected, check)
            if theirs is not _ABSENT and theirs is not ABSENT and mine == theirs and theirs != want:
                return mistake
            continue
        kwargs = dict(before=before, autograd_calls=autograd_calls, rtol=rtol, atol=atol)
        if (judge(check, exercise, values, actual, **kwargs) is None
                and judge(check, exercise, expected, values, **kwargs) is not None):
            return mistake
    return None
