"""One submission's grades -> the results.json a Gradescope autograder writes to /autograder/results/.

Every check is one test, visible to the student, with its score. A check that failed only on a hidden trial shows
the diagnosis, not the message (which quotes hidden values); the full message goes into an extra, unscored test
whose visibility is `hidden_details` (default `after_published`: students read it once grades are published).
The student's printed output is left out: prints during hidden trials would show the hidden inputs.
A check the exercise marks `hidden: true` shows only its name, status and score; what it found goes to extra_data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..result import CheckResult, Grade
from .visible import check_message, error_message, hidden_failure, shown_diagnosis, unseeded

DETAIL_VISIBILITIES = ("after_published", "after_due_date", "hidden")


def gradescope_results(grades: Sequence[Grade], *, hidden_details: str | None = "after_published",
                       execution_time_s: float | None = None) -> dict[str, Any]:
    """Build results.json for one submission: a test per check, the total, the time, a summary.

    `hidden_details` is the visibility of the full messages of hidden-trial failures, or None to leave them out;
    `hidden` there would also hide the student's total (Gradescope hides it whenever any test is hidden).
    `execution_time_s` defaults to the grades' own grading time.
    """
    if hidden_details is not None and hidden_details not in DETAIL_VISIBILITIES:
        raise ValueError(f"hidden_details must be None or one of {', '.join(DETAIL_VISIBILITIES)}")
    tests: list[dict[str, Any]] = []
    for number, grade in enumerate(grades, start=1):
        for index, check in enumerate(grade.checks, start=1):
            tests.append(_test(grade, check, f"{number}.{index}"))
            if hidden_details is not None and hidden_failure(check) and not check.hidden:
                tests.append({"name": f"{grade.exercise}: {check.name} (hidden trial details)",
                              "number": f"{number}.{index}.1", "status": "failed",
                              "output": f"{check.message}\n(on {check.trial})", "visibility": hidden_details})
    return {
        "score": round(sum(g.score for g in grades), 6),
        "execution_time": round(sum(g.seconds for g in grades) if execution_time_s is None else execution_time_s, 3),
        "output": _summary(grades),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "visibility": "visible",
        "tests": tests,
        "extra_data": {"grader_version": __version__,  # stored by Gradescope, never shown to students
                       "seeds": {g.exercise: {"public": list(g.public_seeds), "hidden": list(g.hidden_seeds)}
                                 for g in grades},
                       # a hidden check's details: in the stored results, not in a test (a test of visibility
                       # 'hidden' would hide the student's total as well)
                       "hidden_checks": [{"exercise": g.exercise, "check": c.name, "diagnosis": c.diagnosis,
                                          "message": c.message, "trial": c.trial, "mistake": c.mistake}
                                         for g in grades for c in g.checks if c.hidden and not c.passed]},
    }


def _test(grade: Grade, check: CheckResult, number: str) -> dict[str, Any]:
    return {
        "number": number,
        "name": f"{grade.exercise}: {check.name}",
        "score": check.score,
        "max_score": check.max_score,
        "status": "passed" if check.passed else "failed",
        "output": check_message(check),
        "visibility": "visible",
        "tags": [grade.exercise, check.kind] + ([shown_diagnosis(check)] if shown_diagnosis(check) else []),
    }


def _summary(grades: Sequence[Grade]) -> str:
    lines = []
    for grade in grades:
        line = f"{grade.exercise} {grade.title}: {grade.score:g}/{grade.max_score:g}"
        error = error_message(grade)
        if error is not None and grade.error is not None:
            line += f" -- not graded to the end ({grade.error.kind}): {error}"
        lines.append(line)
    if len(grades) > 1:
        lines.append(f"total: {sum(g.score for g in grades):g}/{sum(g.max_score for g in grades):g}")
    lines += [unseeded(note) for grade in grades for note in grade.notes]
    return "\n".join(lines)
