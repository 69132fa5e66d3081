"""Run the instructor's reference (and known-wrong approaches) under torch autograd, in the grading process."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from .config import Limits
from .deadline import Overrun, call_with_deadline
from .errors import ExerciseError
from .exercise import Code, Exercise
from .inputs import Trial, build_inputs, seed_torch
from .contract import INSTANCE
from .sandbox import measures, observe
from .validate import check_reference


@dataclass(frozen=True)
class Expected:
    """What the reference and each known mistake produce on one trial."""

    trial: Trial
    before: dict
    reference: dict
    mistakes: dict
    notes: tuple[str, ...] = ()  # for the report: known mistakes left out because they ran past the deadline
    # per mistake id: 'Type: message' of the exception its code raised on this trial, None when it returned;
    # absent when it ran past the deadline (grader.feedback.misdeclared turns this into check-exercises' errors)
    raised: dict[str, str | None] = field(default_factory=dict)


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


def _contracted(exercise: Exercise, code: Code) -> Callable:
    """The code's function or class, which must play the contract's part (a class derives from its base)."""
    contract = exercise.contract
    found = _compile(exercise, code, contract.function)
    problem = measures.contract_problem(found, contract)
    if problem is not None:
        what = f"a class deriving from {contract.base}" if contract.base else "a function"
        raise ExerciseError(f"{exercise.path}:{code.line}: {contract.function} must be {what}; found {problem}")
    return found


def build_oracle(exercise: Exercise) -> Oracle:
    """Compile the reference and the known mistakes.

    A student bundle's exercise has no code to compile: its oracle is grader.platforms.stored.load_stored's, which
    serves the same `expect` protocol from stored values (the pipeline never imports it).
    """
    if exercise.expected is not None:
        raise ExerciseError(f"{exercise.path}: this student bundle's exercise holds the reference's values for its "
                            f"public trials only, not its code; grade classes and check exercises in the "
                            f"instructor's course folder")
    return Oracle(
        exercise=exercise,
        reference=_contracted(exercise, exercise.reference),
        mistakes={m.id: _contracted(exercise, m.code) for m in exercise.mistakes},
        probes={name: _compile(exercise, code, "probe") for name, code in exercise.probes.items()},
    )


def _run(oracle: Oracle, fn: Callable, trial: Trial, args: dict, max_elements: int, timeout_s: float,
         dims: dict | None = None) -> dict:
    def call() -> dict:
        contract = oracle.exercise.contract
        seed_torch(trial.seed + 1)
        with torch.enable_grad():
            target, instance = measures.prepare(fn, contract, trial.seed)
            returned = target(*args.values())
        live = args if instance is None else {**args, INSTANCE: instance}
        return observe.measure(returned, live, names=contract.returns, function=contract.function,
                               probes=oracle.probes, seed=trial.seed, max_elements=max_elements,
                               take=measures.taker(oracle.exercise, fn, trial.seed, dims=dims))

    return call_with_deadline(call, timeout_s)  # the probes, run while measuring, count in the same time


def expect(oracle: Oracle, trial: Trial, *, max_elements: int, timeout_s: float = Limits.timeout_s,
           dims: dict[str, int] | None = None) -> Expected:
    """Reference values for a trial, always on the grader's inputs; a failing reference is the instructor's error.

    The reference and each known mistake run for at most `timeout_s` (the sandbox's timeout_s: what a submission
    gets for all its trials); a reference that runs longer is the instructor's error, a mistake never matches.
    The arguments are built afresh for every run from the trial's seed (and `dims`, sizes a free-form notebook
    fixed within the exercise's ranges), because runs may change them.
    """
    if not isinstance(oracle, Oracle):  # grader.platforms.stored.StoredOracle: values stored when the bundle was made
        return oracle.expect(trial)
    exercise = oracle.exercise

    def fresh() -> dict:
        return build_inputs(exercise, trial.seed, dims)

    encoder = observe.Encoder(max_elements=max_elements)
    before = {name: encoder.encode(value) for name, value in fresh().items()}
    try:
        reference = _run(oracle, oracle.reference, trial, fresh(), max_elements, timeout_s, dims)
    except Overrun as exc:
        raise ExerciseError(f"{exercise.path}:{_line(exc, exercise, exercise.reference)}: the reference ran longer "
                            f"than {timeout_s:g} s on {trial.label}: make it faster (look for a loop that never "
                            f"ends), or raise sandbox.timeout_s in config.yaml, which bounds it") from None
    except Exception as exc:
        info = observe.describe_exception(exc, str(exercise.path))
        line = info["frames"][-1]["line"] if info["frames"] else exercise.reference.line
        raise ExerciseError(f"{exercise.path}:{line}: the reference failed on {trial.label}: "
                            f"{info['type']}: {info['message']}") from None
    check_reference(exercise, trial, reference)
    mistakes: dict[str, dict | None] = {}
    raised: dict[str, str | None] = {}
    notes = []
    declared = {m.id: m for m in exercise.mistakes}
    for mistake_id, fn in oracle.mistakes.items():
        try:
            values = _run(oracle, fn, trial, fresh(), max_elements, timeout_s, dims)
            # an exception mistake is matched by the student's exception only, never by values
            mistakes[mistake_id] = None if declared[mistake_id].raises else values
            raised[mistake_id] = None
        except Overrun:  # never matches either; the instructor learns why from the note
            mistakes[mistake_id] = None
            line = next(m.code.line for m in exercise.mistakes if m.id == mistake_id)
            notes.append(f"{exercise.path}:{line}: the known mistake {mistake_id!r} ran longer than {timeout_s:g} s, "
                         f"so it was not compared (an error in the exercise, not in this submission)")
        except Exception as exc:  # noqa: BLE001 - a mistake that raises never matches by values
            mistakes[mistake_id] = None
            info = observe.describe_exception(exc, str(exercise.path))
            raised[mistake_id] = f"{info['type']}: {info['message']}"
    return Expected(trial=trial, before=before, reference=reference, mistakes=mistakes, notes=tuple(notes),
                    raised=raised)


def _line(exc: BaseException, exercise: Exercise, code: Code) -> int:
    """The line of the exercise file where `exc` stopped the code, else the first line of that code."""
    frames = observe.describe_exception(exc, str(exercise.path))["frames"]
    return frames[-1]["line"] if frames else code.line
