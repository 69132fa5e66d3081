"""Seeded inputs for one trial; the oracle and the sandbox build them the same way from the same seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Mapping

from .errors import ExerciseError
from .exercise import Exercise, InputSpec
from .fixtures import course_fixtures

BUILT_KINDS = ("fixture", "callable")  # inputs the grading process builds from fixtures and ships to the child


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
    if spec.include:  # values the exercise needs on every trial (beyond exp's range, ...), at random positions
        flat = t.reshape(-1)
        for position, (low, high) in zip(rng.sample(range(flat.numel()), len(spec.include)), spec.include):
            flat[position] = rng.uniform(low, high)
    return t.to(dtype).requires_grad_(spec.requires_grad)


def _call_fixture(exercise: Exercise, spec: InputSpec, fixture: Any, seed: int) -> Any:
    """What the fixture builds; one that raises is the instructor's error, named with its file and line."""
    try:
        return fixture()
    except Exception as exc:  # noqa: BLE001 - trusted code, but its failure must name where it is
        import traceback

        code = fixture.__code__
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == code.co_filename]
        line = frames[-1].lineno if frames else code.co_firstlineno
        raise ExerciseError(f"{code.co_filename}:{line}: the fixture '{spec.fixture}' (input '{spec.name}' of "
                            f"{exercise.path}) failed on seed {seed}: {type(exc).__name__}: {exc}") from None


def build_inputs(exercise: Exercise, seed: int, dims: dict[str, int] | None = None, *,
                 built: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Make every argument for a trial, in declared order, deterministically from `seed`.

    `dims` fixes some dimension sizes (within their declared ranges) instead of drawing them from the seed.
    `built`: the fixture and callable inputs, as the grading process built them (the child never loads fixtures).
    """
    import torch

    functions = course_fixtures(exercise.fixtures).functions if built is None and any(
        spec.kind in BUILT_KINDS for spec in exercise.inputs) else {}

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
        elif spec.kind == "callable":
            chosen = rng.choice(spec.choices)  # drawn on both sides, so the later inputs' draws stay in step
            values[spec.name] = built[spec.name] if built is not None else functions[chosen]
        elif spec.kind == "fixture" and built is not None:
            values[spec.name] = built[spec.name]
        elif spec.kind == "fixture":
            with torch.random.fork_rng(devices=[]):
                seed_torch(seed)
                values[spec.name] = _call_fixture(exercise, spec, functions[spec.fixture], seed)
        else:
            values[spec.name] = spec.value
    return values


def seed_torch(seed: int) -> None:
    """Seed torch's CPU generator, as torch.manual_seed does for CPU tensors.

    torch.manual_seed also queues a lazy seeding of the CUDA, XPU and MTIA generators, each of which formats the whole
    Python stack (about 1.5 ms a call, several calls a grade) for devices grading never uses.
    """
    import torch

    torch.default_generator.manual_seed(seed)


def pack_built(exercise: Exercise, trials: tuple[Trial, ...]) -> tuple[bytes, ...]:
    """Each trial's fixture and callable inputs, built here and serialized for the child (empty when it has none).

    cloudpickle carries what the course's fixtures.py defines by value (grader.fixtures registers it), so the child
    loads the objects without the file, which it cannot see. The direction is only ever grader -> child.
    """
    if not any(spec.kind in BUILT_KINDS for spec in exercise.inputs):
        return ()
    import cloudpickle

    kinds = {spec.name: spec.kind for spec in exercise.inputs}
    packed = []
    for trial in trials:
        values = build_inputs(exercise, trial.seed)
        chosen = {name: value for name, value in values.items() if kinds[name] in BUILT_KINDS}
        try:
            packed.append(_dumps_with_grads(chosen))
        except Exception as exc:  # noqa: BLE001 - an object that cannot travel is the fixture's fault
            raise ExerciseError(f"{exercise.path}: the input(s) {', '.join(chosen)} cannot be sent to the sandbox: "
                                f"{type(exc).__name__}: {exc}; make the fixtures return plain torch objects (modules, "
                                f"tensors) and functions") from None
    return tuple(packed)


def _dumps_with_grads(objects: dict[str, Any]) -> bytes:
    """cloudpickle `objects`, keeping every tensor's .grad, which torch's own pickling drops.

    A fixture may hand its model in with gradients already in .grad (stale ones a step must clear first); without
    this the child would receive the model with every .grad None.
    """
    import io

    import cloudpickle
    import torch

    class Pickler(cloudpickle.CloudPickler):
        def reducer_override(self, obj: Any) -> Any:
            if isinstance(obj, torch.Tensor) and obj.is_leaf and obj.grad is not None:
                rebuild = obj.__reduce_ex__(self.proto)  # the tensor without its grad, as torch pickles it
                if isinstance(rebuild, tuple) and len(rebuild) == 2:
                    return _rebuild_with_grad, (rebuild[0], rebuild[1], obj.grad)
            return super().reducer_override(obj)

    buffer = io.BytesIO()
    Pickler(buffer).dump(objects)
    return buffer.getvalue()


def _rebuild_with_grad(rebuild: Any, args: tuple, grad: Any) -> Any:
    """In the child: a tensor as torch unpickles it, with the .grad it had in the grading process."""
    tensor = rebuild(*args)
    tensor.grad = grad
    return tensor
