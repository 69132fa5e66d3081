"""Grade a whole class: every job of a roster on warm launchers in parallel, each grade stored as it lands."""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import shutil
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import PACKAGE, Settings
from ..errors import SubmissionNotFound
from ..exercise import Exercise, load_exercise
from ..grade import Pending, conclude, expectations, prepare, ungraded
from ..inputs import BUILT_KINDS
from ..result import Grade, GradeError
from ..sandbox.pool import Launchers, answer_deadline
from ..source import read_submission
from .gradebook import Gradebook, Stamp
from .roster import Job
from .submitted import Submitted

POLL_S = 0.5


@dataclass(frozen=True)
class Graded:
    """One job's grade, as stored."""

    job: Job
    grade: Grade
    wall_seconds: float


class Course:
    """The exercises of a batch with their hidden seeds, oracles and expectations, each computed once."""

    def __init__(self, settings: Settings, exercise_ids: tuple[str, ...], seed_base: int, *,
                 hide: tuple[Path, ...] = (), times: dict[tuple[str, str], Submitted] | None = None) -> None:
        self.settings, self.hide = settings, tuple(p for p in hide if _hideable(p))
        self.times = times or {}  # (student, exercise) -> when it was handed in (grader.course.submitted)
        self.seed_base = seed_base
        self.exercises: dict[str, Exercise] = {e: load_exercise(settings.exercises_dir, e, settings)
                                                 for e in exercise_ids}
        self.seeds = {e: tuple(seed_base + i for i in range(self._hidden_count(x)))
                      for e, x in self.exercises.items()}
        self._hashes = {e: _exercise_hash(x) for e, x in self.exercises.items()}
        self._oracles: dict[str, Any] = {}
        self._expected: dict[str, list] = {}
        # per exercise: grading ex03 alone must stamp its grades as a whole-class run does, or the next run redoes them
        self._settings_hashes = {e: hashlib.sha256(repr((settings.limits, settings.rtol, settings.atol, seeds))
                                                   .encode()).hexdigest()[:16] for e, seeds in self.seeds.items()}

    def _hidden_count(self, exercise: Exercise) -> int:
        return exercise.hidden_trials if exercise.hidden_trials is not None else self.settings.hidden_trials

    def stamp(self, job: Job) -> Stamp:
        exercise = self.exercises[job.exercise]
        return Stamp(file_hash=job.fingerprint, exercise_version=exercise.version,
                     exercise_hash=self._hashes[job.exercise], settings_hash=self._settings_hashes[job.exercise])

    def oracle(self, exercise_id: str) -> Any:
        from ..oracle import build_oracle

        if exercise_id not in self._oracles:
            self._oracles[exercise_id] = build_oracle(self.exercises[exercise_id])
        return self._oracles[exercise_id]

    def expected(self, pending: Pending) -> list:
        exercise_id = pending.exercise.id
        if exercise_id not in self._expected:
            self._expected[exercise_id] = expectations(self.oracle(exercise_id), pending.trials, self.settings)
        return self._expected[exercise_id]


def _exercise_hash(exercise: Exercise) -> str:
    """What the exercise's grades depend on: its file, and the course's fixtures.py when it uses one."""
    digest = hashlib.sha256(exercise.path.read_bytes())
    if exercise.fixtures is not None and any(spec.kind in BUILT_KINDS for spec in exercise.inputs):
        digest.update(exercise.fixtures.read_bytes())
    return digest.hexdigest()


def _hideable(folder: Path) -> bool:
    """Whether hiding `folder` from the child leaves it Python and its working folder (an empty tmpfs covers it)."""
    folder = folder.resolve()
    needed = (Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(tempfile.gettempdir()).resolve(),
              PACKAGE)
    return folder != Path(folder.anchor) and not any(p == folder or folder in p.parents for p in needed)


def seed_base(gradebook: Gradebook) -> int:
    """The class's hidden-trial seeds: drawn once per gradebook, so every student gets the same trials."""
    stored = gradebook.meta("hidden_seed_base")
    if stored is None:
        stored = str(secrets.randbelow(2**31 - 1000) + 1000)
        gradebook.set_meta("hidden_seed_base", stored)
    return int(stored)


def to_grade(jobs: tuple[Job, ...], gradebook: Gradebook, course: Course, *, force: bool) -> list[Job]:
    """The jobs whose stored grade is missing or was computed from anything that has changed since."""
    if force:
        return list(jobs)
    stored = gradebook.fingerprints()
    return [job for job in jobs if stored.get((job.student, job.exercise)) != course.stamp(job).fingerprint]


@dataclass
class _Attempt:
    job: Job
    index: int  # which of job.files runs
    pending: Pending
    started: float


def run_batch(jobs: list[Job], course: Course, launchers: Launchers, gradebook: Gradebook, *,
              root: Path) -> Iterator[Graded]:
    """Grade every job, as many at a time as there are launchers; store and yield each grade as it lands."""
    queue = deque(jobs)
    busy: dict[Any, _Attempt] = {}
    deadlines: dict[Any, float] = {}

    def finish(job: Job, grade: Grade, started: float) -> Graded:
        return store(job, grade, course, gradebook, root=root, wall_seconds=time.monotonic() - started)

    def begin(spawner: Any, job: Job, index: int, started: float) -> Graded | None:
        """Start the job's file `index` on the launcher, or return its grade when nothing needs to run."""
        exercise = course.exercises[job.exercise]
        if index >= len(job.files):
            return finish(job, ungraded(exercise, GradeError("no_submission", absent_reason(job, root))), started)
        try:
            submission = read_submission(job.files[index])
        except SubmissionNotFound as gone:  # deleted or unreadable since the folder was read
            return finish(job, ungraded(exercise, GradeError("crash", gone.message),
                                        submission=str(job.files[index])), started)
        pending = prepare(exercise, submission, course.settings, seeds=course.seeds[job.exercise], hide=course.hide)
        if isinstance(pending, Grade):
            return finish(job, pending, started)
        spawner.start(pending.plan)
        deadline = answer_deadline(pending.plan.limits.timeout_s)  # the exercise's own timeout (Settings.for_exercise)
        busy[spawner], deadlines[spawner] = _Attempt(job, index, pending, started), deadline
        course.expected(pending)  # computed here, once per exercise, while the child runs
        return None

    def judge(spawner: Any, raw: Any) -> Graded | None:
        attempt = busy.pop(spawner)
        del deadlines[spawner]
        if raw.lost is not None:
            spawner = launchers.replace(spawner)
        pending, job = attempt.pending, attempt.job
        grade = conclude(pending, raw, course.oracle(job.exercise), course.expected(pending))
        named = job.files[attempt.index].stem.lower() == job.exercise.lower()
        if grade.error is not None and grade.error.kind == "missing" and not named:
            return begin(spawner, job, attempt.index + 1, attempt.started)  # the next notebook may answer it
        return finish(job, grade, attempt.started)

    try:
        while queue or busy:
            for spawner in list(launchers.spawners):
                while spawner not in busy and queue:
                    done = begin(spawner, queue.popleft(), 0, time.monotonic())
                    if done is not None:
                        yield done
            answered, overdue = launchers.ready(deadlines, POLL_S)
            for spawner in answered:
                done = judge(spawner, spawner.wait())
                if done is not None:
                    yield done
            for spawner in overdue:
                done = judge(spawner, _lost_run("the sandbox launcher stopped answering and was replaced"))
                if done is not None:
                    yield done
    finally:
        for attempt in busy.values():  # interrupted: the launchers' children die with them
            shutil.rmtree(attempt.pending.plan.workdir, ignore_errors=True)


def store(job: Job, grade: Grade, course: Course, gradebook: Gradebook, *, root: Path,
          wall_seconds: float) -> Graded:
    """Record one job's grade in one transaction, its files and submission shown relative to the class folder."""
    files = [_shown(p, root) for p in job.files]
    if grade.submission:
        grade = dataclasses.replace(grade, submission=_shown(Path(grade.submission), root))
    submitted = course.times.get((job.student, job.exercise))
    gradebook.record(job.student, grade, files=files, stamp=course.stamp(job), wall_seconds=wall_seconds,
                     submitted_at=submitted.at if submitted else None,
                     submitted_source=submitted.source if submitted and submitted.at else None)
    return Graded(job, grade, wall_seconds)


def _lost_run(reason: str) -> Any:
    from ..sandbox.runner import RawRun

    return RawRun(result=b"", output=b"", result_bytes=0, output_bytes=0, status=None, seconds=0.0, lost=reason)


def _shown(path: Path, root: Path) -> str:
    """A job's file as stored: relative to the class folder (grader.course.roster.Roster.folder, the same spelling)."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:  # a caller that spelled the folder otherwise (resolved, relative): the file as given
        return path.as_posix()


def absent_reason(job: Job, root: Path) -> str:
    if not job.files:
        return f"no file for {job.exercise} in {job.student}/ (looked for {job.exercise}.py or {job.exercise}.ipynb)"
    tried = ", ".join(_shown(p, root) for p in job.files)
    return (f"no file named {job.exercise}.py or {job.exercise}.ipynb, and no notebook answers it "
            f"({tried} define neither its function nor its notebook variables)")
