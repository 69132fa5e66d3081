"""What check-exercises proves beyond the solutions: known mistakes that can match a student, a starter that fails.

A known mistake whose code raises on a trial (without declaring it with `raises:`) never matches anyone, and one whose
results pass every check it is limited to can never be told from the reference: either way no student is ever shown
its message, and nothing else would say so. A starter that passes a check gives points for nothing.
"""

from __future__ import annotations

from ..compare import match_mistake
from ..config import Settings
from ..exercise import Exercise, Mistake
from ..feedback import misdeclared_one
from ..inputs import Trial
from ..oracle import Expected, Oracle
from ..result import Grade


def mistake_problems(oracle: Oracle, trials: tuple[Trial, ...], expected: list[Expected],
                     settings: Settings) -> list[str]:
    """One line per known mistake that raises against its declaration, runs past its deadline, or can never be
    diagnosed, naming its line."""
    exercise = oracle.exercise
    problems = list(dict.fromkeys(note for e in expected for note in e.notes))  # overruns, as the oracle notes them
    for mistake in exercise.mistakes:
        where = f"{exercise.path}:{mistake.code.line}"
        wrong = (misdeclared_one(exercise, mistake, e.raised[mistake.id], e.trial.label)
                 for e in expected if mistake.id in e.raised)
        first = next((problem for problem in wrong if problem is not None), None)
        if first is not None:  # the first trial it went wrong on is enough
            problems.append(first)
        ran = [e for e in expected if e.mistakes.get(mistake.id) is not None]
        if ran and not any(_diagnosable(exercise, mistake, e, settings) for e in ran):
            limited = f"the checks it is limited to ({', '.join(mistake.checks)})" if mistake.checks else "every check"
            problems.append(f"{where}: the known mistake {mistake.id!r} can never be diagnosed: on every trial its "
                            f"results pass {limited}, so no student is ever shown its message. Make its code differ "
                            f"from the reference where a check looks, or limit it (checks: [...]) to a check that "
                            f"tells it apart")
    return problems


def _diagnosable(exercise: Exercise, mistake: Mistake, expected: Expected, settings: Settings) -> bool:
    """Whether some check, failed by a student who made exactly this mistake on this trial, would name it."""
    values = expected.mistakes[mistake.id]
    for check in exercise.checks:
        rtol = check.rtol if check.rtol is not None else settings.rtol
        atol = check.atol if check.atol is not None else settings.atol
        found = match_mistake(check, exercise, expected.reference, {mistake.id: values}, values,
                              before=expected.before, autograd_calls=0, rtol=rtol, atol=atol)
        if found is not None and found.id == mistake.id:
            return True
    return False


def starter_problems(grade: Grade, where: str) -> list[str]:
    """One line per check the starter passes: a starter must fail every check (nbgrader's validate --invert)."""
    return [f"{where}: the starter passes {check.name} ({check.score:g}/{check.max_score:g} points for the starter "
            f"as given); every check must fail until the student writes the answer: make the starter's placeholder "
            f"raise (raise NotImplementedError) or return nothing the check accepts"
            for check in grade.checks if check.passed]
