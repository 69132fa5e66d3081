"""Grade -> text for a person, with colour when the caller asks for it."""

from __future__ import annotations

import math
import textwrap
from collections import Counter
from dataclasses import dataclass

from .result import HIDDEN_NOTE, CheckResult, Grade, StudentResult

OUTPUT_LINES = 20
HEADER_WIDTH = 110  # characters of the first thing to fix, in the header; the whole text follows below
MAX_TIMES = 12  # per-trial times shown; the rest are summed in the total


PORTABLE = "portable"
PORTABLE_NOTICE = ("sandbox: portable: fewer protections (a plain subprocess: no namespaces, no seccomp; see "
                   "docs/security.md)")


def _paint(text: str, colour: str, enabled: bool) -> str:
    codes = {"green": "32", "red": "31", "yellow": "33", "dim": "2", "bold": "1"}
    return f"\033[{codes[colour]}m{text}\033[0m" if enabled else text


def _points(x: float) -> str:
    return f"{x:g}"


def render(grade: Grade, *, colour: bool = False, verbose: bool = False) -> str:
    """The student's report: score and the first thing to fix, one block per cause, output, time, seeds, total.

    The sandbox's isolation level is for instructors: shown only when `verbose` (and always in JSON), except the
    portable level's one-line notice, always shown."""
    lines = [_paint(f"{grade.exercise}: {grade.title}", "bold", colour), f"submission: {grade.submission}"]
    lines += [_paint(headline(grade), "green" if grade.status == "passed" else "red", colour), ""]
    if grade.error is not None:
        label = _paint(f"ERROR [{grade.error.kind}]", "red", colour)
        lines += [f"{label} {grade.error.message}", ""]
    lines += _checks(grade, colour)
    if grade.notes:
        lines += ["", "notes:"]
        for note in grade.notes:
            lines += textwrap.wrap(note, width=100, initial_indent="  - ", subsequent_indent="    ")
    if grade.output.strip():
        shown = grade.output.rstrip("\n").split("\n")
        more = len(shown) - OUTPUT_LINES
        # whole lines: the output is already bounded by the sandbox's output_limit_kb
        lines += ["", "your output:"] + [f"  | {line}" for line in shown[:OUTPUT_LINES]]
        if more > 0 or grade.output_truncated:
            lines.append("  | ... (output truncated)")
    lines.append("")
    timing = elapsed(grade)
    if timing:
        lines.append(timing)
    if grade.public_seeds or grade.hidden_seeds:
        lines.append(seeds_line(grade))
    if grade.public_seeds or grade.hidden_seeds or timing:
        lines.append("")
    if grade.sandbox and verbose:
        lines.append(_paint(f"sandbox: {grade.sandbox}", "dim", colour))
    elif grade.sandbox.startswith(PORTABLE):  # the weakest level is always said, verbose or not
        lines.append(_paint(PORTABLE_NOTICE, "dim", colour))
    total = f"score: {_points(grade.score)}/{_points(grade.max_score)}"
    lines.append(_paint(total, "green" if grade.status == "passed" else "red", colour))
    return "\n".join(lines)


def headline(grade: Grade) -> str:
    """One line: the score, and the first thing to fix (the error, else the first failing check's first line)."""
    score = f"{_points(grade.score)}/{_points(grade.max_score)}"
    if grade.status == "passed":
        return f"{score}: every check passed"
    if grade.error is not None:
        first = f"{grade.error.kind}: {grade.error.message}"
    else:
        failed = next((c for c in grade.checks if not c.passed and not c.hidden), None)
        if failed is None:
            return f"{score}: a hidden check failed (your instructor sees its details)"
        said = failed.message or failed.diagnosis or "failed"
        first = said if said.startswith(f"{failed.name}:") else f"{failed.name}: {said}"
    first = first.split("\n", 1)[0]
    if len(first) > HEADER_WIDTH:
        first = first[:HEADER_WIDTH - 3].rstrip() + "..."
    return f"{score}; fix first: {first}"


def _cause(check: CheckResult) -> tuple[str, str]:
    """What makes two failures one cause: the same known mistake, else the same diagnosis and explanation.

    A message's first line gives this check's own values; the paragraphs after it explain the cause."""
    if check.mistake:
        return "mistake", check.mistake
    _, _, why = check.message.partition("\n")
    return (f"why {check.diagnosis}", why) if why.strip() else ("message", check.message)


@dataclass(frozen=True)
class CheckView:
    """One check as a student's report shows it: what is said under it, or which check already explains it."""

    check: CheckResult
    paragraphs: tuple[str, ...] = ()  # the message shown under it (none: passed, hidden, or said by the error)
    same_as: str | None = None  # the check whose explanation of the same cause this one points to
    trial: str | None = None  # the trial it went wrong on, given under a cause explained here


def check_views(grade: Grade) -> list[CheckView]:
    """Each check with what the report says under it: each cause explained under the first check it fails."""
    views: list[CheckView] = []
    told: dict[tuple[str, str], CheckResult] = {}  # cause -> the check it is explained under
    said_by_error = (grade.error.kind, grade.error.diagnosis) if grade.error else (None,)
    for check in grade.checks:
        if check.hidden or check.passed or not check.message or check.diagnosis in said_by_error:
            views.append(CheckView(check))
            continue
        cause = _cause(check)
        paragraphs = tuple(check.message.split("\n"))
        if cause in told:  # its own values (the first line), unless its whole text was just given; then the pointer
            first = told[cause]
            views.append(CheckView(check, paragraphs[:1] if check.message != first.message else (), first.name))
            continue
        told[cause] = check
        views.append(CheckView(check, paragraphs, None, check.trial))
    return views


def _checks(grade: Grade, colour: bool) -> list[str]:
    """One line per check; each cause explained under the first check it fails, the others pointing to it."""
    lines: list[str] = []
    width = max((len(c.name) for c in grade.checks), default=10)
    for view in check_views(grade):
        check = view.check
        mark = _paint("PASS", "green", colour) if check.passed else _paint("FAIL", "red", colour)
        score = f"{_points(check.score)}/{_points(check.max_score)}"
        tag = f"  [{check.diagnosis}]" if check.diagnosis else ""
        if check.hidden:  # an instructor-only check: its name, mark and points, nothing of what it found
            lines.append(f"  {mark}  {check.name.ljust(width)}  {score:>7}  {_paint(HIDDEN_NOTE, 'dim', colour)}")
            continue
        lines.append(f"  {mark}  {check.name.ljust(width)}  {score:>7}{_paint(tag, 'yellow', colour)}")
        for paragraph in view.paragraphs:
            lines += textwrap.wrap(paragraph, width=100, initial_indent=" " * 8, subsequent_indent=" " * 10)
        if view.same_as:
            lines.append(_paint(f"        same cause as {view.same_as}, explained above", "dim", colour))
        elif view.trial:
            lines.append(_paint(f"        on {view.trial}", "dim", colour))
    return lines


def elapsed(grade: Grade) -> str:
    """'time: 3.1 s of the 10 s limit (5 trials, as at hand-in; each took ...)', or how the limit scales at hand-in.

    The limit covers every trial of a run: where fewer run here than at hand-in (a student bundle runs only the
    public ones), the same seconds must cover more trials there, so the report projects the time at this pace."""
    if not grade.timeout_s:
        return ""
    # the per-trial times come from the child: shown, bounded, never judged
    times = grade.trial_seconds
    each = ", ".join(_duration(s) for s in times[:MAX_TIMES]) + (", ..." if len(times) > MAX_TIMES else "")
    each = f"each took {each}" if times else ""
    planned, handin, limit = len(grade.public_seeds) + len(grade.hidden_seeds), grade.handin_trials, grade.timeout_s
    text = f"time: {grade.seconds:.1f} s of the {limit:g} s limit"
    if not handin or not planned:
        return text + (f" ({each})" if each else "")
    if handin == planned:
        return text + f" ({_trials(planned)}, as at hand-in" + (f"; {each})" if each else ")")
    text += f" for {_trials(planned)}" + (f" ({each})" if each else "")
    text += f"; at hand-in the same {limit:g} s covers {_trials(handin)}"
    finite = [s for s in times if math.isfinite(s) and 0 <= s < 1e6]
    if len(finite) < planned or handin < planned:  # the run ended early: no pace to project from
        return text
    projected = grade.seconds + sum(finite) / len(finite) * (handin - planned)
    text += f", about {projected:.1f} s at this pace"
    return text + (": past the limit, make your code faster before you hand it in" if projected > limit else "")


def _trials(count: int) -> str:
    return f"{count} trial" + ("" if count == 1 else "s")


def _duration(seconds: float) -> str:
    if not (math.isfinite(seconds) and 0 <= seconds < 1e6):
        return "?"
    return "<0.01 s" if seconds < 0.01 else f"{seconds:.2f} s" if seconds < 1 else f"{seconds:.1f} s"


def seeds_line(grade: Grade) -> str:
    public = ", ".join(str(s) for s in grade.public_seeds)
    text = f"trials: public seeds {public}"
    if grade.hidden_seeds:
        hidden = ", ".join(str(s) for s in grade.hidden_seeds)
        text += (f"; hidden seeds {hidden} (reproduce with: grade {grade.exercise} --seed {grade.hidden_seeds[0]} "
                 f"--hidden {len(grade.hidden_seeds)})")
    return text


def class_summary(results: list[StudentResult], *, graded: int, unchanged: int) -> str:
    """After a batch: per exercise the class mean, how many passed, and why the others did not finish."""
    lines = [f"graded {graded} submission(s), kept {unchanged} unchanged; {len(results)} student(s) in the gradebook"]
    by_exercise: dict[str, list[Grade]] = {}
    for result in results:
        for grade in result.grades:
            by_exercise.setdefault(grade.exercise, []).append(grade)
    for exercise, grades in by_exercise.items():
        mean = sum(g.score for g in grades) / len(grades)
        passed = sum(g.status == "passed" for g in grades)
        kinds = Counter(g.error.kind for g in grades if g.error is not None)
        errors = ", ".join(f"{count} {kind}" for kind, count in kinds.most_common())
        lines.append(f"  {exercise}: mean {mean:.2f}/{_points(grades[0].max_score)}, {passed}/{len(grades)} full "
                     f"marks" + (f"; not graded to the end: {errors}" if errors else ""))
    return "\n".join(lines)
