"""inputs.<name> in an exercise file -> InputSpec: how each argument of a trial is built."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import schema
from .errors import ExerciseError
from .fixtures import Fixtures
from .yamlfile import Fields

DTYPES = ("float32", "float64", "int64", "bool")
DISTRIBUTIONS = ("normal", "uniform", "ones", "zeros", "eye", "bernoulli", "randint", "arange")
INPUT_KINDS = schema.names(schema.INPUT_KINDS)
TENSOR_OPTIONS = ("dtype", "dist", "low", "high", "mean", "std", "p", "requires_grad", "scale_log10",
                  "include")


@dataclass(frozen=True)
class InputSpec:
    """How to build one argument of the student's function for a trial."""

    name: str
    kind: str
    shape: tuple[int | str, ...] = ()
    dtype: str = "float32"
    dist: str = "normal"
    params: dict = field(default_factory=dict)
    requires_grad: bool = False
    scale_log10: tuple[float, float] | None = None
    include: tuple[tuple[float, float], ...] = ()  # ranges each trial's tensor holds one value of, placed at random
    fixture: str = ""
    choices: tuple = ()  # for `callable`: the names of the functions, one chosen per trial
    value: Any = None



def parse_dim(fields: Fields, name: str) -> tuple[int, int]:
    """dims.<name>: a size, or [low, high] drawn per trial."""
    value = fields.data[name]
    fields._read.add(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value, value]
    ok = (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool)
                                                              for v in value) and 0 < value[0] <= value[1])
    fields.check(ok, name, "a dimension is a whole number or [low, high] with 0 < low <= high")
    return (value[0], value[1])


def parse_input(name: str, data: Any, line: int, *, path: Path, dims: dict,
                fixtures: Callable[[], Fixtures]) -> InputSpec:
    """inputs.<name>: exactly one kind key, refined by its options; fixture names are checked against `fixtures`."""
    f = Fields(data, path=path, where=f"inputs.{name}", error=ExerciseError, line=line)
    kinds = [k for k in INPUT_KINDS if f.has(k)]
    if not kinds:
        f.declare(*INPUT_KINDS, *TENSOR_OPTIONS)
        f.done()  # a misspelled kind is an unknown key: name it, with the closest known key
    if len(kinds) != 1:
        found = f" (it has {', '.join(kinds)})" if kinds else ""
        f.fail(f"inputs.{name} needs exactly one of: {', '.join(INPUT_KINDS)}{found}")
    kind = kinds[0]
    if kind == "tensor":
        shape = f.req("tensor", list)
        for item in shape:
            ok = (isinstance(item, int) and not isinstance(item, bool) and item >= 0) or (isinstance(item, str)
                                                                                          and item in dims)
            f.check(ok, "tensor", f"shape entries are sizes or dimension names from 'dims', not {item!r}")
        spec = InputSpec(
            name=name, kind=kind, shape=tuple(shape),
            dtype=f.opt("dtype", str, "float32"), dist=f.opt("dist", str, "normal"),
            params={key: f.opt(key, float, None) for key in ("low", "high", "mean", "std", "p")
                    if f.has(key)},
            requires_grad=f.opt("requires_grad", bool, False),
            scale_log10=tuple(f.opt("scale_log10", list, [])) or None,
        )
        f.check(spec.dtype in DTYPES, "dtype", f"must be one of {', '.join(DTYPES)}")
        f.check(spec.dist in DISTRIBUTIONS, "dist", f"must be one of {', '.join(DISTRIBUTIONS)}")
        if spec.scale_log10 is not None:
            f.check(len(spec.scale_log10) == 2 and all(isinstance(v, (int, float)) for v in spec.scale_log10),
                    "scale_log10", "must be [low, high] powers of ten")
        if f.has("include"):
            spec = _with_include(f, spec, dims)
        f.check(not spec.requires_grad or spec.dtype.startswith("float"), "requires_grad",
                "only floating-point tensors can require grad")
    elif kind in ("float", "int"):
        bounds = f.req(kind, list)
        number = float if kind == "float" else int
        ok = len(bounds) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bounds)
        f.check(ok and bounds[0] <= bounds[1], kind, "must be [low, high]")
        spec = InputSpec(name=name, kind=kind, params={"low": number(bounds[0]), "high": number(bounds[1])})
    elif kind == "choice":
        choices = f.req("choice", list)
        f.check(len(choices) > 0, "choice", "must list at least one value")
        spec = InputSpec(name=name, kind=kind, choices=tuple(choices))
    elif kind == "fixture":
        fixture = f.req("fixture", str)
        known = fixtures().builders()
        f.check(fixture in known, "fixture", _unknown_fixture(fixture, known, fixtures()))
        spec = InputSpec(name=name, kind=kind, fixture=fixture)
    elif kind == "callable":
        names = f.req("callable", list)
        known = sorted(fixtures().functions)
        f.check(len(names) > 0 and all(isinstance(n, str) for n in names), "callable",
                "list the names of one or more functions")
        for each in names:
            f.check(each in known, "callable", f"unknown function '{each}'; known: {', '.join(known)} "
                                                            f"(define it in the course's fixtures.py)")
        spec = InputSpec(name=name, kind=kind, choices=tuple(names))
    else:
        spec = InputSpec(name=name, kind=kind, value=f.req("value", (int, float, bool, str, list)))
    f.done()
    return spec


def _with_include(f: Fields, spec: InputSpec, dims: dict) -> InputSpec:
    """`include: [[low, high], ...]`: the spec with its ranges, each one value placed in every trial's tensor."""
    ranges = f.opt("include", list, [])
    ok = bool(ranges) and all(isinstance(r, list) and len(r) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in r) and r[0] <= r[1] for r in ranges)
    f.check(ok, "include", "must list ranges [low, high], low <= high; every trial's tensor holds a value drawn "
                           "from each, at a random position")
    f.check(spec.dtype.startswith("float"), "include", "only floating-point tensors take include")
    smallest = 1
    for size in spec.shape:
        smallest *= dims[size][0] if isinstance(size, str) else size
    f.check(smallest >= len(ranges), "include", f"the tensor has {smallest} element(s) at the smallest dims, fewer "
                                                f"than the {len(ranges)} ranges to include")
    return InputSpec(**{**spec.__dict__, "include": tuple((float(lo), float(hi)) for lo, hi in ranges)})


def _unknown_fixture(name: str, known: list[str], fixtures: Fixtures) -> str:
    if name in fixtures.functions:  # a function of arguments: the callable kind passes it, uncalled
        return (f"'{name}' ({fixtures.defined.get(name, '?')}) takes arguments, but a fixture is called with none; "
                f"pass the function itself with {{callable: [{name}]}}")
    return f"unknown fixture '{name}'; known: {', '.join(known)} (define it in the course's fixtures.py)"
