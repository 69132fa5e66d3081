"""Grade -> text for a person, with colour when the caller asks for it."""

from __future__ import annotations

import textwrap
from collections import Counter

from .result import HIDDEN_NOTE, Grade, StudentResult

OUTPUT_LINES = 20


def _paint(text: str, colour: str, enabled: bool) -> str:
    codes = {"green": "32", "red": "31", "yellow": "33", "dim": "2", "bold": "1"}
    return f"\033[{codes[colour]}m{text}\033[0m" if enabled else text


def _points(x: float) -> str:
    return f"{x:g}"


def render(grade: Grade, *, colour: bool = False) -> str:
    """The student's report: one line per check, the reason under each failure, output, seeds, total."""
    lines = [_paint(f"{grade.exercise}: {grade.title}", "bold", colour), f"submission: {grade.submission}", ""]
    if grade.error is not None:
        label = _paint(f"ERROR [{grade.error.kind}]", "red", colour)
        lines += [f"{label} {grade.error.message}", ""]
    width = max((len(c.name) for c in grade.checks), default=10)
    for check in grade.checks:
        mark = _paint("PASS", "green", colour) if check.passed else _paint("FAIL", "red", colour)
        score = f"{_points(check.score)}/{_points(check.max_score)}"
        tag = f"  [{check.diagnosis}]" if check.diagnosis else ""
        if check.hidden:  # an instructor-only check: its name, mark and points, nothing of what it found
            lines.append(f"  {mark}  {check.name.ljust(width)}  {score:>7}  {_paint(HIDDEN_NOTE, 'dim', colour)}")
            continue
        lines.append(f"  {mark}  {check.name.ljust(width)}  {score:>7}{_paint(tag, 'yellow', colour)}")
        if not check.passed and check.message and check.diagnosis not in (
                (grade.error.kind, grade.error.diagnosis) if grade.error else (None,)):
            for paragraph in check.message.split("\n"):
                lines += textwrap.wrap(paragraph, width=100, initial_indent=" " * 8, subsequent_indent=" " * 10)
            if check.trial:
                lines.append(_paint(f"        on {check.trial}", "dim", colour))
    if grade.notes:
        lines += ["", "notes:"]
        for note in grade.notes:
            lines += textwrap.wrap(note, width=100, initial_indent="  - ", subsequent_indent="    ")
    if grade.output.strip():
        shown = grade.output.rstrip("\n").split("\n")
        more = len(shown) - OUTPUT_LINES
        lines += ["", "your output:"] + [f"  | {line[:200]}" for line in shown[:OUTPUT_LINES]]
        if more > 0 or grade.output_truncated:
            lines.append("  | ... (output truncated)")
    if grade.public_seeds or grade.hidden_seeds:
        lines += ["", _seeds(grade)]
    else:
        lines.append("")
    if grade.sandbox:
        lines.append(_paint(f"sandbox: {grade.sandbox}", "dim", colour))
    total = f"score: {_points(grade.score)}/{_points(grade.max_score)}"
    lines.append(_paint(total, "green" if grade.status == "passed" else "red", colour))
    return "\n".join(lines)


def _seeds(grade: Grade) -> str:
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
