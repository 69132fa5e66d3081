"""A submission file -> the code to run in the child."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .errors import SubmissionNotFound

MAX_SOURCE_BYTES = 2_000_000


@dataclass(frozen=True)
class Submission:
    """The student's code as text, or the reason it cannot be read as code."""

    path: Path
    display: str
    text: str
    sha256: str
    problem: str | None = None
    problem_line: int | None = None


def find_submission(exercise_id: str, folder: Path) -> Path:
    """The default submission for an exercise: exNN.py, else exNN.ipynb, in `folder`."""
    for suffix in (".py", ".ipynb"):
        candidate = folder / f"{exercise_id}{suffix}"
        if candidate.is_file():
            return candidate
    raise SubmissionNotFound(f"no {exercise_id}.py or {exercise_id}.ipynb in {folder}; name the file to grade: "
                             f"grade {exercise_id} path/to/your_file.py (or run 'grade start {exercise_id}')")


def read_submission(path: Path) -> Submission:
    """Read a .py submission; bytes that are not code become a `problem`, graded as a syntax error."""
    if path.suffix == ".ipynb":
        raise SubmissionNotFound(f"{path}: notebook submissions are not supported by this version of the grader; "
                                 f"copy the code cells into {path.with_suffix('.py').name}")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SubmissionNotFound(f"{path}: no such file") from None
    except OSError as exc:
        raise SubmissionNotFound(f"{path}: cannot read: {exc.strerror or exc}") from None
    digest = hashlib.sha256(raw).hexdigest()
    display = path.name
    if len(raw) > MAX_SOURCE_BYTES:
        return Submission(path, display, "", digest, f"the file is {len(raw)} bytes; the limit is {MAX_SOURCE_BYTES}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return Submission(path, display, "", digest,
                          f"the file is not UTF-8 text (byte {raw[exc.start]:#04x} on line {line}); save it as UTF-8",
                          line)
    return Submission(path, display, text, digest)
