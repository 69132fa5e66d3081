"""One submission's grades -> the Markdown a GitHub Actions step appends to $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from collections.abc import Sequence

from ..result import Grade
from .visible import check_message, error_message

DETAIL_CHARS = 4000  # per failed check; a step summary may hold 1 MiB


def _cell(text: str) -> str:
    """Make text safe inside a Markdown table cell: no pipes, no line breaks."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _fenced(text: str) -> str:
    """Put text in a code block whose fence no run of backticks inside it can close."""
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    return f"{fence}text\n{text}\n{fence}"


def _longest_backtick_run(text: str) -> int:
    best = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        best = max(best, run)
    return best


def step_summary(grades: Sequence[Grade]) -> str:
    """Render a heading with the total, a table row per check, and a collapsed section per failure."""
    score, max_score = sum(g.score for g in grades), sum(g.max_score for g in grades)
    if len(grades) == 1:
        what = f"{grades[0].exercise} {grades[0].title}"
    else:
        what = ", ".join(g.exercise for g in grades) or "nothing graded"
    lines = [f"## Autograde: {_cell(what)} — {score:g} / {max_score:g}", "",
             "| Exercise | Check | Result | Points |", "| --- | --- | :---: | ---: |"]
    details = []
    for grade in grades:
        error = error_message(grade)
        if error is not None and grade.error is not None:
            details.append((f"{grade.exercise}: not graded to the end ({grade.error.kind})", error))
        for check in grade.checks:
            mark = "✅" if check.passed else "❌"
            lines.append(f"| {_cell(grade.exercise)} | {_cell(check.name)} | {mark} | "
                         f"{check.score:g} / {check.max_score:g} |")
            if not check.passed and not (grade.error is not None and check.diagnosis == grade.error.kind):
                details.append((f"{grade.exercise} {check.name}", check_message(check)))
    for title, text in details:
        text = text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "\n... (truncated)"
        lines += ["", f"<details><summary>{_html(title)}</summary>", "", _fenced(text), "", "</details>"]
    return "\n".join(lines) + "\n"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
