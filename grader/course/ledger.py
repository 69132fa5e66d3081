"""The gradebook and the course's policies -> StudentResults with their adjustments: overrides, then late penalties.

The raw autograded scores are never changed: each grade's Adjustment carries the override in force, the share the
late policy takes and the times it was computed from, and every export and the class report read them from there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from ..config import Settings
from ..duedates import Deadlines, lateness, parse_utc, utc_text
from ..errors import ConfigError
from ..exercise import did_you_mean, exercise_files
from ..result import Adjustment, Grade, StudentResult
from .extensions import days_for, extensions
from .gradebook import Gradebook
from .overrides import OverrideRow, active_overrides
from .submitted import csv_time, read_csv_times

SHOWN = 8  # students named in one warning; the rest are counted


@dataclass(frozen=True)
class Ledger:
    """The adjusted results, and what the instructor should know about them (submissions with no time, ...)."""

    results: tuple[StudentResult, ...]
    warnings: tuple[str, ...] = ()


def adjusted_results(gradebook: Gradebook, settings: Settings,
                     exercises: tuple[str, ...] | None = None) -> list[StudentResult]:
    """Every student's grades with their adjustments filled in (see ledger)."""
    return list(ledger(gradebook, settings, exercises).results)


def ledger(gradebook: Gradebook, settings: Settings, exercises: tuple[str, ...] | None = None) -> Ledger:
    """Apply the active overrides, the students' extensions and the late policy to the gradebook's results.

    A submission the deadlines apply to but whose time is unknown gets no penalty, and is named in a warning.
    """
    deadlines = settings.deadlines
    known = _known_exercises(settings)
    if deadlines is not None and known:
        check_named(deadlines, known)
    times, warnings = _times(gradebook, deadlines, known)
    overrides = active_overrides(gradebook)
    granted = extensions(gradebook)
    untimed: list[str] = []
    results = []
    for result in gradebook.results(exercises=exercises):
        adjustments = []
        for grade in result.grades:
            adjustment = Adjustment(grade.exercise, extension_days=days_for(granted, result.student, grade.exercise))
            adjustment, unknown = _overridden(adjustment, grade, overrides.get((result.student, grade.exercise), []))
            warnings += [f"{result.student} {grade.exercise}: an override names the check {name!r}, which the "
                         f"grade no longer has; it is ignored (grade history {result.student} {grade.exercise})"
                         for name in unknown]
            if deadlines is not None:
                submitted = times.get((result.student, grade.exercise))
                adjustment = _late(adjustment, deadlines, grade, submitted)
                handed_in = grade.error is None or grade.error.kind != "no_submission"
                if adjustment.due is not None and submitted is None and handed_in:
                    untimed.append(f"{result.student} {grade.exercise}")
            if adjustment != Adjustment(grade.exercise, extension_days=adjustment.extension_days) \
                    or deadlines is not None:
                adjustments.append(adjustment)
        results.append(replace(result, adjustments=tuple(adjustments)))
    if untimed:
        source = deadlines.source if deadlines is not None else ""
        listed = ", ".join(untimed[:SHOWN]) + (f" and {len(untimed) - SHOWN} more" if len(untimed) > SHOWN else "")
        warnings.append(f"no submission time ({source}) for {len(untimed)} submission(s), so no late penalty: "
                        f"{listed}. {_fix(source)}")
    return Ledger(tuple(results), tuple(warnings))


def _overridden(adjustment: Adjustment, grade: Grade, overrides: list[OverrideRow]) -> tuple[Adjustment, list[str]]:
    """The newest whole-exercise override sets the score; without one, per-check overrides (the newest of each
    check) replace those checks' scores and their sum is the score. Returns the check names no check has."""
    if not overrides:
        return adjustment, []
    whole = [o for o in overrides if o.check is None]
    if whole:
        return replace(adjustment, override=whole[-1].score, override_reason=whole[-1].reason), []
    newest = {o.check: o for o in overrides}  # oldest first: the newest of each check is kept
    names = {c.name for c in grade.checks}
    unknown = [name for name in newest if name not in names]
    applied = [newest[name] for name in newest if name in names]
    if not applied:
        return adjustment, unknown
    scores = {name: o.score for name, o in newest.items()}
    total = round(sum(scores.get(c.name, c.score) for c in grade.checks), 6)
    reason = "; ".join(f"{o.check}: {o.reason}" for o in applied)
    return replace(adjustment, override=total, override_reason=reason), unknown


def _late(adjustment: Adjustment, deadlines: Deadlines, grade: Grade, submitted: tuple[str, str] | None) -> Adjustment:
    rule = deadlines.rule(grade.exercise)
    at = parse_utc(submitted[0]) if submitted is not None else None
    late = lateness(rule, at, extension_days=adjustment.extension_days)
    return replace(adjustment, late_fraction=late.fraction, late_days=float(late.days),
                   submitted_at=submitted[0] if submitted else None, source=submitted[1] if submitted else "",
                   due=utc_text(late.due) if late.due is not None else None)


def _times(gradebook: Gradebook, deadlines: Deadlines | None,
           known: list[str]) -> tuple[dict[tuple[str, str], tuple[str, str]], list[str]]:
    """(student, exercise) -> (ISO UTC time, source): read from the CSV again when that is the source (a newer
    download counts without regrading), else as `grade batch` stored it."""
    warnings: list[str] = []
    stored = {(s, e): (at, source) for s, e, at, source in gradebook._db.execute(  # noqa: SLF001
        "SELECT student, exercise, submitted_at, submitted_source FROM grades WHERE submitted_at IS NOT NULL")}
    if deadlines is None:
        return stored, warnings
    if deadlines.source == "csv":
        table = read_csv_times(deadlines, known or sorted({e for _, e in stored}))
        pairs = gradebook._db.execute("SELECT student, exercise FROM grades")  # noqa: SLF001
        found = {(s, e): csv_time(table, s, e) for s, e in pairs}
        return {pair: (at, "csv") for pair, at in found.items() if at is not None}, warnings
    other = sorted({source for _, source in stored.values() if source != deadlines.source})
    if other:
        count = sum(source != deadlines.source for _, source in stored.values())
        warnings.append(f"{count} stored submission time(s) came from {', '.join(other)}, but config.yaml's "
                        f"deadlines.submitted is {deadlines.source}; run `grade batch` on the class folder again to "
                        f"read them from {deadlines.source} (nothing is regraded)")
    return stored, warnings


def _known_exercises(settings: Settings) -> list[str]:
    return list(exercise_files(settings.exercises_dir)) if settings.exercises_dir.is_dir() else []


def check_named(deadlines: Deadlines, known: list[str]) -> None:
    """Refuse deadlines for exercises the course does not have: a typo would leave the real one without a due time."""
    for exercise, line in deadlines.named().items():
        if exercise not in known:
            hint = did_you_mean(exercise, known)
            raise ConfigError(f"{deadlines.config}:{line}: deadlines name the exercise {exercise!r}, which the course "
                              f"does not have{hint}; the exercises are {', '.join(known)}")


def _fix(source: str) -> str:
    return {"mtime": "Their files were gone when `grade batch` ran; run it again where the files are.",
            "git": "Their folders are not git repositories with a commit (or git failed); check them, then run "
                   "`grade batch` again.",
            "csv": "Add their rows to the times CSV (deadlines.submitted.csv)."}.get(source, "")

