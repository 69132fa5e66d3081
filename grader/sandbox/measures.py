"""Call a contract's function or class, and take the measurements some checks need on live objects.

Used alike by the child (on the student's code) and the oracle (on the reference's), so both sides measure one
way. gradcheck, hooks and flag checks are measured here; the parent judges what comes back. Everything is read
through functions captured at import, before any student code ran: a submission that patches
torch.autograd.gradcheck, Tensor._backward_hooks or Module attributes cannot change what is measured.
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from typing import Any, Callable

import torch

from ..contract import Contract, Measure
from ..exercise import Exercise
from ..inputs import build_inputs
from . import observe

_TB = torch._C.TensorBase
_Tensor, _Module, _Function = torch.Tensor, torch.nn.Module, torch.autograd.Function
BASE_CLASSES = {"torch.autograd.Function": _Function, "torch.nn.Module": _Module}
_subclass = type.__subclasscheck__  # never a metaclass's own __subclasscheck__, which a submission may define
_isinstance, _type, _len, _callable, _id, _list = isinstance, type, len, callable, id, list
_dict_len, _dict_get, _object_get = dict.__len__, dict.get, object.__getattribute__
_hook_getters = tuple(_TB.__dict__[name].__get__ for name in ("_backward_hooks", "_post_accumulate_grad_hooks"))
_tensor_flags = {name: _TB.__dict__[name].__get__ for name in ("requires_grad", "is_leaf", "retains_grad")}
_grad = _TB.__dict__["grad"].__get__
_detach, _to, _requires_grad_, _is_floating_point = _TB.detach, _TB.to, _TB.requires_grad_, _TB.is_floating_point
_double, _float64 = _Module.double, torch.float64
# The CPU generator's own seeding: torch.manual_seed also formats the Python stack for lazy CUDA/XPU/MTIA seeding
_manual_seed = torch.default_generator.manual_seed
_gradcheck = torch.autograd.gradcheck
MODULE_HOOKS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
MAX_MODULES = 1000  # submodules walked when counting a module's hooks
MAX_MESSAGE = 1500  # characters of gradcheck's report sent back


class _Saved:
    """torch.autograd.gradcheck's module as it was at import: its names, and its functions' code and defaults."""

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.names = dict(vars(module))
        self.code = {f: (f.__code__, f.__defaults__, f.__kwdefaults__) for f in self.names.values()
                     if _type(f) is types.FunctionType}

    def restore(self) -> None:
        names = self.module.__dict__
        for key in [k for k in names if k not in self.names]:
            del names[key]
        names.update(self.names)
        for f, (code, defaults, kwdefaults) in self.code.items():
            f.__code__, f.__defaults__, f.__kwdefaults__ = code, defaults, kwdefaults

    def intact(self) -> bool:
        names = self.module.__dict__
        return (_len(names) == _len(self.names) and all(names.get(k, _Saved) is v for k, v in self.names.items())
                and all((f.__code__, f.__defaults__, f.__kwdefaults__) == saved for f, saved in self.code.items()))


_GRADCHECK = _Saved(sys.modules["torch.autograd.gradcheck"])


@dataclass(frozen=True)
class Guard:
    """The child's defence of torch while student code runs: put patched attributes back; say whether any were."""

    restore: Callable[[], None]
    intact: Callable[[], bool]


def contract_problem(obj: Any, contract: Contract) -> str | None:
    """Why `obj` cannot play the contract's part ("a function", "nothing", ...), or None when it can."""
    if obj is None:
        return "nothing by that name"
    if not contract.base:
        return None if _callable(obj) else f"a {_type(obj).__name__}, not a function"
    if not _isinstance(obj, type):
        found = "a function" if _isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)) else \
            f"a {_type(obj).__name__}"
        return found
    if not _subclass(BASE_CLASSES[contract.base], obj):
        bases = ", ".join(b.__name__ for b in obj.__bases__) or "object"
        return f"a class deriving from {bases}"
    return None


def prepare(obj: Any, contract: Contract, seed: int) -> tuple[Callable, Any]:
    """What to call with the trial's inputs, and the instance built for an nn.Module contract (else None).

    An nn.Module is built under the trial's seed, so its parameters are the same for the reference and the student;
    the seed for the call itself (trial seed + 1, as for a function) is set afterwards.
    """
    if contract.base == "torch.autograd.Function":
        return obj.apply, None
    if contract.is_module:
        _manual_seed(seed)
        instance = obj(**contract.init)
        _manual_seed(seed + 1)
        return instance, instance
    return obj, None


def seed(value: int) -> None:
    """Seed the CPU generator through the method captured before student code ran."""
    _manual_seed(value)


def taker(exercise: Exercise, obj: Any, seed: int, *, guard: Guard | None = None,
          dims: dict | None = None) -> Callable[[dict], dict] | None:
    """The function observe.measure calls with the live objects to take the exercise's measurements, if any."""
    if not exercise.measures:
        return None

    def take(live: dict) -> dict:
        return {m.name: _take(m, live, exercise, obj, seed, guard, dims) for m in exercise.measures}
    return take


def _take(measure: Measure, live: dict, exercise: Exercise, obj: Any, seed: int, guard: Guard | None,
          dims: dict | None) -> dict:
    try:
        if measure.kind == "gradcheck":
            return gradcheck(_checked_callable(measure, live, exercise, obj, seed), exercise, seed, guard, dims)
        found = resolve_live(live, measure.target)
        if measure.kind == "hooks":
            return hooks(found)
        return flag(found)
    except _Missing as exc:
        return {"t": "missing", "why": observe.safe_text(exc)}
    except BaseException as exc:  # noqa: BLE001 - reading a student's object may run its code, which may raise
        if guard is None and not _isinstance(exc, Exception):
            raise  # the oracle's deadline (grader.deadline.Overrun) must stop the reference's code
        return {"t": "error", **observe.describe_exception(exc, None)}


class _Missing(Exception):
    """The target of a measurement is not there."""


def _checked_callable(measure: Measure, live: dict, exercise: Exercise, obj: Any, seed: int) -> Callable:
    contract = exercise.contract
    if measure.target:
        found = live.get(measure.target)
        if not _callable(found):
            raise _Missing(f"{measure.target} is a {_type(found).__name__}, not a function gradcheck can call")
        return found
    if obj is None:
        raise _Missing(f"{contract.function} is not defined")
    if contract.is_module:  # a fresh instance in float64: gradcheck needs double precision throughout
        _, instance = prepare(obj, contract, seed)
        return _double(instance)
    return prepare(obj, contract, seed)[0]


def _outputs(returned: Any) -> Any:
    """The floating-point tensors among what a function returned: what gradcheck differentiates."""
    items = returned if _type(returned) in (tuple, list) else (returned,)
    return tuple(t for t in items if _isinstance(t, _Tensor) and _is_floating_point(t))


def gradcheck(fn: Callable, exercise: Exercise, seed: int, guard: Guard | None, dims: dict | None) -> dict:
    """torch.autograd.gradcheck of `fn` in float64 on the trial's inputs: {ok, message}.

    Torch's gradcheck and the child's guarded modules are put back before it runs and after every call of `fn`;
    a run during which they were changed anyway (from the submission's backward) does not count as passed.
    """
    inputs = []
    for spec, value in zip(exercise.inputs, build_inputs(exercise, seed, dims).values()):
        if _isinstance(value, _Tensor) and _is_floating_point(value):
            value = _requires_grad_(_to(_detach(value), _float64), spec.requires_grad)
        inputs.append(value)

    def restore() -> None:
        if guard is not None:
            guard.restore()
        _GRADCHECK.restore()

    def call(*args: Any) -> Any:
        try:
            return _outputs(fn(*args))
        finally:
            restore()

    restore()
    try:
        _gradcheck(call, tuple(inputs), raise_exception=True)
        ok, message = True, ""
    except BaseException as exc:  # noqa: BLE001 - GradcheckError, or whatever the student's code raised
        if guard is None and not _isinstance(exc, Exception):
            raise  # in the oracle: the deadline's Overrun
        ok, message = False, _gradcheck_text(exc)
    intact = _GRADCHECK.intact() and (guard is None or guard.intact())
    restore()
    if ok and not intact:
        ok, message = False, "torch was changed while gradcheck ran, so its verdict cannot be trusted"
    return {"t": "gradcheck", "ok": ok, "message": message}


def _gradcheck_text(exc: BaseException) -> str:
    text = observe.safe_text(exc)
    name = _type(exc).__name__
    if name != "GradcheckError":
        text = f"{name}: {text}"
    return text[:MAX_MESSAGE]


def resolve_live(live: dict, path: str) -> Any:
    """Follow a dotted target through live objects: tensors' .grad, list items, submodules and parameters."""
    head, *rest = path.split(".")
    if head == "args" and rest:
        head, rest = rest[0], rest[1:]
    if head not in live:
        raise _Missing(f"{head} is not there")
    node = live[head]
    for key in rest:
        if _isinstance(node, _Tensor) and key == "grad":
            node = _grad(node)
        elif _type(node) in (list, tuple) and key.isdigit():
            if int(key) >= _len(node):
                raise _Missing(f"{path}: no item {key}")
            node = node[int(key)]
        elif _type(node) is dict and key in node:
            node = node[key]
        elif _isinstance(node, _Module) and key != "training":
            node = _module_part(node, key, path)
        else:
            return _attribute(node, key)
    return node


def _module_part(module: Any, key: str, path: str) -> Any:
    own = _object_get(module, "__dict__")
    for group in ("_parameters", "_buffers", "_modules"):
        found = _dict_get(own.get(group) or {}, key, _Missing)
        if found is not _Missing:
            return found
    if key in own:
        return own[key]
    raise _Missing(f"{path}: the module has no submodule, parameter or attribute '{key}'")


def _attribute(node: Any, key: str) -> Any:
    """An attribute read by its trusted accessor where there is one (tensor flags, a module's training)."""
    if _isinstance(node, _Tensor) and key in _tensor_flags:
        return _tensor_flags[key](node)
    if _isinstance(node, _Module) and key == "training":
        return _dict_get(_object_get(node, "__dict__"), "training")
    try:
        return getattr(node, key)
    except AttributeError:
        raise _Missing(f"a {_type(node).__name__} has no attribute '{key}'") from None


def hooks(found: Any) -> dict:
    """How many hooks a tensor (backward and post-accumulate-grad) or a module tree (forward, backward) holds."""
    if _isinstance(found, _Tensor):
        count = 0
        for getter in _hook_getters:
            held = getter(found)
            if held is None:
                continue
            if not _isinstance(held, dict):
                raise _Missing(f"the tensor's hooks were replaced by a {_type(held).__name__}")
            count += _dict_len(held)
        return {"t": "hooks", "count": count}
    if _isinstance(found, _Module):
        count, seen, queue = 0, set(), [found]
        while queue and _len(seen) < MAX_MODULES:
            module = queue.pop()
            if _id(module) in seen:
                continue
            seen.add(_id(module))
            own = _object_get(module, "__dict__")
            for name in MODULE_HOOKS:
                held = _dict_get(own, name)
                count += _dict_len(held) if _isinstance(held, dict) else 0
            children = _dict_get(own, "_modules")
            if _isinstance(children, dict):
                queue.extend(m for m in _list(children.values()) if _isinstance(m, _Module))
        return {"t": "hooks", "count": count}
    raise _Missing(f"hooks are counted on a tensor or a module, not a {_type(found).__name__}")


def flag(found: Any) -> dict:
    """A boolean attribute; anything else is reported by its type's name, never encoded."""
    if _type(found) is bool:
        return {"t": "flag", "value": found}
    return {"t": "flag", "value": None, "cls": _type(found).__name__}
