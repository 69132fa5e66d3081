"""A submission file -> the code to run in the child."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .errors import SubmissionNotFound

MAX_SOURCE_BYTES = 2_000_000


@dataclass(frozen=True)
class Unit:
    """One piece of student code to run: a whole .py file, or one notebook cell."""

    filename: str
    source: str
    cell: int | None = None


@dataclass(frozen=True)
class Submission:
    """The student's code as text, or the reason it cannot be read as code."""

    path: Path
    display: str
    text: str
    sha256: str
    problem: str | None = None
    problem_line: int | None = None
    cells: tuple | None = None  # a notebook's code cells (grader.notebook.Cell); None for a .py file
    notes: tuple[str, ...] = ()


def units_for(submission: Submission, exercise_id: str) -> tuple:
    """The code to run, in order: the whole file, or the notebook's cells (when some cells are tagged with
    this exercise, only those and the untagged ones)."""
    if submission.cells is None:
        return (Unit(filename=submission.display, source=submission.text),)
    cells = [c for c in submission.cells if not c.skipped]
    if any(exercise_id in c.tags for c in cells):
        cells = [c for c in cells if not c.tags or exercise_id in c.tags]
    return tuple(Unit(filename=f"<cell {c.number}>", source=c.source, cell=c.number) for c in cells)


def find_submission(exercise_id: str, folder: Path) -> Path:
    """The default submission for an exercise: exNN.py, else exNN.ipynb, in `folder`."""
    for suffix in (".py", ".ipynb"):
        candidate = folder / f"{exercise_id}{suffix}"
        if candidate.is_file():
            return candidate
    raise SubmissionNotFound(f"no {exercise_id}.py or {exercise_id}.ipynb in {folder}; name the file to grade: "
                             f"grade {exercise_id} path/to/your_file.py (or run 'grade start {exercise_id}')")


def read_submission(path: Path) -> Submission:
    """Read a .py file or a notebook; bytes that are not code become a `problem`, graded as a syntax error."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SubmissionNotFound(f"{path}: no such file") from None
    except OSError as exc:
        raise SubmissionNotFound(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_submission(path, raw)


def parse_submission(path: Path, raw: bytes) -> Submission:
    """A submission from its bytes, read elsewhere (a grading machine without the class folder); `path` names it."""
    digest = hashlib.sha256(raw).hexdigest()
    display = path.name
    limit = MAX_SOURCE_BYTES * (10 if path.suffix == ".ipynb" else 1)  # notebooks carry their stored outputs
    if len(raw) > limit:
        return Submission(path, display, "", digest, f"the file is {len(raw)} bytes; the limit is {limit}")
    if path.suffix == ".ipynb":
        return _read_notebook(path, display, raw, digest)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return Submission(path, display, "", digest,
                          f"the file is not UTF-8 text (byte {raw[exc.start]:#04x} on line {line}); save it as UTF-8",
                          line)
    return Submission(path, display, text, digest)


def _read_notebook(path: Path, display: str, raw: bytes, digest: str) -> Submission:
    from .notebook import NotebookProblem, read_notebook

    try:
        cells = read_notebook(raw, str(path))
    except NotebookProblem as problem:
        return Submission(path, display, "", digest, problem.message, problem.line)
    notes = tuple(note for cell in cells for note in cell.notes)
    return Submission(path, display, "", digest, cells=cells, notes=notes)
