"""Call a function on a trial's inputs and describe what came back as plain data.

The same code measures the reference (in the grading process) and the student (in the child), so the two
observations have one shape. It reads tensors only through torch's C-level accessors, captured at import
before any student code ran, so a submission that patches torch.Tensor or returns a tensor subclass cannot
make a wrong tensor look right.
"""

from __future__ import annotations

import inspect
import itertools
import math
import traceback
from typing import Any, Callable

import torch

_TB = torch._C.TensorBase
_Tensor = torch.Tensor
_Parameter = torch.nn.Parameter
_Module = torch.nn.Module
_Optimizer = torch.optim.Optimizer
_Generator = torch.Generator
_no_torch_function = torch._C.DisableTorchFunction
_get = {name: _TB.__dict__[name].__get__ for name in ("grad", "requires_grad", "is_leaf", "retains_grad", "grad_fn",
                                                     "shape", "dtype", "is_sparse")}
_detach, _reshape, _tolist, _numel, _storage = _TB.detach, _TB.reshape, _TB.tolist, _TB.numel, _TB.untyped_storage
_named_parameters, _named_modules = _Module.named_parameters, _Module.named_modules
_type, _isinstance, _len, _str, _repr, _float, _int = type, isinstance, len, str, repr, float, int

MAX_DEPTH = 6
MAX_ITEMS = 1000
MAX_TEXT = 2000
PLAIN_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")


def _short(text: str) -> str:
    return text if _len(text) <= MAX_TEXT else text[:MAX_TEXT] + "..."


def safe_text(obj: Any) -> str:
    """str(obj), or a placeholder when the object's own __str__ misbehaves."""
    try:
        text = _str(obj)
        return _short(text) if _type(text) is str else "<unprintable>"
    except BaseException:  # noqa: BLE001 - a student's __str__ may raise anything
        return "<unprintable>"


def _first(items: Any) -> list:
    """At most MAX_ITEMS items, copied before any of them is encoded (which may run student code that mutates)."""
    return list(itertools.islice(items, MAX_ITEMS))


class Encoder:
    """Turn returned objects into JSON-ready data, remembering object identity and shared storage."""

    def __init__(self, *, max_elements: int) -> None:
        self.budget = max_elements
        self.refs: dict[int, int] = {}
        self.storages: dict[int, int] = {}
        self._keep: list = []  # keep encoded objects alive so id() stays unique

    def _ref(self, obj: Any) -> int:
        key = id(obj)
        if key not in self.refs:
            self.refs[key] = _len(self.refs)
            self._keep.append(obj)
        return self.refs[key]

    def tensor(self, t: Any, *, with_grad: bool = True) -> dict:
        cls = _type(t)
        out: dict = {"t": "tensor", "ref": self._ref(t), "cls": cls.__name__}
        if cls is not _Tensor and cls is not _Parameter:
            out["subclass"] = True
            return out
        with _no_torch_function():
            dtype = _str(_get["dtype"](t)).replace("torch.", "")
            numel = _int(_numel(t))
            out.update(dtype=dtype, shape=[_int(s) for s in _get["shape"](t)], numel=numel,
                       param=cls is _Parameter, requires_grad=bool(_get["requires_grad"](t)),
                       is_leaf=bool(_get["is_leaf"](t)), data=None, storage=None)
            node = _get["grad_fn"](t)
            out["grad_fn"] = None if node is None else _type(node).__name__
            if not _get["is_sparse"](t) and numel > 0:
                try:
                    ptr = _storage(t).data_ptr()
                    out["storage"] = self.storages.setdefault(ptr, _len(self.storages))
                except (RuntimeError, NotImplementedError):
                    pass
            if dtype in PLAIN_DTYPES and numel <= self.budget:
                self.budget -= numel
                out["data"] = _tolist(_reshape(_detach(t), (-1,)))
            if with_grad:  # a non-leaf keeps no .grad unless retain_grad() was called (reading it would warn)
                grad = _get["grad"](t) if out["is_leaf"] or _get["retains_grad"](t) else None
                out["grad"] = None if grad is None else self.tensor(grad, with_grad=False)
        return out

    def module(self, m: Any) -> dict:
        params = {name: self.tensor(p, with_grad=False) for name, p in _named_parameters(m)}
        modules = {name: _type(sub).__name__ for name, sub in _named_modules(m)}
        return {"t": "module", "cls": _type(m).__name__, "ref": self._ref(m), "params": params, "modules": modules}

    def optimizer(self, o: Any) -> dict:
        groups = []
        for group in _first(o.param_groups):
            options = {k: v for k, v in _first(group.items()) if _type(k) is str and _type(v) in (int, float, bool)}
            params = [self.tensor(p, with_grad=False) for p in _first(group["params"])]
            groups.append({"params": params, "options": options})
        return {"t": "optimizer", "cls": _type(o).__name__, "groups": groups}

    def encode(self, obj: Any, depth: int = 0) -> Any:
        cls = _type(obj)
        if obj is None or cls is bool:
            return obj
        if cls is int:
            return obj if -(2**63) <= obj < 2**63 else {"t": "object", "cls": "int", "text": "<huge int>"}
        if cls is float:
            return obj if math.isfinite(obj) else {"t": "float", "text": _repr(obj)}
        if cls is str:
            return {"t": "str", "text": _short(obj)}
        if _isinstance(obj, _Tensor):
            return self.tensor(obj)
        if depth >= MAX_DEPTH:
            return {"t": "object", "cls": cls.__name__, "text": "<nested too deeply>"}
        if cls is list or cls is tuple:
            items = [self.encode(item, depth + 1) for item in obj[:MAX_ITEMS]]
            return {"t": cls.__name__, "items": items, "length": _len(obj)}
        if cls is dict:
            pairs = _first(obj.items())
            return {"t": "dict", "items": {safe_text(k): self.encode(v, depth + 1) for k, v in pairs}}
        try:
            if _isinstance(obj, _Module):
                return self.module(obj)
            if _isinstance(obj, _Optimizer):
                return self.optimizer(obj)
        except Exception as exc:  # noqa: BLE001 - a student's module may break its own accessors
            return {"t": "object", "cls": cls.__name__, "text": f"<could not inspect: {safe_text(exc)}>"}
        return {"t": "object", "cls": cls.__name__}


def describe_exception(exc: BaseException, student_files: str | frozenset | None) -> dict:
    """Type, message, and the frames in the student's file(s) (all frames when None), innermost last."""
    frames = traceback.extract_tb(exc.__traceback__)
    if student_files is not None:
        wanted = frozenset([student_files]) if _type(student_files) is str else student_files
        frames = [f for f in frames if f.filename in wanted]
    cls = _type(exc)
    module = getattr(cls, "__module__", "") or ""
    name = cls.__name__ if module in ("builtins", "") else f"{module}.{cls.__name__}"
    return {"type": safe_text(name), "message": safe_text(exc),
            "frames": [{"line": f.lineno or 0, "function": safe_text(f.name), "code": safe_text(f.line or ""),
                        "file": safe_text(f.filename)} for f in frames[-8:]]}


def bind(fn: Callable, available: dict) -> list:
    """The arguments a probe asks for by name."""
    return [available[name] for name in inspect.signature(fn).parameters]


def unpack(returned: Any, names: tuple[str, ...], function: str, enc: Encoder) -> dict:
    """Name the returned values by the contract, encoding each; a wrong arity becomes an explanation."""
    if _len(names) == 1:
        return {names[0]: enc.encode(returned)}
    cls = _type(returned)
    if (cls is tuple or cls is list) and _len(returned) == _len(names):
        return {name: enc.encode(item) for name, item in zip(names, returned)}
    shape = f"{cls.__name__} of {_len(returned)}" if cls in (tuple, list) else cls.__name__
    why = f"{function} returned a {shape}; expected a tuple of {_len(names)}: ({', '.join(names)})"
    return {name: {"t": "missing", "why": why} for name in names}


def measure(returned: Any, args: dict, *, names: tuple[str, ...], function: str, probes: dict[str, Callable],
            seed: int, max_elements: int, take: Callable[[dict], dict] | None = None) -> dict:
    """Describe the returned values, the inputs after the call, and what each probe reports.

    `take` (grader.sandbox.measures.taker) takes the measurements of gradcheck, hooks and flag checks on the live
    objects, after the probes; they go under "measures".
    """
    enc = Encoder(max_elements=max_elements)
    values = {"returns": unpack(returned, names, function, enc),
              "args": {name: enc.encode(value) for name, value in args.items()}, "probes": {}}
    if probes or take is not None:
        available = dict(args)
        if _len(names) == 1:
            available[names[0]] = returned
        elif _type(returned) in (tuple, list) and _len(returned) == _len(names):
            available.update(zip(names, returned))
        for name, probe in probes.items():
            available["gen"] = _Generator().manual_seed(seed)
            try:
                values["probes"][name] = enc.encode(probe(*bind(probe, available)))
            except BaseException as exc:  # noqa: BLE001 - a probe runs student code (forward), which may fail
                values["probes"][name] = {"t": "error", **describe_exception(exc, None)}
        if take is not None:
            values["measures"] = take(available)
    return values
