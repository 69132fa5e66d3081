"""Grade(s) -> the plain data other programs read, and back; grader.exports renders it into platform formats."""

from __future__ import annotations

import dataclasses
from typing import Any

from . import __version__
from .result import Adjustment, CheckResult, Grade, GradeError, StudentResult

CLASS_SCHEMA = 1  # the version of results_to_dict's shape; results_from_dict refuses any other


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
             "message": c.message, "diagnosis": c.diagnosis, "kind": c.kind, "trial": c.trial, "mistake": c.mistake,
             "hidden": c.hidden}
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
        "trial_seconds": [round(x, 4) for x in grade.trial_seconds],
        "timeout_s": grade.timeout_s,
        "handin_trials": grade.handin_trials,
    }


def grade_from_dict(data: dict[str, Any]) -> Grade:
    """The Grade that grade_to_dict(grade) described: how a gradebook row becomes a Grade again."""
    error = data["error"]
    return Grade(
        exercise=data["exercise"], title=data["title"], version=data["exercise_version"],
        submission=data["submission"],
        checks=tuple(CheckResult(name=c["name"], kind=c["kind"], passed=c["passed"], score=c["score"],
                                 max_score=c["max_score"], message=c["message"], diagnosis=c["diagnosis"],
                                 trial=c["trial"], mistake=c["mistake"], hidden=c.get("hidden", False))
                     for c in data["checks"]),
        error=None if error is None else GradeError(**error),
        output=data["output"], output_truncated=data["output_truncated"],
        public_seeds=tuple(data["seeds"]["public"]), hidden_seeds=tuple(data["seeds"]["hidden"]),
        seconds=data["seconds"], notes=tuple(data["notes"]), sandbox=data["sandbox"],
        trial_seconds=tuple(data.get("trial_seconds", ())), timeout_s=data.get("timeout_s", 0.0),
        handin_trials=data.get("handin_trials", 0))


def results_to_dict(results: list[StudentResult] | tuple[StudentResult, ...]) -> dict[str, Any]:
    """A class's results as one document: the exercises with their points, then every student's grades."""
    exercises: dict[str, dict[str, Any]] = {}
    for result in results:
        for grade in result.grades:
            exercises.setdefault(grade.exercise, {"exercise": grade.exercise, "title": grade.title,
                                                  "max_score": grade.max_score})
    return {
        "schema": CLASS_SCHEMA,
        "grader_version": __version__,
        "exercises": list(exercises.values()),
        "max_score": round(sum(e["max_score"] for e in exercises.values()), 6),
        "students": [{"student": r.student, "score": r.score, "max_score": r.max_score,
                      "grades": [grade_to_dict(g) for g in r.grades],
                      **({"penalty": r.penalty, "final_score": r.final_score,
                          "adjustments": [_adjustment_dict(r, g) for g in r.grades
                                          if any(a.exercise == g.exercise for a in r.adjustments)]}
                         if r.adjustments else {})} for r in results],
    }


def _adjustment_dict(result: StudentResult, grade: Grade) -> dict[str, Any]:
    """One exercise's scores before and after the instructor's policies, and the times they were computed from."""
    adjustment = result.adjustment(grade.exercise)
    fields = dataclasses.asdict(adjustment)
    return {"exercise": grade.exercise, "raw": grade.score, "override": adjustment.override,
            "penalty": adjustment.penalty(grade.score), "final": adjustment.final(grade.score),
            **{k: v for k, v in fields.items() if k not in ("exercise", "override")}}


def results_from_dict(data: dict[str, Any]) -> list[StudentResult]:
    """The StudentResults that results_to_dict(results) described."""
    if data.get("schema") != CLASS_SCHEMA:
        raise ValueError(f"class results schema {data.get('schema')!r}: this grader reads schema {CLASS_SCHEMA}")
    keys = {f.name for f in dataclasses.fields(Adjustment)}
    return [StudentResult(s["student"], tuple(grade_from_dict(g) for g in s["grades"]),
                          tuple(Adjustment(**{k: v for k, v in a.items() if k in keys}) for a in s.get("adjustments", ())))
            for s in data["students"]]
