"""One result model, shared by every command and every export: check results, then a grade."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check over every trial; a failure carries a diagnosis code and a message."""

    name: str
    kind: str
    passed: bool
    score: float
    max_score: float
    message: str = ""
    diagnosis: str | None = None
    trial: str | None = None
    mistake: str | None = None


@dataclass(frozen=True)
class GradeError:
    """Why a submission could not be (fully) graded: one of codes.ERROR_KINDS."""

    kind: str
    message: str
    line: int | None = None
    code: str | None = None


@dataclass(frozen=True)
class Grade:
    """Everything known about one graded submission; pure data, rendered by report and export."""

    exercise: str
    title: str
    version: int
    submission: str
    checks: tuple[CheckResult, ...]
    error: GradeError | None = None
    output: str = ""
    output_truncated: bool = False
    public_seeds: tuple[int, ...] = ()
    hidden_seeds: tuple[int, ...] = ()
    seconds: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)
    sandbox: str = ""

    @property
    def score(self) -> float:
        return round(sum(c.score for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_score for c in self.checks), 6)

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        return "passed" if all(c.passed for c in self.checks) else "failed"


@dataclass(frozen=True)
class StudentResult:
    """One student's grades in a class, in exercise order: what batch grading stores and every export reads."""

    student: str
    grades: tuple[Grade, ...]

    @property
    def score(self) -> float:
        return round(sum(g.score for g in self.grades), 6)

    @property
    def max_score(self) -> float:
        return round(sum(g.max_score for g in self.grades), 6)
