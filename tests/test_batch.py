"""`grade batch` end to end, as an instructor runs it: a class folder in, a gradebook out, resumable."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from grader.course.feedbackfiles import report_text
from grader.export import results_from_dict
from grader.sandbox.isolate import meets

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"


def _grade(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def _rows(book: Path) -> dict[tuple[str, str], dict]:
    db = sqlite3.connect(book)
    db.row_factory = sqlite3.Row
    return {(r["student"], r["exercise"]): dict(r) for r in db.execute("SELECT * FROM grades")}


def _notebook(path: Path, *sources: str) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    path.write_text(nbformat.writes(notebook), encoding="utf-8")


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("class") / "submissions"
    book = root.parent / "grades" / "gradebook.sqlite"
    files = {
        "alice/ex03.py": (SOLUTIONS / "ex03.py").read_text(),
        "alice/ex01.py": (SOLUTIONS / "ex01.py").read_text(),
        "bob/ex03.py": (SOLUTIONS / "wrong" / "ex03_accumulated.py").read_text(),
        "carol/ex03.py": "raise RuntimeError('carol broke it')\n",
        "dave/ex03.py": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + (SOLUTIONS / "ex03.py").read_text(),
        "erin/ex03.py": "def q_backward(a, b):\n    while True:\n        pass\n",
        "mallory/ex03.py": (
            "import os\n"
            f"def probe(path):\n"
            f"    try:\n        return open(path).read()[:40]\n"
            f"    except OSError as exc:\n        return type(exc).__name__\n"
            f"print('BOB:', probe({str(root / 'bob' / 'ex03.py')!r}))\n"
            f"print('BOOK:', probe({str(book)!r}))\n"
            f"try:\n    open({str(book.parent / 'planted')!r}, 'w').write('x')\n    print('PLANTED')\n"
            f"except OSError as exc:\n    print('NOT PLANTED', type(exc).__name__)\n"
            + (SOLUTIONS / "ex03.py").read_text()),
        "gina/README.txt": "I will hand it in tomorrow\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "frank").mkdir()
    _notebook(root / "frank" / "homework.ipynb", "import torch", (SOLUTIONS / "ex03.py").read_text())
    done = _grade("batch", root, "--gradebook", book, "--timeout", "1.5", "--workers", "2")
    return root, book, done


@pytest.mark.needs_linux_sandbox  # the class holds a student who kills the grading process, one who reads the gradebook
def test_every_student_gets_a_grade_and_a_reason(graded_class) -> None:
    root, book, done = graded_class
    assert done.returncode == 0, done.stderr
    rows = _rows(book)
    students = {line.split(",")[0] for line in _grade("export", "--gradebook", book).stdout.splitlines()[2:]}
    assert {"alice", "bob"} <= students
    assert {(s, e) for s in students for e in ("ex01", "ex03")} <= set(rows)  # and no_submission for the rest
    assert {e for (s, e), row in rows.items() if row["error_kind"] != "no_submission"} == {"ex01", "ex03"}
    status = {key: (row["status"], row["score"], row["error_kind"]) for key, row in rows.items()}
    assert status[("alice", "ex03")] == ("passed", 10.0, None)
    assert status[("alice", "ex01")] == ("passed", 10.0, None)
    assert status[("bob", "ex03")][:2] == ("failed", 4.0)
    assert status[("carol", "ex03")] == ("error", 0.0, "exception")
    assert status[("erin", "ex03")] == ("error", 0.0, "timeout")
    assert status[("frank", "ex03")] == ("passed", 10.0, None)  # homework.ipynb answers ex03 ...
    assert status[("frank", "ex01")] == ("error", 0.0, "no_submission")  # ... and not ex01
    assert "homework.ipynb define neither" in json.loads(rows[("frank", "ex01")]["report"])["error"]["message"]
    assert status[("gina", "ex03")] == ("error", 0.0, "no_submission")
    assert "gina/README.txt: not a .py file or notebook" in done.stderr
    assert json.loads(rows[("bob", "ex03")]["report"])["submission"] == "bob/ex03.py"
    assert {row["grader_version"] for row in rows.values()} == {"0.1.0"}
    hidden = {row["seeds"] for key, row in rows.items() if key[1] == "ex03" and row["error_kind"] != "no_submission"}
    assert len(hidden) == 1  # one set of hidden trials for the class
    assert "ex03: mean" in done.stdout and "1 timeout" in done.stdout


@pytest.mark.needs_linux_sandbox  # the class holds a student who kills the grading process, one who reads the gradebook
def test_a_submission_that_kills_its_launcher_costs_only_its_own_grade(graded_class) -> None:
    _, book, _ = graded_class
    rows = _rows(book)
    # killed its launcher (a crash), or could not reach it from its own process tree (the attack did nothing)
    assert (rows[("dave", "ex03")]["error_kind"], rows[("dave", "ex03")]["status"]) in (("crash", "error"),
                                                                                          (None, "passed"))
    # the students graded after dave on the same launchers were graded normally
    assert rows[("frank", "ex03")]["status"] == rows[("mallory", "ex03")]["status"] == "passed"


@pytest.mark.needs_linux_sandbox  # the class holds a student who kills the grading process, one who reads the gradebook
def test_a_submission_cannot_see_other_students_or_the_gradebook(graded_class) -> None:
    _, book, _ = graded_class
    report = json.loads(_rows(book)[("mallory", "ex03")]["report"])
    if not meets(report["sandbox"], "namespaces"):
        pytest.skip(f"this machine gives no namespaces, so folders cannot be hidden: {report['sandbox']}")
    assert "BOB: FileNotFoundError" in report["output"]
    assert "BOOK: FileNotFoundError" in report["output"]
    assert "NOT PLANTED" in report["output"] and not (book.parent / "planted").exists()


@pytest.mark.needs_linux_sandbox  # the class holds a student who kills the grading process, one who reads the gradebook
def test_a_second_run_regrades_only_what_changed(graded_class) -> None:
    root, book, _ = graded_class
    before = _rows(book)
    (root / "bob" / "ex03.py").write_text((SOLUTIONS / "ex03.py").read_text(), encoding="utf-8")
    again = _grade("batch", root, "--gradebook", book, "--timeout", "1.5")
    assert again.returncode == 0, again.stderr
    unchanged = len(before) - 1  # every (student, exercise) row of the class but bob's ex03, however many exercises
    assert f"{unchanged} submission(s) unchanged" in again.stdout and "graded 1 submission(s)" in again.stdout
    after = _rows(book)
    assert after[("bob", "ex03")]["status"] == "passed"
    assert after[("alice", "ex03")]["graded_at"] == before[("alice", "ex03")]["graded_at"]
    forced = _grade("batch", root, "--gradebook", book, "--timeout", "1.5", "--exercises", "ex01", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "graded 8 submission(s)" in forced.stdout


def test_bad_input_is_refused_with_the_reason(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = _grade("batch", empty, "--gradebook", tmp_path / "gb.sqlite")
    assert done.returncode == 2 and "no student folders" in done.stderr
    (tmp_path / "class" / "alice").mkdir(parents=True)
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"garbage" * 100)
    done = _grade("batch", tmp_path / "class", "--gradebook", corrupt)
    assert done.returncode == 2 and "left untouched" in done.stderr
    assert corrupt.read_bytes() == b"garbage" * 100


def _alive(marker: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.mark.skipif(os.name == "nt", reason="kill -9 and /proc: POSIX only")
def test_kill_9_in_the_middle_loses_nothing_and_the_next_run_goes_on(tmp_path: Path) -> None:
    root = tmp_path / "slow-class"
    book = tmp_path / "gb.sqlite"
    slow = (SOLUTIONS / "ex03.py").read_text() + "\nimport time\ntime.sleep(0.4)\n"
    for i in range(10):
        (root / f"s{i:02d}").mkdir(parents=True)
        (root / f"s{i:02d}" / "ex03.py").write_text(slow, encoding="utf-8")
    command = [sys.executable, "-m", "grader", "batch", str(root), "--gradebook", str(book), "--workers", "1"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not book.exists() or len(_safe_rows(book)) < 3):
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait()
    kept = _safe_rows(book)
    assert 3 <= len(kept) < 10
    deadline = time.monotonic() + 5
    while _alive(str(root)) and time.monotonic() < deadline:  # the zygote, launchers and children die with it
        time.sleep(0.05)
    assert _alive(str(root)) == []
    again = _grade("batch", root, "--gradebook", book)
    assert again.returncode == 0, again.stderr
    assert f"{len(kept)} submission(s) unchanged" in again.stdout
    rows = _rows(book)
    assert len(rows) == 10 and {r["status"] for r in rows.values()} == {"passed"}
    assert all(rows[key]["graded_at"] == kept[key] for key in kept)


def _safe_rows(book: Path) -> dict[tuple[str, str], str]:
    try:
        db = sqlite3.connect(f"file:{book}?mode=ro", uri=True, timeout=5)
        return {(s, e): t for s, e, t in db.execute("SELECT student, exercise, graded_at FROM grades")}
    except sqlite3.OperationalError:
        return {}


@pytest.mark.needs_linux_sandbox  # the class holds a student who kills the grading process, one who reads the gradebook
def test_the_class_report_is_written_from_the_gradebook(graded_class, tmp_path: Path) -> None:
    _, book, _ = graded_class
    page = tmp_path / "report.html"
    done = _grade("report", "--gradebook", book, "-o", page, "--title", "HW3 <autograd>")
    assert done.returncode == 0, done.stderr
    html = page.read_text(encoding="utf-8")
    assert "HW3 &lt;autograd&gt;" in html and "<svg" in html
    # the exercises of every batch so far (ex03, then ex01 alone), and no other
    assert "ran past the time limit in ex03" in html and "ex01" in html and "ex05" not in html
    missing = _grade("report", "--gradebook", tmp_path / "none.sqlite")
    assert missing.returncode == 2 and "run `grade batch SUBMISSIONS` first" in missing.stderr


@pytest.mark.needs_linux_sandbox  # the class holds a student who kills the grading process, one who reads the gradebook
def test_exports_are_written_from_the_gradebook(graded_class, tmp_path: Path) -> None:
    _, book, _ = graded_class
    table = _grade("export", "--gradebook", book, "--format", "csv")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == "student,ex01,ex03,total" and lines[1] == "(points possible),10,10,20"
    assert "alice,10,10,20" in lines and len(lines) == 2 + 8
    canvas = tmp_path / "canvas.csv"
    done = _grade("export", "--gradebook", book, "--format", "canvas", "--canvas-assignment", "HW3 Autograd",
                  "--canvas-id", "4711", "-o", canvas)
    assert done.returncode == 0, done.stderr
    assert canvas.read_text().splitlines()[:3] == ["Student,ID,SIS User ID,SIS Login ID,Section,HW3 Autograd (4711)",
                                                   "Points Possible,,,,,20", "alice,,,alice,,20"]
    results = json.loads(_grade("export", "--gradebook", book, "--format", "gradescope", "--student", "erin").stdout)
    assert results["score"] == 0 and {t["status"] for t in results["tests"]} == {"failed"}
    unknown = _grade("export", "--gradebook", book, "--format", "gradescope", "--student", "zoe")
    assert unknown.returncode == 2 and "'zoe': not in the gradebook" in unknown.stderr
    junit = _grade("export", "--gradebook", book, "--format", "junit", "--exercises", "ex03")
    assert junit.returncode == 0 and junit.stdout.count("<testsuite ") == 8


def test_feedback_files_are_written_for_each_student_from_the_gradebook(graded_class, tmp_path: Path) -> None:
    _, book, _ = graded_class
    out = tmp_path / "feedback"
    done = _grade("feedback", "-o", out, "--gradebook", book)
    assert done.returncode == 0, done.stderr
    students = {line.split(",")[0] for line in _grade("export", "--gradebook", book).stdout.splitlines()[2:]}
    assert {"alice", "bob"} <= students
    assert {p.name for p in out.iterdir()} == students and "hidden trials' details left out" in done.stdout
    bob = (out / "bob" / "report.txt").read_text(encoding="utf-8")
    stored = results_from_dict(json.loads(_grade("export", "--gradebook", book, "--format", "json").stdout))
    [bobs] = [r for r in stored if r.student == "bob"]  # an earlier test may have regraded bob: read what is stored
    assert bob == report_text(bobs, hidden_details=False) and bob.startswith("ex01: ") and "ex03: Gradients" in bob
    assert "\033[" not in bob and "hidden seeds" not in bob and "total: " in bob  # ex01 and ex03: a total
    page = (out / "bob" / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<title>bob: " in page
    assert all(f">{check.name}</td>" in page for grade in bobs.grades for check in grade.checks)
    assert "<script" not in page
    one = _grade("feedback", "-o", tmp_path / "one", "--gradebook", book, "--student", "alice", "--exercises", "ex03")
    assert one.returncode == 0 and [p.name for p in (tmp_path / "one").iterdir()] == ["alice"]
    assert "10/10" in (tmp_path / "one" / "alice" / "report.txt").read_text() and \
        "total" not in (tmp_path / "one" / "alice" / "report.txt").read_text()
    unknown = _grade("feedback", "-o", tmp_path / "none", "--gradebook", book, "--student", "alise")
    assert unknown.returncode == 2 and "did you mean 'alice'?" in unknown.stderr
    assert not (tmp_path / "none").exists()


def test_a_relative_class_folder_through_symlinks_with_a_gradebook_under_home(tmp_path: Path) -> None:
    """BUG (issue 12): a relative class folder crashed after the first student (ValueError in batch.py), stored nothing.

    Run from below the course folder, as `grade batch ../submissions/`: the class folder is a symlink, bob's folder
    another, carol's answer a symlinked file; the gradebook is given as ~/... (HOME set to a folder of the test's).
    """
    home, course, downloads = tmp_path / "home", tmp_path / "course", tmp_path / "downloads"
    course.mkdir()
    (course / "config.yaml").write_text((REPO / "config.yaml").read_text(), encoding="utf-8")
    (course / "exercises").symlink_to(REPO / "exercises", target_is_directory=True)
    (course / "notes").mkdir()
    (downloads / "class" / "alice").mkdir(parents=True)
    (downloads / "class" / "alice" / "ex03.py").write_text((SOLUTIONS / "ex03.py").read_text(), encoding="utf-8")
    (downloads / "late" / "bob").mkdir(parents=True)
    (downloads / "late" / "bob" / "ex03.py").write_text((SOLUTIONS / "wrong" / "ex03_sign.py").read_text(),
                                                         encoding="utf-8")
    (downloads / "class" / "bob").symlink_to(downloads / "late" / "bob", target_is_directory=True)
    (downloads / "class" / "carol").mkdir()
    (downloads / "answers").mkdir()
    (downloads / "answers" / "carol.py").write_text((SOLUTIONS / "ex03.py").read_text(), encoding="utf-8")
    (downloads / "class" / "carol" / "ex03.py").symlink_to(downloads / "answers" / "carol.py")
    (course / "submissions").symlink_to(downloads / "class", target_is_directory=True)
    done = subprocess.run([sys.executable, "-m", "grader", "batch", "../submissions/", "--gradebook", "~/gb.sqlite"],
                          cwd=course / "notes", capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(home), "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert f"3 students, 3 submissions over 1 exercise(s) (ex03); gradebook {home}/gb.sqlite" in done.stdout
    rows = _rows(home / "gb.sqlite")
    assert {key: (row["status"], json.loads(row["files"])) for key, row in rows.items()} == {
        ("alice", "ex03"): ("passed", ["alice/ex03.py"]), ("bob", "ex03"): ("failed", ["bob/ex03.py"]),
        ("carol", "ex03"): ("passed", ["carol/ex03.py"])}
    assert not (course / "notes" / "~").exists() and not (course / "grades").exists()


HOSTILE = REPO / "tests" / "hostile"
HONEST = {
    "amy": (SOLUTIONS / "ex03.py").read_text(),
    "cat": (SOLUTIONS / "wrong" / "ex03_accumulated.py").read_text(),
    "eve": "raise RuntimeError('eve broke it')\n",
    "gus": (SOLUTIONS / "ex03.py").read_text(),
    "ivy": (SOLUTIONS / "wrong" / "ex03_accumulated.py").read_text(),
}
BOUNDED = {  # each trips one bound of the grading process's work, between honest students in the order graded
    "ben": ((HOSTILE / "frame_flood.py").read_text(), "result_limit"),
    "dan": ((HOSTILE / "note_flood.py").read_text(), "result_limit"),
    "fay": ((HOSTILE / "huge_error_texts.py").read_text(), None),
    "hal": ("def q_backward(a, b):\n    while True:\n        print('x' * 999)\n", "output_limit"),
    "jon": ((HOSTILE / "result_flood.py").read_text(), "result_limit"),
}


def _reports(book: Path) -> dict[str, dict]:
    """Each student's stored ex03 report, without the times that differ from run to run."""
    found = {}
    for (student, _), row in _rows(book).items():
        report = json.loads(row["report"])
        del report["seconds"], report["trial_seconds"]
        found[student] = report
    return found


def test_a_batch_finishes_when_students_trip_each_bound_and_grades_the_others_the_same(tmp_path: Path) -> None:
    """BUG (unbounded work in the grading process): a frame flood took minutes to read, and forged notes and
    texts made reports (and gradebook rows) as large as the submission liked. Each now costs only its own grade."""
    root = tmp_path / "class"
    book = tmp_path / "gb.sqlite"
    for student, text in HONEST.items():
        (root / student).mkdir(parents=True)
        (root / student / "ex03.py").write_text(text, encoding="utf-8")
    args = ("batch", root, "--gradebook", book, "--exercises", "ex03", "--timeout", "3", "--workers", "2")
    alone = _grade(*args)
    assert alone.returncode == 0, alone.stderr
    before = _reports(book)
    assert {s: r["status"] for s, r in before.items()} == {"amy": "passed", "cat": "failed", "eve": "error",
                                                          "gus": "passed", "ivy": "failed"}
    for student, (text, _) in BOUNDED.items():
        (root / student).mkdir()
        (root / student / "ex03.py").write_text(text, encoding="utf-8")
    started = time.monotonic()
    together = _grade(*args, "--force")  # the same gradebook: the same hidden seeds
    assert together.returncode == 0, together.stderr
    assert time.monotonic() - started < 60
    after = _reports(book)
    assert {s: after[s] for s in HONEST} == before
    for student, (_, kind) in BOUNDED.items():
        assert (after[student]["error"] or {}).get("kind") == kind, after[student]["error"]
    assert after["fay"]["status"] == "passed" and len(after["fay"]["notes"]) == 50
    sizes = {key[0]: len(row["report"]) for key, row in _rows(book).items()}
    assert max(sizes.values()) < (1024 << 10) + 300_000, sizes  # the output limit, and a bounded rest
