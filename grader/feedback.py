"""The instructor's own words on a failed check: per-check hints, hidden checks, and mistakes that are exceptions."""

from __future__ import annotations

import dataclasses
import re

from .exercise import Check, Exercise, Mistake
from .result import CheckResult

# The diagnosis a check kind gives when it knows nothing more specific than "this is wrong" (its stock advice);
# any other diagnosis (accumulated, scaled, sign, summed, transposed, shape of a value, missing_grad, unchanged,
# constant, type, an error kind...) is read from the evidence and keeps its own text.
OWN_DIAGNOSIS = {"value": "value", "grad": "value", "shape": "shape", "requires_grad": "requires_grad",
                 "is_leaf": "not_leaf", "grad_fn": "grad_fn", "trainable": "frozen", "optimizer": "frozen",
                 "unmutated": "mutated_input", "not_aliased": "aliased", "no_autograd": "used_autograd",
                 "finite": "nonfinite", "hooks": "hooks", "gradcheck": "gradcheck"}


def generic(check: Check, diagnosis: str | None) -> bool:
    """Tell whether a failure's diagnosis is only the check kind's own, so the check's hint may replace its advice."""
    own = check.diagnosis if check.kind == "equal" else OWN_DIAGNOSIS.get(check.kind, "value")
    return diagnosis in ("value", own)


def finish(check: Check, result: CheckResult) -> CheckResult:
    """Apply the check's `hint` (to a failure with no more specific diagnosis and no known mistake) and `hidden`."""
    if check.hint and not result.passed and result.mistake is None and generic(check, result.diagnosis):
        first = result.message.split("\n", 1)[0]
        result = dataclasses.replace(result, message=f"{first}\n{check.hint}")
    return dataclasses.replace(result, hidden=check.hidden) if check.hidden else result


def raises_as_declared(mistake: Mistake, kind: str, message: str) -> bool:
    """Tell whether an exception (its class name, as describe_exception gives it, and message) is this mistake's."""
    wanted = mistake.raises.removeprefix("builtins.")
    if not wanted or not (kind == wanted or kind.endswith("." + wanted)):
        return False
    return not mistake.match or re.search(mistake.match, message) is not None


def raised_mistake(exercise: Exercise, info: dict, check: str | None = None) -> Mistake | None:
    """The first `raises` mistake the student's exception matches (one scoped to other checks than `check` skipped)."""
    for mistake in exercise.mistakes:
        if check is not None and mistake.checks and check not in mistake.checks:
            continue
        if mistake.raises and raises_as_declared(mistake, str(info.get("type", "")), str(info.get("message", ""))):
            return mistake
    return None


def split_description(description: str) -> tuple[str, str]:
    """'Type: message' (grader.oracle.Expected.raised) -> (type, message)."""
    kind, _, message = description.partition(": ")
    return kind, message


def misdeclared(exercise: Exercise, raised: dict[str, str | None], trial: str) -> list[str]:
    """What the known mistakes' code did against their declaration on one trial, as errors naming file and line.

    `raised` is grader.oracle.Expected.raised: per mistake id, 'Type: message' of what its code raised, or None
    when it returned (a mistake that ran past its deadline is absent).
    """
    found = (misdeclared_one(exercise, m, raised[m.id], trial) for m in exercise.mistakes if m.id in raised)
    return [problem for problem in found if problem is not None]


def misdeclared_one(exercise: Exercise, mistake: Mistake, description: str | None, trial: str) -> str | None:
    """How one known mistake's code went against its declaration on `trial` (`description`: what it raised)."""
    where = f"{exercise.path}:{mistake.code.line}: the known mistake '{mistake.id}'"
    declared = mistake.raises + (f" matching {mistake.match!r}" if mistake.match else "")
    if mistake.raises and description is None:
        return (f"{where} declares raises: {declared}, but its code returned normally on {trial}; make the code "
                f"raise as the mistake says, or drop 'raises' to compare its values")
    if mistake.raises and not raises_as_declared(mistake, *split_description(description or "")):
        return f"{where} declares raises: {declared}, but its code raised {description} on {trial}; fix " \
               f"'raises'/'match' or the code"
    if not mistake.raises and description is not None:
        return (f"{where} raised {description} on {trial}, so it can never match a student's result; fix its code, "
                f"or declare the exception it stands for with raises: {split_description(description)[0]}")
    return None
