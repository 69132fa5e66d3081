"""Every `grade` command in README.md's code blocks, run exactly as printed from the folder the README implies.

The README's class commands run in the course folder with a relative `submissions/`: a copy of this course in a
temporary folder, with a small class. Each command runs as its own process (`python -m grader` for `grade`), in
the order printed, since later ones read what earlier ones wrote. Outside a course folder, the commands that write
stop with exit code 2 and write nothing, least of all into the package.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
TIMEOUT_S = 180


def readme_commands() -> list[str]:
    """The lines of README.md's fenced code blocks that start with `grade `, trailing comments dropped."""
    commands, inside = [], False
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = not inside
        elif inside and line.startswith("grade "):
            commands.append(shlex.join(shlex.split(line, comments=True)))
    return commands


COMMANDS = readme_commands()


def grade(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """`grade ARGS` as its own process; the grader imported is this checkout's, whatever the folder."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), **env}
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT_S, env=environment)


def make_course(folder: Path) -> Path:
    """A copy of this course (config.yaml, fixtures.py, exercises/, solutions/) with the README's class in
    submissions/."""
    folder.mkdir(parents=True)
    config = (REPO / "config.yaml").read_text(encoding="utf-8")
    assert "  timeout_s: 10 " in config
    # a longer limit than the course's: these runs share the machine, and a loaded one must not time out alice
    (folder / "config.yaml").write_text(config.replace("  timeout_s: 10 ", "  timeout_s: 60 "), encoding="utf-8")
    shutil.copy(REPO / "fixtures.py", folder)
    for name in ("exercises", "solutions"):
        shutil.copytree(REPO / name, folder / name)
    make_class(folder / "submissions")
    return folder


def make_class(folder: Path) -> None:
    """alice answers ex01 and ex03 right in named files; bob answers ex03 with the wrong sign in a notebook named after it."""
    (folder / "alice").mkdir(parents=True)
    for exercise_id in ("ex01", "ex03"):
        shutil.copy(SOLUTIONS / f"{exercise_id}.py", folder / "alice")
    (folder / "bob").mkdir()
    cells = [nbformat.v4.new_code_cell((SOLUTIONS / "wrong" / "ex03_sign.py").read_text(encoding="utf-8"))]
    (folder / "bob" / "ex03.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook(cells=cells)), encoding="utf-8")


def rows(book: Path) -> dict[tuple[str, str], dict]:
    db = sqlite3.connect(book)
    db.row_factory = sqlite3.Row
    try:
        return {(r["student"], r["exercise"]): dict(r) for r in db.execute("SELECT * FROM grades")}
    finally:
        db.close()


def package_files() -> set[Path]:
    """What lies in the package's folder and the course beside it, where no command may write."""
    return {p for p in REPO.rglob("*") if ".git" not in p.parts and "__pycache__" not in p.parts
            and ".pytest_cache" not in p.parts and "tests" not in p.relative_to(REPO).parts[:1]}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, subprocess.CompletedProcess]]:
    """The course copy after every README command ran in it, in order, with what each command returned."""
    folder = make_course(tmp_path_factory.mktemp("readme") / "course")
    done = {}
    for command in COMMANDS:
        done[command] = grade(shlex.split(command)[1:], folder)
    return folder, done


# ------------------------------------------------------------------------------------------- what each command does


def _graded_class(folder: Path, result: subprocess.CompletedProcess) -> None:
    book = folder / "grades" / "gradebook.sqlite"
    assert "2 students, " in result.stdout and f"gradebook {book}\n" in result.stdout, result.stdout
    found = rows(book)
    assert found["alice", "ex03"]["status"] == "passed" and found["alice", "ex01"]["status"] == "passed"
    assert (found["bob", "ex03"]["status"], found["bob", "ex03"]["score"]) == ("failed", 3.0)
    assert json.loads(found["alice", "ex03"]["files"]) == ["alice/ex03.py"]  # relative to the class folder
    assert json.loads(found["bob", "ex03"]["files"]) == ["bob/ex03.ipynb"]


def _first_batch(folder: Path, result: subprocess.CompletedProcess) -> None:
    _graded_class(folder, result)
    assert "graded 4 submission(s), kept 0 unchanged" in result.stdout
    assert "ex01: mean 5.00/10, 1/2 full marks; not graded to the end: 1 no_submission" in result.stdout


def _second_batch(folder: Path, result: subprocess.CompletedProcess) -> None:
    _graded_class(folder, result)
    assert "2 students, 4 submissions over 2 exercise(s) (ex01, ex03)" in result.stdout
    assert "graded 0 submission(s), kept 4 unchanged" in result.stdout


def _forced_batch(folder: Path, result: subprocess.CompletedProcess) -> None:
    _graded_class(folder, result)
    assert "graded 4 submission(s), kept 0 unchanged" in result.stdout


def _csv(folder: Path, result: subprocess.CompletedProcess) -> None:
    lines = result.stdout.splitlines()
    assert lines[:2] == ["student,ex01,ex03,total", "(points possible),10,10,20"], lines
    assert lines[2:] == ["alice,10,10,20", "bob,0,3,3"]


def _canvas(folder: Path, result: subprocess.CompletedProcess) -> None:
    assert result.stderr.strip() == "wrote canvas.csv"
    lines = (folder / "canvas.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,HW3 Autograd (4711)"
    assert "alice,,,alice,,20" in lines and "bob,,,bob,,3" in lines


def _json(folder: Path, result: subprocess.CompletedProcess) -> None:
    data = json.loads(result.stdout)
    assert [e["exercise"] for e in data["exercises"]] == ["ex01", "ex03"]
    scores = {s["student"]: s["score"] for s in data["students"]}
    assert scores == {"alice": 20.0, "bob": 3.0}
    bob = next(s for s in data["students"] if s["student"] == "bob")
    assert [g["submission"] for g in bob["grades"] if g["exercise"] == "ex03"] == ["bob/ex03.ipynb"]


def _junit(folder: Path, result: subprocess.CompletedProcess) -> None:
    text = (folder / "junit.xml").read_text(encoding="utf-8")
    assert text.startswith("<?xml") and text.count("<testsuite ") == 2  # one per student


def _gradescope_results(folder: Path, result: subprocess.CompletedProcess) -> None:
    data = json.loads(result.stdout)
    assert data["score"] == 20 and {t["status"] for t in data["tests"]} == {"passed"}


def _report(folder: Path, result: subprocess.CompletedProcess) -> None:
    html = (folder / "class-report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "ex03" in html and "ex01" in html


def _similar(folder: Path, result: subprocess.CompletedProcess) -> None:
    assert result.stdout.startswith("ex03: 2 submission(s) read") and "not a verdict" in result.stdout
    assert "table similar" in result.stderr and (folder / "grades" / "gradebook.sqlite").is_file()


def _bundle(folder: Path, result: subprocess.CompletedProcess) -> None:
    student = folder / "student"
    assert (student / "config.yaml").is_file() and (student / "exercises").is_dir()
    assert not (student / "solutions").exists()


def _classroom(folder: Path, result: subprocess.CompletedProcess) -> None:
    workflow = folder / "student" / ".github" / "workflows" / "classroom.yml"
    assert workflow.is_file() and "grade ex03 --format classroom" in workflow.read_text(encoding="utf-8")


def _autograder(folder: Path, result: subprocess.CompletedProcess) -> None:
    with zipfile.ZipFile(folder / "autograder.zip") as archive:
        assert {"setup.sh", "run_autograder"} <= set(archive.namelist())


EXPECTED: dict[str, Callable[[Path, subprocess.CompletedProcess], None]] = {
    "grade batch submissions/": _first_batch,
    "grade batch submissions/ --exercises ex01,ex03 --workers 2": _second_batch,
    "grade batch submissions/ --force": _forced_batch,
    "grade batch submissions/ --force --cluster local:2": _forced_batch,
    "grade export --format csv": _csv,
    "grade export --format canvas --canvas-assignment 'HW3 Autograd' --canvas-id 4711 -o canvas.csv": _canvas,
    "grade export --format json": _json,
    "grade export --format junit -o junit.xml": _junit,
    "grade export --format gradescope --student alice": _gradescope_results,
    "grade report -o class-report.html": _report,
    "grade similar --exercise ex03 submissions/": _similar,
    "grade bundle -o student/": _bundle,
    "grade classroom init student/": _classroom,
    "grade gradescope build ex01 ex03 -o autograder.zip": _autograder,
}


def test_every_readme_command_is_known_here():
    assert COMMANDS == list(EXPECTED)  # a command added to the README needs its expected outcome here


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_works_as_printed(course, command):
    if "--cluster" in command and importlib.util.find_spec("distributed") is None:
        pytest.skip("the [dask] extra is not installed (pip install -e '.[test,dask]')")
    folder, done = course
    result = done[command]
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr
    EXPECTED[command](folder, result)


# ------------------------------------------------------------------------------------------- outside a course folder

WRITING = [c for c in COMMANDS if c.split()[1] in ("batch", "export", "report", "similar", "bundle", "classroom",
                                                   "gradescope")]


def test_outside_a_course_folder_the_writing_commands_stop_and_write_nothing(tmp_path):
    """BUG (issue 12): there `grade batch` used the bundled course and wrote its gradebook into the package."""
    away = tmp_path / "not-a-course"
    make_class(away / "submissions")
    before, here = package_files(), sorted(away.rglob("*"))
    assert WRITING == COMMANDS  # every class and packaging command of the README writes something
    for command in WRITING:
        result = grade(shlex.split(command)[1:], away)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert result.stderr.startswith(f"error: no course folder: there is no config.yaml of a course (one with a "
                                        f"schema: key) in {away}"), (command, result.stderr)
        assert "Run the command from the course folder" in result.stderr and "--config" in result.stderr
        if shlex.split(command)[1] in ("batch", "export", "report"):
            assert "--gradebook" in result.stderr
    assert sorted(away.rglob("*")) == here and package_files() == before


def test_outside_a_course_folder_the_reading_commands_use_the_bundled_course(tmp_path):
    shutil.copy(SOLUTIONS / "ex03.py", tmp_path / "answer.py")
    listed = grade(["list"], tmp_path)
    assert listed.returncode == 0 and listed.stdout.startswith("ex01  ")
    assert grade(["show", "ex03"], tmp_path).returncode == 0
    graded = grade(["ex03", "answer.py", "--hidden", "1", "--timeout", "60"], tmp_path)
    assert graded.returncode == 0 and graded.stdout.rstrip().endswith("score: 10/10"), graded.stdout
    started = grade(["start", "ex05"], tmp_path)
    assert started.returncode == 0 and (tmp_path / "ex05.py").is_file()
    notice = (f"grade: no course folder here (no config.yaml at or above {tmp_path}); using the bundled example "
              f"course {REPO}\n")
    for result in (listed, graded, started):  # one line on stderr, the first, saying which course is used
        assert result.stderr.startswith(notice) and result.stderr.count(notice) == 1, result.stderr
    configured = grade(["list", "--config", str(REPO / "config.yaml")], tmp_path)
    assert configured.returncode == 0 and configured.stderr == ""
