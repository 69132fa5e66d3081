"""Class-wide numbers behind the instructor's report: score spread, check failure rates, common diagnoses."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass

from ..codes import DIAGNOSES, ERROR_KINDS
from ..result import Grade, StudentResult

NO_SUBMISSION = "no_submission"
MAX_WHOLE_BINS = 12  # up to this many points, one bar per whole score; above it, ten equal ranges

# What a student did, as a verb phrase that completes "41% of the class ... in ex05".
PHRASES: dict[str, str] = {
    "accumulated": "accumulated gradients over several backward() calls",
    "sign": "got a value with the wrong sign",
    "scaled": "were off by a constant factor (e.g. a mean where a sum belongs, or a missing 2)",
    "summed": "summed a tensor into a single number (e.g. over examples)",
    "shape": "returned a tensor of the wrong shape",
    "transposed": "returned the transpose of the expected matrix",
    "missing_grad": "left a .grad as None",
    "not_leaf": "made a tensor that should be a leaf with an operation",
    "requires_grad": "set requires_grad wrongly",
    "grad_fn": "built a tensor with a different operation than expected (grad_fn)",
    "mutated_input": "changed an input that must be left alone",
    "unchanged": "never updated the tensors passed in, in place",
    "aliased": "returned the same tensor several times instead of clones",
    "frozen": "made the wrong set of parameters trainable",
    "used_autograd": "used autograd where the gradients must be computed by hand",
    "unverifiable": "wrote a by-hand answer the grader could not read as plain arithmetic (getattr, private names)",
    "constant": "gave the same result whatever the inputs (hard-coded numbers or an assigned .grad)",
    "gradcheck": "wrote a backward that disagrees with finite differences (gradcheck)",
    "hooks": "left a hook registered after use (or registered none)",
    "nonfinite": "produced NaN or inf (log of 0, division by 0, exp overflowing)",
    "type": "returned another kind of value than asked (e.g. a list or a float where a tensor is due)",
    "rule": "broke one of the exercise's rules (a required or forbidden function, in-place writes, autograd)",
    "value": "got a wrong value with no more specific diagnosis",
    "syntax": "handed in code that is not valid Python",
    "missing": "did not define the function the exercise asks for",
    "exception": "handed in code that raised an exception",
    "timeout": "ran past the time limit",
    "memory": "used more memory than allowed",
    "crash": "had the process running their code exit early or die",
    "output_limit": "printed more than the output limit",
    "result_limit": "sent the grader more messages than it reads",
}


@dataclass(frozen=True)
class Bin:
    """One bar of a score histogram: the scores it covers and how many students scored there."""

    label: str
    count: int


@dataclass(frozen=True)
class CheckRate:
    """How many of the students who handed an exercise in failed one of its checks."""

    name: str
    failed: int
    total: int


@dataclass(frozen=True)
class ExerciseStats:
    """One exercise across the class; scores are of the students who handed something in."""

    exercise: str
    title: str
    max_score: float
    scores: tuple[float, ...]
    no_submission: int
    bins: tuple[Bin, ...]
    checks: tuple[CheckRate, ...]

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.scores) if self.scores else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.scores) if self.scores else None

    @property
    def full_marks(self) -> int:
        return sum(score >= self.max_score for score in self.scores)


@dataclass(frozen=True)
class Finding:
    """A diagnosis (or error kind) that some students' work on one exercise earned, counted once per student."""

    exercise: str
    code: str
    students: tuple[str, ...]
    checks: tuple[str, ...]


def describe(finding: Finding, class_size: int) -> str:
    """Say a finding the way an instructor would: '41% of the class (13 of 32 students) ... in ex05'."""
    share = round(100 * len(finding.students) / class_size) if class_size else 0
    count = len(finding.students)
    what = PHRASES.get(finding.code, f"were diagnosed '{finding.code}'")
    noun = "student" if class_size == 1 else "students"
    return f"{share}% of the class ({count} of {class_size} {noun}) {what} in {finding.exercise}"


def meaning(code: str) -> str:
    """Return the stable meaning of a diagnosis or error kind, as grader/codes.py states it."""
    return DIAGNOSES.get(code) or ERROR_KINDS.get(code) or "an unknown diagnosis"


def by_exercise(results: list[StudentResult]) -> dict[str, list[tuple[str, Grade]]]:
    """Group every (student, grade) pair by exercise, exercises in the order they first appear."""
    groups: dict[str, list[tuple[str, Grade]]] = {}
    for result in results:
        for grade in result.grades:
            groups.setdefault(grade.exercise, []).append((result.student, grade))
    return groups


def exercise_stats(exercise: str, graded: list[tuple[str, Grade]]) -> ExerciseStats:
    """Summarise one exercise: the spread of scores, the students who handed nothing in, each check's failures."""
    handed_in = [grade for _, grade in graded if not _absent(grade)]
    max_score = max(grade.max_score for _, grade in graded)
    scores = tuple(sorted(grade.score for grade in handed_in))
    names: dict[str, list[bool]] = {}
    for grade in handed_in:
        for check in grade.checks:
            names.setdefault(check.name, []).append(check.passed)
    checks = tuple(CheckRate(name, outcomes.count(False), len(outcomes)) for name, outcomes in names.items())
    return ExerciseStats(exercise=exercise, title=graded[0][1].title, max_score=max_score, scores=scores,
                         no_submission=len(graded) - len(handed_in), bins=histogram(scores, max_score),
                         checks=checks)


def histogram(scores: tuple[float, ...], max_score: float) -> tuple[Bin, ...]:
    """Count scores per bar: one bar per whole point for small exercises, else ten equal ranges of the maximum."""
    whole = all(float(s).is_integer() for s in scores) and float(max_score).is_integer()
    if max_score <= 0:
        return (Bin(_points(max_score), len(scores)),)
    if whole and max_score <= MAX_WHOLE_BINS:
        counts = Counter(int(s) for s in scores)
        return tuple(Bin(str(point), counts[point]) for point in range(int(max_score) + 1))
    width = max_score / 10
    counts = Counter(min(max(int(s // width), 0), 9) for s in scores)
    return tuple(Bin(f"{_points(i * width)}–{_points((i + 1) * width)}", counts[i]) for i in range(10))


def findings(results: list[StudentResult]) -> list[Finding]:
    """Count, per exercise, the students whose work earned each diagnosis; the most common first.

    A student who handed nothing in is not a finding: the exercise's own numbers already count them.
    """
    students: dict[tuple[str, str], set[str]] = {}
    checks: dict[tuple[str, str], Counter[str]] = {}
    order = {exercise: i for i, exercise in enumerate(by_exercise(results))}
    for result in results:
        for grade in result.grades:
            if _absent(grade):
                continue
            codes = {c.diagnosis for c in grade.checks if not c.passed and c.diagnosis}
            if grade.error is not None:
                codes.add(grade.error.kind)
            for code in codes:
                key = (grade.exercise, code)
                students.setdefault(key, set()).add(result.student)
                checks.setdefault(key, Counter()).update(c.name for c in grade.checks
                                                         if not c.passed and c.diagnosis == code)
    ranked = sorted(students, key=lambda key: (-len(students[key]), order[key[0]], key[1]))
    return [Finding(exercise=exercise, code=code, students=tuple(sorted(students[exercise, code])),
                    checks=tuple(name for name, _ in sorted(checks[exercise, code].items(),
                                                            key=lambda item: (-item[1], item[0]))))
            for exercise, code in ranked]


def _absent(grade: Grade) -> bool:
    return grade.error is not None and grade.error.kind == NO_SUBMISSION


def _points(x: float) -> str:
    return f"{round(x, 2):g}"
