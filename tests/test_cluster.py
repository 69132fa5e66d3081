"""`grade batch --cluster` on a Dask LocalCluster: the same gradebook as a local batch, even when a worker is killed."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from grader.cli import main

needs_dask = pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                reason="the [dask] extra is not installed (pip install -e '.[dask]')")
distributed = importlib.import_module("distributed") if importlib.util.find_spec("distributed") else None

REPO = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO / "solutions"
SEED_BASE = "777000"
TIMINGS = ("seconds", "trial_seconds", "wall_seconds", "graded_at")
EXERCISES = ("--exercises", "ex01,ex03")  # frank's notebook could answer any exercise: grade these two only


def _write_class(root: Path, book: Path) -> None:
    correct = (SOLUTIONS / "ex03.py").read_text()
    files = {
        "alice/ex03.py": correct,
        "alice/ex01.py": (SOLUTIONS / "ex01.py").read_text(),
        "bob/ex03.py": (SOLUTIONS / "wrong" / "ex03_accumulated.py").read_text(),
        "carol/ex03.py": "raise RuntimeError('carol broke it')\n",
        # kills its own launcher: costs its own grade (crash), never the Dask worker
        "dave/ex03.py": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n" + correct,
        "erin/ex03.py": "def q_backward(a, b):\n    while True:\n        pass\n",
        "mallory/ex03.py": (f"try:\n    print('BOB:', open({str(root / 'bob' / 'ex03.py')!r}).read()[:20])\n"
                            f"except OSError as exc:\n    print('BOB:', type(exc).__name__)\n" + correct),
    }
    for n in range(6):  # slow enough that a worker killed after the first grades still has a job in flight
        files[f"slow{n}/ex03.py"] = "import time\ntime.sleep(0.4)\n" + correct
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "frank").mkdir()
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in ("import torch", correct)])
    (root / "frank" / "homework.ipynb").write_text(nbformat.writes(notebook), encoding="utf-8")
    _seed(book)


def _seed(book: Path) -> None:
    """A gradebook whose hidden seeds are fixed, so that two runs grade the same trials."""
    from grader.course.gradebook import Gradebook

    book.parent.mkdir(parents=True, exist_ok=True)
    with Gradebook(book) as gradebook:
        gradebook.set_meta("hidden_seed_base", SEED_BASE)


def _grades(book: Path) -> dict[tuple[str, str], dict]:
    """Every stored grade with its report, timings left out (they are the only thing allowed to differ)."""
    db = sqlite3.connect(book)
    db.row_factory = sqlite3.Row
    found = {}
    for row in db.execute("SELECT * FROM grades"):
        row = {k: row[k] for k in row.keys() if k not in TIMINGS}
        row["report"] = {k: v for k, v in json.loads(row["report"]).items() if k not in TIMINGS}
        found[(row["student"], row["exercise"])] = row
    db.close()
    return found


@pytest.fixture(scope="module")
def course_class(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cluster") / "submissions"
    root.mkdir()
    _write_class(root, root.parent / "local.sqlite")
    return root


@pytest.fixture(scope="module")
def local_grades(course_class: Path) -> dict:
    """The class graded by the local pool, in a process that must never import Dask."""
    book = course_class.parent / "local.sqlite"
    probe = ("import sys\nfrom grader.cli import main\ntry:\n"
             f"    main(['batch', {str(course_class)!r}, '--gradebook', {str(book)!r}, *{EXERCISES!r}, '--timeout',"
             " '1.5', '--workers', '2'])\n"
             "finally:\n"
             "    print('IMPORTED DASK:', 'dask' in sys.modules or 'distributed' in sys.modules, file=sys.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=180, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert "IMPORTED DASK: False" in done.stderr
    return _grades(book)


@pytest.fixture(scope="module")
def cluster():
    from grader.course.cluster import open_cluster

    with open_cluster("local:2") as client:
        yield client


@needs_dask
@pytest.mark.needs_linux_sandbox  # a student who kills the grading process (the worker)
def test_cluster_batch_stores_the_same_gradebook_as_a_local_batch(course_class, local_grades, cluster) -> None:
    book = course_class.parent / "tcp.sqlite"
    _seed(book)
    done = CliRunner().invoke(main, ["batch", str(course_class), "--gradebook", str(book), *EXERCISES, "--timeout",
                                     "1.5", "--cluster", cluster.scheduler.address])
    assert done.exit_code == 0, done.output
    grades = _grades(book)
    assert grades == local_grades
    kinds = {key[0]: row["error_kind"] for key, row in grades.items() if key[1] == "ex03"}
    assert kinds["alice"] is None and kinds["carol"] == "exception" and kinds["erin"] == "timeout"
    assert kinds["dave"] in ("crash", None)  # killed its launcher, or could not reach it from its own tree
    assert grades[("frank", "ex03")]["status"] == "passed"  # the notebook tried, as the local pool does
    assert grades[("bob", "ex01")]["error_kind"] == "no_submission"
    probe = grades[("mallory", "ex03")]["report"]["output"]
    assert "BOB: " in probe and (course_class / "bob" / "ex03.py").read_text()[:20] not in probe  # hidden
    assert len(cluster.scheduler_info()["workers"]) == 2  # no submission took a worker down


@needs_dask
@pytest.mark.needs_linux_sandbox  # a student who kills the grading process (the worker)
def test_a_worker_killed_mid_batch_costs_only_its_jobs_in_flight(course_class, local_grades, cluster,
                                                                monkeypatch) -> None:
    import grader.course.cluster

    # a window of 3 jobs at the scheduler, far smaller than the class: refilled as grades land
    monkeypatch.setattr(grader.course.cluster, "MIN_AHEAD", 3)
    monkeypatch.setattr(grader.course.cluster, "AHEAD_PER_THREAD", 1)
    from grader.config import load_settings
    from grader.course.batch import Course, seed_base
    from grader.course.cluster import run_on_cluster
    from grader.course.gradebook import Gradebook
    from grader.course.roster import read_roster
    from grader.course.submitted import submission_times
    from grader.exercise import exercise_files

    book_path = course_class.parent / "killed.sqlite"
    _seed(book_path)
    settings = load_settings(REPO / "config.yaml").with_overrides(timeout_s=1.5)
    roster = read_roster(course_class, list(exercise_files(settings.exercises_dir)), ("ex01", "ex03"))
    pids = cluster.run(os.getpid)
    landed, killed = [], None
    with Gradebook(book_path) as book:
        times = submission_times(roster, settings.deadlines, list(exercise_files(settings.exercises_dir)))
        course = Course(settings, roster.exercises, seed_base(book), hide=(roster.folder.resolve(), book_path.parent),
                        times=times)  # as `grade batch` does: the submission times are stored with the grades
        for done in run_on_cluster(list(roster.jobs), course, cluster, book, root=roster.folder):
            landed.append((done.job.student, done.job.exercise))
            busy = sorted(a for a, keys in cluster.processing().items() if keys)
            if killed is None and busy and len(landed) >= 4:  # a worker with a job in flight (the slow ones last)
                killed = pids[busy[0]]
                os.kill(killed, signal.SIGKILL)
    assert killed is not None
    assert sorted(landed) == sorted({(j.student, j.exercise) for j in roster.jobs})  # each graded exactly once
    assert _grades(book_path) == local_grades


@needs_dask
@pytest.mark.needs_linux_sandbox  # kills the fork runner's launchers
def test_a_launcher_that_dies_costs_one_grade_and_never_the_worker(tmp_path, cluster) -> None:
    from grader.config import load_settings
    from grader.course.batch import Course
    from grader.course.cluster import run_on_cluster
    from grader.course.gradebook import Gradebook
    from grader.course.roster import read_roster
    from grader.course.worker import PLUGIN

    def kill_launchers(dask_worker) -> list[int]:
        spawners = dask_worker.plugins[PLUGIN]._launchers.spawners
        for spawner in spawners:
            os.kill(spawner.pid, signal.SIGKILL)
        return [s.pid for s in spawners]

    root = tmp_path / "submissions"
    for n in range(4):
        (root / f"s{n}").mkdir(parents=True)
        (root / f"s{n}" / "ex03.py").write_text((SOLUTIONS / "ex03.py").read_text(), encoding="utf-8")
    settings = load_settings(REPO / "config.yaml")
    roster = read_roster(root, ["ex03"], ("ex03",))
    cluster.register_plugin(__import__("grader.course.worker", fromlist=["WarmLaunchers"]).WarmLaunchers())
    pids = cluster.run(os.getpid)
    cluster.run(kill_launchers)
    with Gradebook(tmp_path / "book.sqlite") as book:
        course = Course(settings, roster.exercises, 5000, hide=(root,))
        grades = [done.grade for done in run_on_cluster(list(roster.jobs), course, cluster, book, root=roster.folder)]
    crashed = [g for g in grades if g.error is not None]
    assert 1 <= len(crashed) <= 2 and all(g.error.kind == "crash" for g in crashed)  # one per worker, at most
    assert "launcher" in crashed[0].error.message
    assert sum(g.status == "passed" for g in grades) == 4 - len(crashed)  # on the fresh launchers
    assert cluster.run(os.getpid) == pids  # both Dask workers lived through it


def test_without_the_extra_the_cluster_option_names_the_pip_command(tmp_path, monkeypatch) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "ex03.py").write_text("x = 1\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    done = CliRunner().invoke(main, ["batch", str(tmp_path), "--gradebook", str(tmp_path / "book.sqlite"),
                                     "--cluster", "local:2"])
    assert done.exit_code == 2
    assert "pip install 'autograd-grader[dask]'" in done.output


@needs_dask
@pytest.mark.parametrize("address, says", [("scheduler:8786", "tcp://scheduler:8786"), ("local:0", "N >= 1")])
def test_a_cluster_address_that_cannot_be_one_is_refused_before_any_work(tmp_path, address, says) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "ex03.py").write_text("x = 1\n", encoding="utf-8")
    done = CliRunner().invoke(main, ["batch", str(tmp_path), "--gradebook", str(tmp_path / "book.sqlite"),
                                     "--cluster", address])
    assert done.exit_code == 2 and says in done.output
    assert not (tmp_path / "book.sqlite").exists()


@needs_dask
def test_a_job_that_outlives_its_retries_is_stored_as_a_crash_and_a_grader_fault_is_raised(tmp_path) -> None:
    from grader.config import load_settings
    from grader.course.batch import Course
    from grader.course.cluster import _landed
    from grader.course.gradebook import Gradebook
    from grader.course.roster import read_roster

    class Lost:  # a finished future as the client sees it after the scheduler gave up on the job
        status = "error"

        def __init__(self, error: BaseException) -> None:
            self._error = error

        def exception(self) -> BaseException:
            return self._error

    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "ex03.py").write_text("x = 1\n", encoding="utf-8")
    roster = read_roster(tmp_path, ["ex03"], ("ex03",))
    course = Course(load_settings(REPO / "config.yaml"), ("ex03",), 5000)
    with Gradebook(tmp_path / "book.sqlite") as book:
        died = distributed.KilledWorker(("autograd-grade-x", 0), None, 2)
        done = _landed(Lost(died), roster.jobs[0], course, book, roster.folder, distributed)
        assert (done.grade.error.kind, done.grade.score) == ("crash", 0.0)
        assert "died while grading it" in done.grade.error.message
        assert done.grade.submission == "alice/ex03.py"
        assert book.fingerprints()[("alice", "ex03")] == course.stamp(roster.jobs[0]).fingerprint
        with pytest.raises(ZeroDivisionError):
            _landed(Lost(ZeroDivisionError()), roster.jobs[0], course, book, roster.folder, distributed)
