"""What check-exercises proves beyond the solutions: known mistakes that can match a student, a starter that fails.

A known mistake whose code raises on a trial never matches anyone (the oracle swallows the exception), and one whose
results pass every check it is limited to can never be told from the reference: either way no student is ever shown
its message, and nothing else would say so. A starter that passes a check gives points for nothing.
"""

from __future__ import annotations

from ..compare import match_mistake
from ..config import Settings
from ..exercise import Exercise, Mistake
from ..inputs import Trial, build_inputs
from ..oracle import Expected, Oracle
from ..oracle import _run as run_trusted  # the oracle's own call, so a mistake runs here exactly as when grading
from ..result import Grade
from ..sandbox import observe


def mistake_problems(oracle: Oracle, trials: tuple[Trial, ...], expected: list[Expected],
                     settings: Settings) -> list[str]:
    """One line per known mistake that raises, runs past its deadline, or can never be diagnosed, naming its line."""
    exercise = oracle.exercise
    problems = list(dict.fromkeys(note for e in expected for note in e.notes))  # overruns, as the oracle notes them
    for mistake in exercise.mistakes:
        if getattr(mistake, "raises", ""):  # an expected exception: the oracle matches it by type, not by values
            continue
        where = f"{exercise.path}:{mistake.code.line}"
        overran = any(f"{where}: the known mistake {mistake.id!r} ran longer" in note for note in problems)
        ran = [(trial, e) for trial, e in zip(trials, expected) if e.mistakes.get(mistake.id) is not None]
        failed = [trial for trial, e in zip(trials, expected) if e.mistakes.get(mistake.id) is None]
        if failed and not overran:
            problems.append(f"{where}: the known mistake {mistake.id!r} raises on {failed[0].label}: "
                            f"{_exception(oracle, mistake, failed[0], settings)}; a mistake that raises never matches "
                            f"a student's result. Fix its code, or declare the exception it stands for "
                            f"(raises: <ExceptionName>)")
        if ran and not any(_diagnosable(exercise, mistake, e, settings) for _, e in ran):
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


def _exception(oracle: Oracle, mistake: Mistake, trial: Trial, settings: Settings) -> str:
    """The exception the mistake's code raises on `trial`, with the line of the exercise file it came from."""
    limits = settings.limits
    try:
        run_trusted(oracle, oracle.mistakes[mistake.id], trial, build_inputs(oracle.exercise, trial.seed),
                    limits.max_tensor_elements, limits.timeout_s)
    except Exception as exc:  # noqa: BLE001 - the instructor's code: its exception is what we report
        info = observe.describe_exception(exc, str(oracle.exercise.path))
        line = f" (line {info['frames'][-1]['line']})" if info["frames"] else ""
        return f"{info['type']}: {info['message']}{line}"
    return "an exception (it did not raise again when run once more: does it depend on state outside its inputs?)"


def starter_problems(grade: Grade, where: str) -> list[str]:
    """One line per check the starter passes: a starter must fail every check (nbgrader's validate --invert)."""
    return [f"{where}: the starter passes {check.name} ({check.score:g}/{check.max_score:g} points for the starter "
            f"as given); every check must fail until the student writes the answer: make the starter's placeholder "
            f"raise (raise NotImplementedError) or return nothing the check accepts"
            for check in grade.checks if check.passed]
