"""The Dask worker's side of `grade batch --cluster`: warm launchers kept by a worker plugin, one job graded per task.

The plugin starts a clean zygote (a new interpreter that imports torch and warms autograd) when the worker starts,
before any course or submission reaches it; the launchers it forks so hold no exercise, and nothing of the
worker's Dask state, in memory. A task receives
plain data (the course's files once, then a student's file bytes) and returns the grade as JSON text: what the
gradebook stores, never a pickled object. Only the client writes the gradebook.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import json
import os
import queue
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin, get_worker

from .. import __version__
from ..config import Settings
from ..errors import UsageError
from ..export import grade_to_dict
from ..grade import conclude, prepare, ungraded
from ..result import Grade, GradeError
from ..sandbox.pool import Launchers, Zygote
from ..sandbox.portable import PortableLaunchers
from ..sandbox.runners import choose
from ..sandbox.spawner import Spawner, warm_up
from ..source import parse_submission
from .batch import Course

PLUGIN = "autograd-grader-launchers"
KEPT_COURSES = 2  # unpacked courses kept per worker: a later batch with other exercises evicts the oldest


@dataclass(frozen=True)
class CoursePack:
    """What a worker needs to grade a batch: the exercise files' bytes, the settings and the client's seed base."""

    files: tuple[tuple[str, bytes], ...]  # path relative to the course folder ("exercises/ex03_x.yaml") -> bytes
    settings: Settings  # the client's; its folders are moved to where the worker unpacks the files
    exercise_ids: tuple[str, ...]
    seed_base: int  # drawn by the client and stored in its gradebook: every worker computes the same hidden seeds
    hide: tuple[str, ...]  # the client's class and gradebook folders: hidden too where a worker shares its machine
    grader_version: str = __version__

    @property
    def digest(self) -> str:
        digest = hashlib.sha256(repr((self.exercise_ids, self.seed_base, self.hide, self.settings,
                                      self.grader_version)).encode())
        for name, data in self.files:
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return digest.hexdigest()


@dataclass(frozen=True)
class ShippedJob:
    """One student's answer to one exercise, as the client sends it: no path on the worker is ever read."""

    student: str
    exercise: str
    files: tuple[tuple[str, bytes | str], ...]  # (the file's path on the client, its bytes or why it was unreadable)
    absent: str  # the no_submission reason when no file answers the exercise


class WarmLaunchers(WorkerPlugin):
    """Per Dask worker: a zygote started as a new interpreter, and one warm launcher per worker thread."""

    name = PLUGIN
    idempotent = True  # registering again (a later batch) must not fork a zygote from a worker that read a course

    def setup(self, worker: Any) -> None:
        # Runs on the worker's event loop, in its main thread, before it takes any task: the zygote is killed when
        # the thread that forked it ends (PR_SET_PDEATHSIG), so it must not be forked from a passing thread.
        count = max(1, worker.state.nthreads)
        if choose() == "portable":  # a worker off Linux (or told so by GRADER_RUNNER): interpreters, no zygote
            self._zygote, self._launchers = None, PortableLaunchers(count)
        else:
            warm_up()
            self._zygote = Zygote.fresh()  # a new interpreter: a fork would copy the worker's Dask state to students
            self._launchers = Launchers(self._zygote, count)
        self._free: queue.SimpleQueue[Spawner] = queue.SimpleQueue()
        for spawner in self._launchers.spawners:
            self._free.put(spawner)
        self._lock = threading.Lock()  # the zygote's socket, the unpacked courses and the oracles' caches
        self._courses: dict[str, tuple[Course, Path]] = {}
        # Unpacked under the worker's own scratch folder, which Dask purges when a worker died without cleaning up
        self._space = str(worker.local_directory)

    def teardown(self, worker: Any) -> None:
        self._launchers.close()
        if self._zygote is not None:
            self._zygote.close()
        for _, folder in self._courses.values():
            shutil.rmtree(folder, ignore_errors=True)
        # Unloading torch as the worker process exits takes seconds under load, long enough for a LocalCluster's
        # nanny to give up and kill it: once everything else has run at exit, end the process (as `grade` does).
        atexit.register(_exit_now)

    def course(self, pack: CoursePack) -> Course:
        """The pack's course, unpacked and loaded once per worker."""
        if pack.grader_version != __version__:
            raise UsageError(f"this Dask worker runs autograd-grader {__version__} and the client "
                             f"{pack.grader_version}: install the same version everywhere and restart the workers")
        digest = pack.digest
        with self._lock:
            if digest not in self._courses:
                while len(self._courses) >= KEPT_COURSES:
                    _, folder = self._courses.pop(next(iter(self._courses)))
                    shutil.rmtree(folder, ignore_errors=True)
                self._courses[digest] = _unpack(pack, self._space)
            return self._courses[digest][0]

    def grade(self, pack: CoursePack, job: ShippedJob) -> Grade:
        """Grade one job on a free launcher of this worker (a launcher its submission killed is replaced)."""
        course = self.course(pack)
        held = [self._free.get()]  # the launcher this job uses; _grade_files puts a replacement in its place
        try:
            return _grade_files(course, job, held, self)
        except BaseException:
            held[0] = self.replace(held[0])  # a job cut short may leave its launcher mid-run: never reuse it
            raise
        finally:
            self._free.put(held[0])

    def replace(self, spawner: Spawner) -> Spawner:
        with self._lock:
            return self._launchers.replace(spawner)

    def expected(self, course: Course, pending: Any) -> list:
        with self._lock:  # once per exercise, not once per thread that asks first
            return course.expected(pending)


def _unpack(pack: CoursePack, space: str) -> tuple[Course, Path]:
    folder = Path(tempfile.mkdtemp(prefix="grader-course-", dir=space))
    for name, data in pack.files:
        target = (folder / name).resolve()
        if folder.resolve() not in target.parents:
            raise UsageError(f"course file {name!r} lies outside the course folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (folder / "solutions").mkdir(exist_ok=True)
    fixtures = folder / "fixtures.py" if pack.settings.fixtures is not None else None
    settings = dataclasses.replace(pack.settings, root=folder, exercises_dir=folder / "exercises",
                                   solutions_dir=folder / "solutions", fixtures=fixtures)
    # The worker's whole scratch folder too: Dask may spill task data there, the course's references among them
    hide = (folder, Path(space), *(Path(p) for p in pack.hide if Path(p).is_dir()))
    return Course(settings, pack.exercise_ids, pack.seed_base, hide=hide), folder


def _grade_files(course: Course, job: ShippedJob, held: list[Spawner], plugin: WarmLaunchers) -> Grade:
    """The job's files tried in order, as grader.course.batch.run_batch tries them, on the launcher held[0]."""
    exercise = course.exercises[job.exercise]
    for name, data in job.files:
        if isinstance(data, str):  # the client could not read it: as a file deleted since the folder was read
            return ungraded(exercise, GradeError("crash", data), submission=name)
        pending = prepare(exercise, parse_submission(Path(name), data), course.settings,
                          seeds=course.seeds[job.exercise], hide=course.hide)
        if isinstance(pending, Grade):
            return pending
        held[0].start(pending.plan)
        expected = plugin.expected(course, pending)  # while the child runs
        raw = held[0].wait()
        if raw.lost is not None:
            held[0] = plugin.replace(held[0])
        grade = conclude(pending, raw, course.oracle(job.exercise), expected)
        named = Path(name).stem.lower() == job.exercise.lower()
        if not (grade.error is not None and grade.error.kind == "missing" and not named):
            return grade
    return ungraded(exercise, GradeError("no_submission", job.absent))


def grade_job(pack: CoursePack, job: ShippedJob) -> str:
    """The Dask task: one job's grade as JSON ({"grade": the gradebook's report, "wall_seconds": ...})."""
    started = time.monotonic()
    plugin = get_worker().plugins.get(PLUGIN)
    if plugin is None:
        raise UsageError("this Dask worker has no warm launchers (the autograd-grader plugin is not registered)")
    grade = plugin.grade(pack, job)
    return json.dumps({"grade": grade_to_dict(grade), "wall_seconds": time.monotonic() - started})


def _exit_now() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(0)
