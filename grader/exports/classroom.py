"""One submission's grades -> the GitHub Classroom runner result: base64 of one JSON document, on one line.

The grading reporter (classroom-resources/autograding-grading-reporter) sums tests[].score into the Classroom
grade, prints `message` only for tests whose status is `error`, and fails the workflow when any runner's status is
`fail` or `error`. Its log table, though, scores a runner as (tests passed / tests) x max_score, ignoring the
scores: so every test in a payload carries the same weight, a check worth 3 points being three tests of one point
(or of whatever unit all the checks' points share), and the table and the grade agree. Messages are what the
student may see (grader.exports.visible): the log is theirs to read.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..codes import ERROR_KINDS
from ..result import CheckResult, Grade
from .visible import check_message, error_message, shown_diagnosis, shown_path

VERSION = 1
MESSAGE_CHARS = 2000  # one step output may hold 1 MB; ten exercises of long tracebacks stay far below it
MAX_TESTS = 200  # equal-weight tests per payload; past it (odd fractions of points) one test per check, unequal


def classroom_payload(grades: Sequence[Grade], *, root: Path | None = None) -> dict[str, Any]:
    """Build the result document: version, status, max_score and a test per check (scores summed by Classroom)."""
    checks = [(grade, check) for grade in grades for check in grade.checks]
    unit = _unit([check.max_score for _, check in checks])
    tests = [test for grade, check in checks for test in _split(_test(grade, check, root), check, unit)]
    tests += [_ungraded(grade, root) for grade in grades if not grade.checks]
    statuses = {t["status"] for t in tests} | {_status(check) for _, check in checks}
    status = "fail" if "fail" in statuses else "error" if "error" in statuses else "pass"
    return {"version": VERSION, "status": status, "max_score": round(sum(g.max_score for g in grades), 6),
            "tests": tests}


def error_payload(message: str, *, test_code: str = "") -> dict[str, Any]:
    """Build the document for a run the grader itself could not finish (bad config, unknown exercise).

    max_score is 0, so the reporter shows the error and Classroom records no grade from this runner,
    rather than a zero the student did not earn.
    """
    return {"version": VERSION, "status": "error", "max_score": 0, "message": message,
            "tests": [{"name": "grade", "status": "error", "score": 0, "max_score": 0, "message": message,
                       "line_no": 0, "test_code": test_code, "filename": ""}]}


def encode(payload: dict[str, Any]) -> str:
    """Encode a result document the way the reporter decodes it: UTF-8 JSON, base64, one line."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def classroom_result(grades: Sequence[Grade], *, root: Path | None = None) -> str:
    """Build and encode the result document: the value of the step output `result`."""
    return encode(classroom_payload(grades, root=root))


def _short(text: str) -> str:
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS - 15] + " ... (truncated)"


def _unit(points: list[float]) -> Fraction | None:
    """The largest weight every check's points are a whole number of, when that makes at most MAX_TESTS tests."""
    fractions = [Fraction(p).limit_denominator(1000) for p in points if p > 0]
    if not fractions:
        return None
    denominator = math.lcm(*(f.denominator for f in fractions))
    unit = Fraction(math.gcd(*(int(f * denominator) for f in fractions)), denominator)
    return unit if sum(f / unit for f in fractions) <= MAX_TESTS else None


def _split(test: dict[str, Any], check: CheckResult, unit: Fraction | None) -> list[dict[str, Any]]:
    """The check as tests of weight `unit` each, the first carrying its message; none for a check worth nothing."""
    if unit is None:
        return [test]
    count = round(Fraction(check.max_score).limit_denominator(1000) / unit)
    weight = float(unit)
    parts = [{**test, "score": weight if check.passed else 0, "max_score": weight} for _ in range(count)]
    if count > 1:
        what = "point" if unit == 1 else "part"
        for index, part in enumerate(parts, 1):
            part["name"] = f"{test['name']} ({what} {index} of {count})"
            part["message"] = part["message"] if index == 1 else ""
    return parts


def _status(check: CheckResult) -> str:
    return "pass" if check.passed else "error" if check.diagnosis in ERROR_KINDS else "fail"


def _test(grade: Grade, check: CheckResult, root: Path | None) -> dict[str, Any]:
    path = shown_path(grade.submission, root)
    status = _status(check)
    return {"name": f"{grade.exercise}: {check.name}", "status": status, "score": check.score,
            "max_score": check.max_score, "message": _short(check_message(check)), "line_no": 0,
            "test_code": f"grade {grade.exercise} {path}", "filename": path}


def _ungraded(grade: Grade, root: Path | None) -> dict[str, Any]:
    path = shown_path(grade.submission, root)
    return {"name": f"{grade.exercise}: (grading)", "status": "error", "score": 0, "max_score": grade.max_score,
            "message": _short(error_message(grade) or "no checks were graded"), "line_no": 0,
            "test_code": f"grade {grade.exercise} {path}", "filename": path}


def classroom_log(grades: Sequence[Grade]) -> str:
    """Render the lines for the workflow log: each check with its points and, when failed, what to fix."""
    lines = []
    for grade in grades:
        lines.append(f"{grade.exercise}: {grade.title} -- {grade.score:g}/{grade.max_score:g}")
        error = error_message(grade)
        if error is not None and grade.error is not None:
            lines += [_inert(f"  ERROR [{grade.error.kind}] {line}") for line in error.split("\n")]
        for check in grade.checks:
            mark = "PASS" if check.passed else "FAIL"
            lines.append(f"  {mark}  {check.name}  {check.score:g}/{check.max_score:g}"
                         + (f"  [{shown_diagnosis(check)}]" if shown_diagnosis(check) else ""))
            if not check.passed and not (grade.error and check.diagnosis == grade.error.kind):
                lines += [_inert("        " + line) for line in check_message(check).split("\n")]
    if len(grades) > 1:
        lines.append(f"total: {sum(g.score for g in grades):g}/{sum(g.max_score for g in grades):g}")
    return "\n".join(lines)


def _inert(line: str) -> str:
    """Keep a line the student's exception text controls from reading as a workflow command (`::error::...`)."""
    return line.replace("::", ":\u200b:", 1) if line.lstrip().startswith("::") else line
