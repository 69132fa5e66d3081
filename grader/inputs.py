"""Seeded inputs for one trial; the oracle and the sandbox build them the same way from the same seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .exercise import Exercise, InputSpec
from .fixtures import FIXTURES


@dataclass(frozen=True)
class Trial:
    """One run of the student's function on inputs made from `seed`."""

    index: int
    seed: int
    hidden: bool

    @property
    def label(self) -> str:
        return f"{'hidden' if self.hidden else 'public'} trial {self.index + 1} (seed {self.seed})"


def make_trials(public_seeds: tuple[int, ...], hidden_seeds: tuple[int, ...]) -> tuple[Trial, ...]:
    seeds = [(s, False) for s in public_seeds] + [(s, True) for s in hidden_seeds]
    return tuple(Trial(index=i, seed=s, hidden=h) for i, (s, h) in enumerate(seeds))


def _tensor(spec: InputSpec, dims: dict[str, int], gen: Any, rng: random.Random) -> Any:
    import torch

    shape = tuple(dims[d] if isinstance(d, str) else d for d in spec.shape)
    dtype = getattr(torch, spec.dtype)
    p = spec.params
    if spec.dist == "normal":
        t = torch.randn(shape, generator=gen, dtype=torch.float64) * p.get("std", 1.0) + p.get("mean", 0.0)
    elif spec.dist == "uniform":
        low, high = p.get("low", 0.0), p.get("high", 1.0)
        t = torch.rand(shape, generator=gen, dtype=torch.float64) * (high - low) + low
    elif spec.dist == "bernoulli":
        t = torch.bernoulli(torch.full(shape, p.get("p", 0.5), dtype=torch.float64), generator=gen)
    elif spec.dist == "randint":
        t = torch.randint(int(p.get("low", 0)), int(p.get("high", 10)), shape, generator=gen).double()
    elif spec.dist == "ones":
        t = torch.ones(shape, dtype=torch.float64)
    elif spec.dist == "zeros":
        t = torch.zeros(shape, dtype=torch.float64)
    elif spec.dist == "arange":
        t = torch.arange(int(torch.tensor(shape).prod()), dtype=torch.float64).reshape(shape)
    else:  # eye
        t = torch.eye(*shape, dtype=torch.float64)
    if spec.scale_log10 is not None:
        t = t * 10 ** rng.uniform(*spec.scale_log10)
    return t.to(dtype).requires_grad_(spec.requires_grad)


def build_inputs(exercise: Exercise, seed: int, dims: dict[str, int] | None = None) -> dict[str, Any]:
    """Make every argument for a trial, in declared order, deterministically from `seed`.

    `dims` fixes some dimension sizes (within their declared ranges) instead of drawing them from the seed.
    """
    import torch

    rng = random.Random(seed)
    drawn = {name: rng.randint(low, high) for name, (low, high) in exercise.dims.items()}
    dims = {**drawn, **(dims or {})}
    gen = torch.Generator().manual_seed(seed)
    values: dict[str, Any] = {}
    for spec in exercise.inputs:
        if spec.kind == "tensor":
            values[spec.name] = _tensor(spec, dims, gen, rng)
        elif spec.kind == "float":
            values[spec.name] = round(rng.uniform(spec.params["low"], spec.params["high"]), 6)
        elif spec.kind == "int":
            values[spec.name] = rng.randint(spec.params["low"], spec.params["high"])
        elif spec.kind == "choice":
            values[spec.name] = rng.choice(spec.choices)
        elif spec.kind == "fixture":
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                values[spec.name] = FIXTURES[spec.fixture]()
        else:
            values[spec.name] = spec.value
    return values
