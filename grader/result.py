"""One result model, shared by every command and every export: check results, then a grade."""

from __future__ import annotations

from dataclasses import dataclass, field

# A report grows with what a submission sent back (its exception texts, the notes of its notebook cells); these
# bound it however much that was, so every report, export and gradebook row stays small. The output is bounded
# apart, by the sandbox's output_limit_kb.
MAX_TEXT = 5000  # characters of one message, note or line of code; an honest child cuts its texts at 2000
MAX_NOTES = 50  # notes of one grade; the last one kept counts the rest
HIDDEN_NOTE = "(hidden check: details are shown to your instructor)"  # all a student sees of a hidden check


def cut(text: str, limit: int = MAX_TEXT) -> str:
    """`text`, or its start and a mark giving its length, in `limit` characters at most; cutting again does nothing."""
    if len(text) <= limit:
        return text
    mark = f"[... cut by the grader: {len(text)} characters in all]"
    return text[:limit - len(mark)] + mark


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)  # a frozen dataclass bounding its own fields as it is made


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
    hidden: bool = False  # an instructor-only check: students see its name, pass/fail and points, never its details

    def __post_init__(self) -> None:
        _set(self, "message", cut(self.message))


@dataclass(frozen=True)
class GradeError:
    """Why a submission could not be (fully) graded: one of codes.ERROR_KINDS."""

    kind: str
    message: str
    line: int | None = None
    code: str | None = None
    mistake: str | None = None  # the id of the exercise's `raises` mistake the exception matched
    diagnosis: str | None = None  # the diagnosis its checks take in place of the kind, when its cause is known

    def __post_init__(self) -> None:
        _set(self, "message", cut(self.message))
        if self.code is not None:
            _set(self, "code", cut(self.code))


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
    trial_seconds: tuple[float, ...] = ()  # each trial's time, as the child measured it: shown, never judged
    timeout_s: float = 0.0  # the limit the whole run had (0: not run, as for an ungraded file)
    handin_trials: int = 0  # how many trials hand-in grading runs within that limit (0: not known)

    def __post_init__(self) -> None:
        notes = tuple(cut(note) for note in self.notes)
        if len(notes) > MAX_NOTES:
            notes = (*notes[:MAX_NOTES - 1], f"... and {len(notes) - MAX_NOTES + 1} more notes, left out by the grader")
        _set(self, "notes", notes)

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
class Adjustment:
    """What the instructor's policies make of one exercise's autograded (raw) score; the raw score itself never changes.

    The score an override sets replaces the raw score; the late policy then takes its share of that:
    final = max(0, base - penalty), base = override or raw, penalty = base * late_fraction.
    """

    exercise: str
    override: float | None = None      # the score an instructor set; None: no override in force
    override_reason: str = ""
    late_fraction: float = 0.0         # the share the late policy takes: 0.1 per day late, 1.0 past a cutoff
    late_days: float = 0.0             # days past the due time, after the student's extension; 0 when on time
    submitted_at: str | None = None    # ISO 8601 UTC, from `source`
    source: str = ""                   # where submitted_at came from: mtime, git or csv
    due: str | None = None             # ISO 8601 UTC, the extension included
    extension_days: float = 0.0        # the student's extension in force for this exercise (grade extend)

    def base(self, raw: float) -> float:
        return raw if self.override is None else self.override

    def penalty(self, raw: float) -> float:
        return round(self.base(raw) * self.late_fraction, 6)

    def final(self, raw: float) -> float:
        return max(0.0, round(self.base(raw) - self.penalty(raw), 6))


@dataclass(frozen=True)
class StudentResult:
    """One student's grades in a class, in exercise order: what batch grading stores and every export reads.

    `adjustments` holds the overrides and late penalties in force (at most one per exercise); `score` stays the raw
    autograded total and `final_score` applies them.
    """

    student: str
    grades: tuple[Grade, ...]
    adjustments: tuple[Adjustment, ...] = ()

    @property
    def score(self) -> float:
        return round(sum(g.score for g in self.grades), 6)

    @property
    def max_score(self) -> float:
        return round(sum(g.max_score for g in self.grades), 6)

    def adjustment(self, exercise: str) -> Adjustment:
        """The exercise's adjustment; one that changes nothing when none is in force."""
        return next((a for a in self.adjustments if a.exercise == exercise), Adjustment(exercise))

    def final(self, grade: Grade) -> float:
        """One grade's score after overrides and the late policy."""
        return self.adjustment(grade.exercise).final(grade.score)

    @property
    def penalty(self) -> float:
        return round(sum(self.adjustment(g.exercise).penalty(g.score) for g in self.grades), 6)

    @property
    def final_score(self) -> float:
        return round(sum(self.final(g) for g in self.grades), 6)
