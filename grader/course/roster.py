"""A class's submissions folder -> who handed in which file for which exercise."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..exercise import did_you_mean

SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints", "__MACOSX"}
CODE_SUFFIXES = (".py", ".ipynb")


@dataclass(frozen=True)
class Job:
    """One student's answer to one exercise: the files that may hold it, tried in order until one does."""

    student: str
    exercise: str
    files: tuple[Path, ...]  # empty: nothing handed in

    @property
    def fingerprint(self) -> str:
        """The files' content hash: unchanged files need no regrading."""
        digest = hashlib.sha256()
        for path in self.files:
            digest.update(path.name.encode() + b"\0")
            try:
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            except OSError as exc:  # graded later as unreadable; the hash just has to differ from a good file's
                digest.update(f"unreadable: {exc}".encode())
        return digest.hexdigest()


@dataclass(frozen=True)
class Roster:
    """Every job of a batch, and what in the folder matched no exercise."""

    folder: Path  # absolute, symlinks kept: every job's files lie under it, so each can be shown relative to it
    students: tuple[str, ...]
    exercises: tuple[str, ...]
    jobs: tuple[Job, ...]
    ignored: tuple[str, ...]  # "alice/notes.txt: matches no exercise", relative to the folder


def select_exercises(known: list[str], wanted: str | None) -> tuple[str, ...] | None:
    """The ids of `--exercises ex01,ex03`, checked against the catalog; None when not given."""
    if wanted is None:
        return None
    ids = tuple(dict.fromkeys(part.strip() for part in wanted.split(",") if part.strip()))
    for exercise_id in ids:
        if exercise_id not in known:
            hint = did_you_mean(exercise_id, known) or f"; the exercises are {', '.join(known)}"
            raise UsageError(f"--exercises: no exercise {exercise_id!r}{hint}")
    if not ids:
        raise UsageError("--exercises is empty; give ids like --exercises ex01,ex03")
    return ids


def read_roster(folder: Path, known: list[str], selected: tuple[str, ...] | None) -> Roster:
    """One folder per student (its name is the student id) holding exNN.py / exNN.ipynb files or notebooks.

    A file named after an exercise answers it; any other notebook may answer several and is tried for each
    exercise no named file answers. Without `selected`, the assigned exercises are those anyone answered,
    and a student with no file for one gets a zero with the reason.
    """
    folder = folder.expanduser().absolute()  # never resolved: a symlinked class folder keeps its own name
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder; give the folder that holds one folder per student")
    ignored: list[str] = []
    students: dict[str, Path] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in SKIPPED_DIRS:
            continue
        if entry.is_dir():
            students[entry.name] = entry
        else:
            ignored.append(f"{entry.name}: not inside a student folder")
    if not students:
        raise UsageError(f"{folder}: no student folders; expected one folder per student "
                         f"(its name is the student id) holding files like ex01.py or ex01.ipynb")
    _refuse_case_clashes(folder, list(students))
    named: dict[str, dict[str, list[Path]]] = {}
    notebooks: dict[str, list[Path]] = {}
    lookup = {exercise_id.lower(): exercise_id for exercise_id in known}
    for student, path in students.items():
        named[student], notebooks[student] = {}, []
        for file in _files(path):
            relative = file.relative_to(folder).as_posix()
            exercise_id = lookup.get(file.stem.lower())
            if file.suffix not in CODE_SUFFIXES:
                ignored.append(f"{relative}: not a .py file or notebook")
            elif exercise_id is not None:
                named[student].setdefault(exercise_id, []).append(file)
            elif file.suffix == ".ipynb":
                notebooks[student].append(file)
            else:
                ignored.append(f"{relative}: matches no exercise (name it after one, e.g. {known[0]}.py)")
    if selected is None:
        answered = {e for files in named.values() for e in files}
        if any(notebooks.values()):
            answered = set(known)  # a notebook may answer any of them; unanswered ones are dropped later
        selected = tuple(e for e in known if e in answered)
    jobs = []
    for student in students:
        for exercise_id in selected:
            files = named[student].get(exercise_id)
            # exNN.py before exNN.ipynb, as `grade exNN` picks them; shallower before deeper
            files = sorted(files, key=lambda p: (len(p.parts), p.suffix != ".py", str(p))) if files else []
            jobs.append(Job(student, exercise_id, tuple(files[:1] or notebooks[student])))
    return Roster(folder, tuple(students), tuple(selected), tuple(jobs), tuple(ignored))


def _files(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") or p in SKIPPED_DIRS for p in parts) or not path.is_file():
            continue
        found.append(path)
    return found


def _refuse_case_clashes(folder: Path, names: list[str]) -> None:
    seen: dict[str, list[str]] = {}
    for name in names:
        seen.setdefault(name.casefold(), []).append(name)
    clashes = [group for group in seen.values() if len(group) > 1]
    if clashes:
        listed = "; ".join(" and ".join(group) for group in clashes)
        raise UsageError(f"{folder}: student ids that differ only in case: {listed}. Gradebooks match students "
                         f"without regard to case, so merge or rename these folders, then run again")
