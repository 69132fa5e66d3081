"""One submission's grades -> `::error file=...,line=...::message` workflow commands for GitHub Actions.

One annotation per exercise whose code raised (or failed to parse) at a known line, pinned to that line of the
submission; at most MAX_ANNOTATIONS, GitHub's limit per step. Notebooks get no line: theirs count within a cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..result import Grade
from .visible import error_message, shown_path

MAX_ANNOTATIONS = 10


def escape_data(text: str) -> str:
    """Escape a command's message as the Actions toolkit does: %, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command's parameter value: as a message, plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotations(grades: Sequence[Grade], *, root: Path | None = None) -> list[str]:
    """Build the error annotations for exceptions and syntax errors in the student's code."""
    lines = []
    for grade in grades:
        error = grade.error
        message = error_message(grade)
        if error is None or error.line is None or message is None:
            continue
        path = shown_path(grade.submission, root)
        where = f"file={escape_property(path)}"
        if not path.endswith(".ipynb"):
            where += f",line={error.line}"
        title = escape_property(f"{grade.exercise}: {error.kind}")
        lines.append(f"::error {where},title={title}::{escape_data(message)}")
    return lines[:MAX_ANNOTATIONS]
