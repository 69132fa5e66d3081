"""Which file `grade ex03` grades: ex03.py or ex03.ipynb (the newer, said), a misnamed one suggested, ex03.py as ex03."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import SubmissionNotFound

SUFFIXES = (".py", ".ipynb")
# what a download or a file manager adds to a name: "ex03 (1).py", "ex03-copy.py", "Copy of ex03.py", "ex03_v2.py"
_DECORATIONS = re.compile(r"^(copy of\s+)|(\s*\(\d+\)|[\s_-]*copy\d*|[\s_-]*v\d+|[\s_-]*final)$")
_EXERCISE = re.compile(r"^ex[\s_-]?0*(\d+)$")


def exercise_of(name: str) -> str | None:
    """The exercise id a file name means, however it is cased, padded or decorated: 'Ex3 (1).py' -> 'ex03'."""
    stem = Path(name).stem.lower().strip() if Path(name).suffix.lower() in SUFFIXES else name.lower().strip()
    previous = None
    while previous != stem:
        previous, stem = stem, _DECORATIONS.sub("", stem).strip()
    found = _EXERCISE.match(stem)
    return f"ex{int(found.group(1)):02d}" if found else None


def choose_submission(exercise_id: str, folder: Path) -> tuple[Path, str]:
    """The file `grade EXERCISE` grades in `folder`, and a note for the student when the choice needs saying.

    With both EXERCISE.py and EXERCISE.ipynb there, the one changed last is graded and the note says so; with
    neither, the error names the misnamed files that look like this exercise's."""
    found = [folder / f"{exercise_id}{suffix}" for suffix in SUFFIXES if (folder / f"{exercise_id}{suffix}").is_file()]
    if len(found) == 1:
        return found[0], ""
    if found:
        newer, older = sorted(found, key=lambda p: p.stat().st_mtime_ns, reverse=True)
        return newer, (f"grade: both {older.name} and {newer.name} are here; grading {newer.name}, the one changed "
                       f"last. To grade the other: grade {exercise_id} {older.name}")
    near = misnamed(exercise_id, folder)
    if near:
        names = " or ".join(f"'{p.name}'" for p in near)
        raise SubmissionNotFound(f"no {exercise_id}.py or {exercise_id}.ipynb in {folder}, but there is {names}: "
                                 f"did you mean it? Rename it to {exercise_id}{near[0].suffix}, or name it: "
                                 f"grade {exercise_id} \"{near[0].name}\"")
    raise SubmissionNotFound(f"no {exercise_id}.py or {exercise_id}.ipynb in {folder}; name the file to grade: "
                             f"grade {exercise_id} path/to/your_file.py (or run 'grade start {exercise_id}')")


def misnamed(exercise_id: str, folder: Path) -> list[Path]:
    """The .py and .ipynb files in `folder` whose name means `exercise_id` without being exactly its file's name."""
    exact = {f"{exercise_id}{suffix}" for suffix in SUFFIXES}
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    return [p for p in entries if p.suffix.lower() in SUFFIXES and p.name not in exact and p.is_file()
            and exercise_of(p.name) == exercise_id]


def other_format(exercise_id: str, folder: Path, written: Path) -> str:
    """After `grade start` wrote `written`: a note when the other format's file is there too, saying which is graded."""
    other = folder / f"{exercise_id}{'.py' if written.suffix == '.ipynb' else '.ipynb'}"
    if not other.is_file():
        return ""
    return (f"note: {other.name} is here too; 'grade {exercise_id}' grades whichever of the two you changed last. "
            f"To be sure, name the file: grade {exercise_id} {written.name}")
