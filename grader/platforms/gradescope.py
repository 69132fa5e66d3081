"""Gradescope: the autograder zip (setup.sh, run_autograder, the course, the grader) and what runs inside it.

Gradescope unpacks the zip into /autograder/source, runs setup.sh once, then run_autograder per submission, which
must leave /autograder/results/results.json behind whatever happens. AUTOGRADER_ROOT (or --root) moves that layout.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

from ..config import Settings, load_settings
from ..errors import UsageError
from ..exercise import exercise_files, load_exercise
from ..result import Grade, GradeError
from .install import SOURCE_DIR, TorchPin, write_grader_source

COURSE_DIR = "course"
SKIP_PARTS = ("__MACOSX", ".ipynb_checkpoints", "__pycache__")

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu; python3 3.10 or newer).
set -euo pipefail
cd "$(dirname "$0")"
if ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update
    apt-get install -y python3 python3-pip
fi
# A CPU build of torch first, so the grader's own requirement (torch>=2.2,<3) is already met by it.
python3 -m pip install {torch}
python3 -m pip install ./{source}
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this once per submission, as root. AUTOGRADER_ROOT (default /autograder) holds source/,
# submission/ and results/; run_autograder must always leave results/results.json there.
root="${{AUTOGRADER_ROOT:-/autograder}}"
results="$root/results/results.json"
mkdir -p "$root/results"
rm -f "$results"
export PYTHONPATH="$root/source/{source}${{PYTHONPATH:+:$PYTHONPATH}}"
cd "$root" || exit 1
python3 -m grader gradescope run --root "$root" --config "$root/source/{course}/config.yaml"
status=$?
if ! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$results" >/dev/null 2>&1; then
    # The grader could not even start (python3, torch or the grader missing): say so in a valid results.json.
    printf '%s\\n' '{{"score": 0, "output": "The autograder failed before it could grade this submission (exit '"$status"'): python3, torch or the grader did not start. This is not a grade of your code; ask your instructor to check the autograder (setup.sh).", "tests": [], "stdout_visibility": "visible"}}' > "$results"
fi
exit 0
"""


def build_zip(settings: Settings, exercise_ids: Sequence[str], out: Path, *, torch: TorchPin) -> list[str]:
    """Write the autograder zip for these exercises (their full files, hidden trials included); return its names."""
    from .bundle import config_text, copy_fixtures

    if not exercise_ids:
        raise UsageError("name the exercises this assignment grades: grade gradescope build ex01 ex02 -o autograder.zip")
    files = exercise_files(settings.exercises_dir)
    # validated, or a clear error
    exercises = [load_exercise(settings.exercises_dir, each, settings) for each in exercise_ids]
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp)
        (stage / "setup.sh").write_text(SETUP_SH.format(torch=torch.pip_args, source=SOURCE_DIR), encoding="utf-8")
        (stage / "run_autograder").write_text(RUN_AUTOGRADER.format(source=SOURCE_DIR, course=COURSE_DIR),
                                              encoding="utf-8")
        course = stage / COURSE_DIR
        (course / "exercises").mkdir(parents=True)
        (course / "config.yaml").write_text(config_text(settings, hidden_trials=settings.hidden_trials),
                                            encoding="utf-8")
        copy_fixtures(settings, course, [])
        load_settings(course / "config.yaml")  # proves the copy is a config this grader reads
        for exercise in exercises:
            shutil.copyfile(files[exercise.id], course / "exercises" / files[exercise.id].name)
        write_grader_source(stage / SOURCE_DIR)
        out.parent.mkdir(parents=True, exist_ok=True)
        names = []
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in stage.rglob("*") if p.is_file()):
                name = path.relative_to(stage).as_posix()
                info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
                executable = name in ("setup.sh", "run_autograder")
                info.external_attr = (0o100755 if executable else 0o100644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
                names.append(name)
    return names


def find_answer(folder: Path, exercise_id: str, *, other_ids: Sequence[str] = ()) -> tuple[Path | None, str]:
    """The handed-in file for an exercise: exNN.py or exNN.ipynb anywhere in `folder`, else its only code file
    (unless that one is named after another exercise)."""
    found = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".py", ".ipynb")
                   and not any(part in SKIP_PARTS or part.startswith(".") for part in p.relative_to(folder).parts))
    for suffix in (".py", ".ipynb"):
        named = [p for p in found if p.name == exercise_id + suffix]
        if named:
            return named[0], ""
    if len(found) == 1 and found[0].stem not in other_ids:
        return found[0], ""
    listed = ", ".join(p.relative_to(folder).as_posix() for p in found[:8]) or "no .py or .ipynb file"
    return None, (f"no {exercise_id}.py or {exercise_id}.ipynb among the files handed in ({listed}); "
                  f"name your answer {exercise_id}.py (or {exercise_id}.ipynb) and submit again")


def grade_folder(settings: Settings, submission: Path) -> list[Grade]:
    """Grade the handed-in folder against every exercise of the course, with fresh hidden trials."""
    from ..grade import grade_submission, hidden_seeds, ungraded
    from ..sandbox.runners import open_spawner
    from ..sandbox.spawner import warm_up
    from ..source import read_submission

    warm_up()
    grades = []
    with open_spawner(settings.runner, keep_warm=True, full_warm=True) as spawner:  # forked before any exercise is read: no child can find a reference in its memory
        ids = list(exercise_files(settings.exercises_dir))
        for exercise_id in ids:
            exercise = load_exercise(settings.exercises_dir, exercise_id, settings)
            path, why = find_answer(submission, exercise.id, other_ids=[i for i in ids if i != exercise_id])
            if path is None:
                grades.append(ungraded(exercise, GradeError("no_submission", why)))
                continue
            count = exercise.hidden_trials if exercise.hidden_trials is not None else settings.hidden_trials
            grades.append(grade_submission(exercise, read_submission(path), settings, seeds=hidden_seeds(count),
                                           spawner=spawner))
    return grades


def failure_results(message: str) -> dict:
    """results.json for a run the grader itself could not finish: zero, and why, visible to the student."""
    return {"score": 0.0, "output": f"The autograder could not grade this submission: {message}\n"
                                    f"This is not a grade of your code; please tell your instructor.",
            "tests": [], "stdout_visibility": "visible"}


def write_results(root: Path, results: dict) -> Path:
    """Write results/results.json under the autograder root (atomically: a reader never sees half a file)."""
    folder = root / "results"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "results.json"
    partial = folder / "results.json.partial"
    partial.write_text(json.dumps(results, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    partial.replace(target)
    return target


def run(root: Path, settings: Settings) -> dict:
    """Grade root/submission and return the results.json data; the caller writes it (and handles a crash)."""
    from ..exports import gradescope_results

    started = time.monotonic()
    submission = root / "submission"
    if not submission.is_dir():
        raise UsageError(f"{submission} does not exist: Gradescope puts the handed-in files there")
    grades = grade_folder(settings, submission)
    return gradescope_results(grades, execution_time_s=time.monotonic() - started)

