"""The contract of an exercise: the function or class students define, validated once, here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .yamlfile import Fields

BASES = ("torch.autograd.Function", "torch.nn.Module")  # what a class contract may derive from
INSTANCE = "instance"  # the name under which checks and probes reach the object built from an nn.Module contract
GRADCHECK_MAX_ELEMENTS = 64  # gradcheck costs O(n^2) forward passes: inputs past this are refused at load


@dataclass(frozen=True)
class Contract:
    """What students define: the function (or class), its signature, and the names of what it returns.

    A class contract (`base` set) names its class in `function`: the grader calls `Exp.apply(*inputs)` for a
    torch.autograd.Function, and `Net(**init)(*inputs)` for a torch.nn.Module, built under the trial's seed.
    """

    function: str
    signature: str
    returns: tuple[str, ...]
    base: str = ""  # "" for a function; else one of BASES
    init: dict = field(default_factory=dict)  # keyword arguments of an nn.Module's constructor

    @property
    def is_module(self) -> bool:
        return self.base == "torch.nn.Module"


@dataclass(frozen=True)
class Measure:
    """What the child measures for a check on live objects (never how it is judged): the check's name, kind, target."""

    name: str
    kind: str
    target: str


def parse_contract(top: Fields) -> Contract:
    """contract: {function: f, signature, returns} or {class: C, base: <one of BASES>, signature?, init?, returns}."""
    f = top.sub("contract")
    has = [key for key in ("function", "class") if f.has(key)]
    if not has:
        f.fail(f"{f.where} is missing the required key 'function' (or 'class', for a class contract)")
    if len(has) != 1:
        f.fail("contract needs exactly one of 'function' and 'class' (it has both)", line=f.line_of("class"))
    name = f.req(has[0], str)
    f.check(name.isidentifier(), has[0], "must be a Python identifier")
    returns = tuple(f.req("returns", list))
    f.check(len(returns) > 0 and all(isinstance(r, str) and r.isidentifier() for r in returns), "returns",
            "must list the names of the returned values")
    if has[0] == "function":
        contract = Contract(function=name, signature=f.req("signature", str), returns=returns)
    else:
        base = f.req("base", str)
        f.check(base in BASES, "base", f"a class derives from one of: {', '.join(BASES)} (not {base!r})")
        init = f.opt("init", dict, {}) if base == "torch.nn.Module" else {}
        for key, value in init.items():
            f.check(isinstance(key, str) and key.isidentifier() and _plain(value), "init",
                    f"init holds keyword arguments with plain values (numbers, strings, lists), not {key}: {value!r}")
        built = ", ".join(f"{key}={value!r}" for key, value in init.items())
        default = f"{name}.apply(...)" if base == "torch.autograd.Function" else f"{name}({built})(...)"
        contract = Contract(function=name, signature=f.opt("signature", str, default), returns=returns, base=base,
                            init=dict(init))
    f.done()
    return contract


def _plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    return value is None or isinstance(value, (bool, int, float, str))


def check_gradchecks(top: Fields, checks: tuple[Any, ...], inputs: tuple[Any, ...], dims: dict) -> None:
    """gradcheck needs a float input that requires grad, and inputs small enough for its O(n^2) forward passes.

    `checks` and `inputs` are grader.exercise's Check and InputSpec (which imports this module).
    """
    if not any(c.kind == "gradcheck" for c in checks):
        return
    floats = [s for s in inputs if s.kind == "tensor" and s.dtype.startswith("float")]
    largest = sum(math.prod(dims[d][1] if isinstance(d, str) else d for d in s.shape) for s in floats)
    for check in (c for c in checks if c.kind == "gradcheck"):
        if any(c.kind == "no_autograd" for c in checks):
            top.fail(f"checks '{check.name}': gradcheck runs backward on the submission's code, which a no_autograd "
                     f"check in the same exercise would count against the student; keep one of them",
                     line=check.line)
        if not any(s.requires_grad for s in floats):
            top.fail(f"checks '{check.name}': gradcheck needs an input tensor with requires_grad: true "
                     f"(it differentiates with respect to those)", line=check.line)
        if largest > GRADCHECK_MAX_ELEMENTS:
            top.fail(f"checks '{check.name}': gradcheck's float inputs hold up to {largest} elements (at the largest "
                     f"dims); keep them at {GRADCHECK_MAX_ELEMENTS} or fewer: it runs two forward passes per "
                     f"element", line=check.line)
