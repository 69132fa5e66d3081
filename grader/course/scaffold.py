"""grade init and grade new: a course folder of one's own, and a new exercise in it, that check out as written.

Nothing here overwrites a file: a course or an exercise that exists already is refused, naming what is there.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

from ..config import CONFIG_NAME, Settings, outside_package
from ..errors import UsageError
from ..exercise import CHECK_KINDS, ID_PATTERN, exercise_files
from . import templates

SLUG_CHARS = 40
EXAMPLE = ("ex01", "Your first gradient: y = sum(x²)")  # the example exercise of a new course


def init_course(folder: Path) -> list[Path]:
    """Write a new course into `folder` (made if missing): config, fixtures, README, and one example exercise."""
    outside_package(folder, "a course")
    for taken in (folder / CONFIG_NAME, folder / "exercises"):
        if taken.exists():
            raise UsageError(f"{folder}: already holds {taken.name}, so it is a course already (or another tool's "
                             f"folder); `grade init` only writes a new course. Choose an empty or new folder, or add "
                             f"exercises here with: grade new exNN \"title\"")
    name = folder.expanduser().absolute().name or "course"
    files = {folder / CONFIG_NAME: templates.CONFIG.substitute(),
             folder / "fixtures.py": templates.FIXTURES.substitute(),
             folder / "README.md": templates.README.substitute(name=name)}
    _refuse_existing(list(files))
    for path in (folder / "exercises", folder / "solutions" / "wrong"):
        path.mkdir(parents=True, exist_ok=True)
    _write(files)
    settings = Settings(root=folder, exercises_dir=folder / "exercises", solutions_dir=folder / "solutions")
    return [*files, *new_exercise(settings, *EXAMPLE)]


def new_exercise(settings: Settings, exercise_id: str, title: str) -> list[Path]:
    """Write exercises/<id>_<slug>.yaml, solutions/<id>.py and one known-wrong variant: a small real exercise."""
    if not ID_PATTERN.fullmatch(exercise_id):
        raise UsageError(f"'{exercise_id}' is not an exercise id: ids are ex and two digits, e.g. ex07")
    title = " ".join(title.split())
    if not title:
        raise UsageError(f"the title of {exercise_id} is empty: give one in quotes, e.g. "
                         f"grade new {exercise_id} \"Gradient of a sum of squares\"")
    outside_package(settings.exercises_dir, "an exercise")
    existing = exercise_files(settings.exercises_dir) if settings.exercises_dir.is_dir() else {}
    if exercise_id in existing:
        raise UsageError(f"{existing[exercise_id]}: {exercise_id} exists already; pick a free id (taken: "
                         f"{', '.join(existing)})")
    text = {"id": exercise_id, "title": json.dumps(title, ensure_ascii=False),  # a YAML double-quoted scalar
            "title_text": title.replace("\\", "\\\\").replace('"', '\\"'),  # inside a Python docstring
            "kinds": textwrap.fill(", ".join(CHECK_KINDS), width=110, subsequent_indent="# ")}
    files = {settings.exercises_dir / f"{exercise_id}_{slug(title)}.yaml": templates.EXERCISE.substitute(text),
             settings.solutions_dir / f"{exercise_id}.py": templates.SOLUTION.substitute(text),
             settings.solutions_dir / "wrong" / f"{exercise_id}_{templates.WRONG_NAME}.py":
                 templates.WRONG.substitute(text)}
    _refuse_existing(list(files))
    for path in files:
        path.parent.mkdir(parents=True, exist_ok=True)
    _write(files)
    return list(files)


def slug(title: str) -> str:
    """The file-name part of a title: its lower-case ASCII words joined by _, as many as fit in 40 characters."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    kept = words[:1]
    for word in words[1:]:
        if len("_".join([*kept, word])) > SLUG_CHARS:
            break
        kept.append(word)
    return "_".join(kept)[:SLUG_CHARS] or "exercise"


def _refuse_existing(paths: list[Path]) -> None:
    taken = [str(p) for p in paths if p.exists()]
    if taken:
        raise UsageError(f"{', '.join(taken)}: exists already; nothing was written (move it away, or choose "
                         f"another folder or id)")


def _write(files: dict[Path, str]) -> None:
    for path, text in files.items():
        with open(path, "x", encoding="utf-8") as out:  # "x": never overwrite, even one written meanwhile
            out.write(text)
