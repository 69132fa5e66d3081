"""`grade batch --cluster`: the class graded on Dask workers, every grade stored here by the client as it lands.

The client reads the class folder and the gradebook, draws the hidden seeds, and ships each job as plain data
(grader.course.worker: the course's files once, then each submission's bytes; no shared file system). Workers keep
warm launchers and send back each grade as JSON. A worker that dies costs only the jobs it was running: the scheduler
runs them again elsewhere, at most RETRIES more times, after which they are stored as `crash`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..export import grade_from_dict
from ..grade import ungraded
from ..result import GradeError
from .batch import Course, Graded, absent_reason, store
from .gradebook import Gradebook
from .roster import Job

INSTALL = "pip install 'autograd-grader[dask]'"
RETRIES = 2  # a job whose worker died is run this many more times (scheduler allowed-failures), then is a crash
CONNECT_TIMEOUT_S = 20
MIN_AHEAD, AHEAD_PER_THREAD = 64, 4  # jobs sent ahead of the grades received: enough to keep every worker busy
_LOCAL = re.compile(r"local:(\d+)")


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError(f"--cluster needs Dask, an optional extra: {INSTALL} (on this machine and every worker)") \
            from None
    return distributed


@contextlib.contextmanager
def open_cluster(address: str) -> Iterator[Any]:
    """A Dask client: on `local:N`, a LocalCluster of N worker processes; else the scheduler at `address`."""
    distributed = _distributed()
    import dask

    local = _LOCAL.fullmatch(address)
    if local:
        count = int(local.group(1))
        if count < 1:
            raise UsageError("--cluster local:N needs N >= 1 worker processes, e.g. --cluster local:2")
        # The scheduler runs here: it gives up on a job after RETRIES worker deaths.
        with dask.config.set({"distributed.scheduler.allowed-failures": RETRIES}), \
                distributed.LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                                         dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
                distributed.Client(cluster) as client:
            yield client
        return
    if "://" not in address:
        raise UsageError(f"--cluster {address!r}: give a scheduler address like tcp://scheduler:8786, or local:N "
                         f"for N worker processes on this machine")
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--cluster {address}: cannot reach a Dask scheduler there ({exc}); start one with "
                         f"`dask scheduler` and workers with `dask worker {address} --nthreads 1` "
                         f"(see docs/scale.md)") from None
    with client:
        yield client


def worker_count(client: Any) -> int:
    """The workers the scheduler knows now (more may join while the batch runs)."""
    return len(client.scheduler_info()["workers"])


def course_pack(course: Course) -> Any:
    """The course as the workers receive it: its exercises folder and fixtures file as bytes, and its settings."""
    from .worker import CoursePack

    settings = course.settings
    files = [(f"exercises/{p.relative_to(settings.exercises_dir).as_posix()}", p.read_bytes())
             for p in sorted(settings.exercises_dir.rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts]
    if settings.fixtures is not None:
        files.append(("fixtures.py", settings.fixtures.read_bytes()))
    return CoursePack(files=tuple(files), settings=settings, exercise_ids=tuple(course.exercises),
                      seed_base=course.seed_base, hide=tuple(str(p) for p in course.hide))


def shipped(job: Job, root: Path) -> Any:
    """A job with its files' bytes (or why one could not be read): all a worker learns of the class folder."""
    from .worker import ShippedJob

    files: list[tuple[str, bytes | str]] = []
    for path in job.files:
        try:
            files.append((str(path), path.read_bytes()))
        except FileNotFoundError:
            files.append((str(path), f"{path}: no such file"))
        except OSError as exc:
            files.append((str(path), f"{path}: cannot read: {exc.strerror or exc}"))
    return ShippedJob(job.student, job.exercise, tuple(files), absent_reason(job, root))


def run_on_cluster(jobs: list[Job], course: Course, client: Any, gradebook: Gradebook, *,
                   root: Path) -> Iterator[Graded]:
    """Grade every job on the cluster's workers; store and yield each grade as it lands, in the order they land."""
    distributed = _distributed()
    from .worker import WarmLaunchers, grade_job

    client.register_plugin(WarmLaunchers())  # warms each worker (and any that joins later) before its first job
    [pack] = client.scatter([course_pack(course)], broadcast=True)
    batch = uuid.uuid4().hex[:12]
    queue = deque(enumerate(jobs))
    pending: dict[Any, Job] = {}
    landing = distributed.as_completed()

    def submit_more() -> Iterator[Graded]:
        """Keep a bounded window of jobs at the scheduler: a class's files are read as they are needed."""
        ahead = max(MIN_AHEAD, AHEAD_PER_THREAD * sum(client.nthreads().values()))
        while queue and len(pending) < ahead:
            index, job = queue.popleft()
            if not job.files:  # nothing to run: stored at once, as the local pool does
                reason = GradeError("no_submission", absent_reason(job, root))
                yield store(job, ungraded(course.exercises[job.exercise], reason), course, gradebook, root=root,
                            wall_seconds=0.0)
                continue
            # One key group for the batch, so the scheduler queues jobs and hands a worker only what it can start
            # now: a worker that dies then takes only those with it.
            future = client.submit(grade_job, pack, shipped(job, root), key=(f"autograd-grade-{batch}", index),
                                   pure=False)
            pending[future] = job
            landing.add(future)

    try:
        yield from submit_more()
        for future in landing:
            job = pending.pop(future)
            yield _landed(future, job, course, gradebook, root, distributed)
            future.release()
            yield from submit_more()
    finally:
        client.cancel(list(pending))


def _landed(future: Any, job: Job, course: Course, gradebook: Gradebook, root: Path, distributed: Any) -> Graded:
    """Store a finished job: the worker's grade, or a `crash` when the job outlived every worker it was given to."""
    if future.status == "error":
        error = future.exception()
        if not isinstance(error, distributed.KilledWorker):
            raise error  # a fault of the grader on the worker, not of the submission
        reason = ("every Dask worker given this submission died while grading it (killed, or out of memory); "
                  "the scheduler gave up on it after its allowed-failures")
        grade = ungraded(course.exercises[job.exercise], GradeError("crash", reason),
                         submission=str(job.files[0]) if job.files else "")
        return store(job, grade, course, gradebook, root=root, wall_seconds=0.0)
    data = json.loads(future.result())
    return store(job, grade_from_dict(data["grade"]), course, gradebook, root=root,
                 wall_seconds=float(data["wall_seconds"]))
