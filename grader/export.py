"""Grade(s) -> the plain data other programs read."""

from __future__ import annotations

import dataclasses
from typing import Any

from . import __version__
from .result import CheckResult, Grade, GradeError


def grade_to_dict(grade: Grade) -> dict[str, Any]:
    """The documented JSON shape (see README), with extra fields after the required ones."""
    return {
        "exercise": grade.exercise,
        "submission": grade.submission,
        "status": grade.status,
        "score": grade.score,
        "max_score": grade.max_score,
        "checks": [
            {"name": c.name, "passed": c.passed, "score": c.score, "max_score": c.max_score,
             "message": c.message, "diagnosis": c.diagnosis, "kind": c.kind, "trial": c.trial, "mistake": c.mistake}
            for c in grade.checks
        ],
        "error": None if grade.error is None else dataclasses.asdict(grade.error),
        "title": grade.title,
        "exercise_version": grade.version,
        "grader_version": __version__,
        "seeds": {"public": list(grade.public_seeds), "hidden": list(grade.hidden_seeds)},
        "output": grade.output,
        "output_truncated": grade.output_truncated,
        "seconds": round(grade.seconds, 4),
        "notes": list(grade.notes),
        "sandbox": grade.sandbox,
    }


def grade_from_dict(data: dict[str, Any]) -> Grade:
    """The Grade that grade_to_dict(grade) described: how a gradebook row becomes a Grade again."""
    error = data["error"]
    return Grade(
        exercise=data["exercise"], title=data["title"], version=data["exercise_version"],
        submission=data["submission"],
        checks=tuple(CheckResult(name=c["name"], kind=c["kind"], passed=c["passed"], score=c["score"],
                                 max_score=c["max_score"], message=c["message"], diagnosis=c["diagnosis"],
                                 trial=c["trial"], mistake=c["mistake"]) for c in data["checks"]),
        error=None if error is None else GradeError(**error),
        output=data["output"], output_truncated=data["output_truncated"],
        public_seeds=tuple(data["seeds"]["public"]), hidden_seeds=tuple(data["seeds"]["hidden"]),
        seconds=data["seconds"], notes=tuple(data["notes"]), sandbox=data["sandbox"])
