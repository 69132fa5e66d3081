"""Run the instructor's reference (and known-wrong approaches) under torch autograd, in the grading process."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Callable

import torch

from . import observe
from .errors import ExerciseError
from .exercise import Code, Exercise
from .inputs import Trial, build_inputs


@dataclass(frozen=True)
class Expected:
    """What the reference and each known mistake produce on one trial."""

    trial: Trial
    before: dict
    reference: dict
    mistakes: dict


@dataclass(frozen=True)
class Oracle:
    """The exercise's trusted code, compiled once."""

    exercise: Exercise
    reference: Callable
    mistakes: dict
    probes: dict


def _compile(exercise: Exercise, code: Code, name: str) -> Callable:
    tree = ast.parse(code.source)
    ast.increment_lineno(tree, code.line - 1)
    namespace: dict[str, Any] = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional}
    try:
        exec(compile(tree, str(exercise.path), "exec"), namespace)  # noqa: S102 - trusted instructor code
    except Exception as exc:
        raise ExerciseError(f"{exercise.path}:{code.line}: running the code failed: {type(exc).__name__}: {exc}") \
            from None
    return namespace[name]


def build_oracle(exercise: Exercise) -> Oracle:
    """Compile the reference and the known mistakes.

    A student bundle's exercise has no code to compile: its oracle is grader.stored.load_stored's, which serves the
    same `expect` protocol from stored values (the pipeline never imports it).
    """
    if exercise.expected is not None:
        raise ExerciseError(f"{exercise.path}: this student bundle's exercise holds the reference's values for its "
                            f"public trials only, not its code; grade classes and check exercises in the "
                            f"instructor's course folder")
    function = exercise.contract.function
    return Oracle(
        exercise=exercise,
        reference=_compile(exercise, exercise.reference, function),
        mistakes={m.id: _compile(exercise, m.code, function) for m in exercise.mistakes},
        probes={name: _compile(exercise, code, "probe") for name, code in exercise.probes.items()},
    )


def _run(oracle: Oracle, fn: Callable, trial: Trial, args: dict, max_elements: int) -> dict:
    torch.manual_seed(trial.seed + 1)
    with torch.enable_grad():
        returned = fn(*args.values())
    contract = oracle.exercise.contract
    return observe.measure(returned, args, names=contract.returns, function=contract.function,
                           probes=oracle.probes, seed=trial.seed, max_elements=max_elements)


def expect(oracle: Oracle, trial: Trial, *, max_elements: int, dims: dict[str, int] | None = None) -> Expected:
    """Reference values for a trial, always on the grader's inputs; a failing reference is the instructor's error.

    The arguments are built afresh for every run from the trial's seed (and `dims`, sizes a free-form notebook
    fixed within the exercise's ranges), because runs may change them.
    """
    if not isinstance(oracle, Oracle):  # a grader.stored.StoredOracle: values computed when the bundle was made
        return oracle.expect(trial)
    exercise = oracle.exercise

    def fresh() -> dict:
        return build_inputs(exercise, trial.seed, dims)

    encoder = observe.Encoder(max_elements=max_elements)
    before = {name: encoder.encode(value) for name, value in fresh().items()}
    try:
        reference = _run(oracle, oracle.reference, trial, fresh(), max_elements)
    except Exception as exc:
        info = observe.describe_exception(exc, str(exercise.path))
        line = info["frames"][-1]["line"] if info["frames"] else exercise.reference.line
        raise ExerciseError(f"{exercise.path}:{line}: the reference failed on {trial.label}: "
                            f"{info['type']}: {info['message']}") from None
    mistakes: dict[str, dict | None] = {}
    for mistake_id, fn in oracle.mistakes.items():
        try:
            mistakes[mistake_id] = _run(oracle, fn, trial, fresh(), max_elements)
        except Exception:  # noqa: BLE001 - a mistake that raises simply never matches
            mistakes[mistake_id] = None
    return Expected(trial=trial, before=before, reference=reference, mistakes=mistakes)
