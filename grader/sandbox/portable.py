"""The portable runner: each submission in a pre-started interpreter (subprocess, no fork), for macOS and Windows.

An interpreter (grader.sandbox.interpreter) is started ahead of its submission and imports torch while it waits, so a
batch does not pay the import per submission. A thread of the grading process supervises each run: it hands over the
plan, starts the clock when the interpreter has read it, drains what it prints and sends back within their caps, and
kills the whole process tree at the time limit (POSIX: its own session, killpg; Windows: a Job Object). What it
returns is the fork runner's RawRun, read and judged the same way.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from ..config import PACKAGE
from .interpreter import READY
from .protocol import frame
from .runner import READ_CHUNK, RawRun
from .winjob import Job

if TYPE_CHECKING:
    from .child import ChildPlan

WARM_S = 300.0  # how long an interpreter may take to import torch before its run counts as lost (a slow Windows box)
GRACE_S = 30.0
DRAIN_S = 1.0  # after the interpreter ended: how long its pipes may stay open (a process that left its tree holds them)
KEPT_VARIABLES = ("PATH", "SYSTEMROOT", "WINDIR", "COMSPEC", "TEMP", "TMP", "TMPDIR", "HOME", "USERPROFILE", "LANG",
                  "LC_ALL", "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "VIRTUAL_ENV", "CONDA_PREFIX")


def _environment() -> dict[str, str]:
    """What an interpreter needs to start and find this grader; no credential or scheduler address rides along."""
    env = {key: os.environ[key] for key in KEPT_VARIABLES if key in os.environ}
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE.parent), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["OMP_NUM_THREADS"] = "1"
    return env


@dataclass
class _Stream:
    """One pipe, drained by a thread: at most cap + 1 bytes kept, every byte counted."""

    pipe: IO[bytes]
    cap: int
    changed: threading.Event
    data: bytearray = field(default_factory=bytearray)
    total: int = 0
    first: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._drain, name="grader-portable-pipe", daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        try:
            while chunk := self.pipe.read(READ_CHUNK):
                self.total += len(chunk)
                room = self.cap + 1 - len(self.data)
                if room > 0:
                    self.data += chunk[:room]
                self.first.set()
                self.changed.set()
        except (OSError, ValueError):
            pass
        self.first.set()
        self.changed.set()

    def done(self, timeout_s: float) -> bool:
        assert self.thread is not None
        self.thread.join(timeout_s)
        return not self.thread.is_alive()


class _Interpreter:
    """One started interpreter, in a process tree of its own, warming up until its plan arrives."""

    def __init__(self, *, full_warm: bool) -> None:
        options: dict = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if os.name == "nt" \
            else {"start_new_session": True}
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, this package's module
            [sys.executable, "-m", "grader.sandbox.interpreter"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, bufsize=0, cwd=str(PACKAGE.parent), env=_environment(), **options)
        self.job = Job.create(self.process._handle) if os.name == "nt" else None  # type: ignore[attr-defined]
        if full_warm:
            self.warm_up()

    def send(self, data: bytes) -> bool:
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(data)
            self.process.stdin.flush()
            return True
        except (OSError, ValueError):
            return False

    def warm_up(self) -> None:
        from .spawner import WARM_UP

        self.send(frame(pickle.dumps(WARM_UP)))

    def kill(self) -> None:
        """Kill the interpreter and everything it started that stayed in its tree."""
        if self.job is not None:
            self.job.kill()
        elif os.name != "nt":
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.process.kill()
        except OSError:
            pass
        self.process.wait()

    def close(self) -> None:
        self.kill()
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        if self.job is not None:
            self.job.close()


def _status(returncode: int) -> int:
    """The wait status os.waitstatus_to_exitcode reads back as this return code (negative: killed by that signal)."""
    return -returncode if returncode < 0 else returncode << 8


def _lost(reason: str, output: bytes = b"") -> RawRun:
    return RawRun(result=b"", output=output, result_bytes=0, output_bytes=len(output), status=None, seconds=0.0,
                  lost=reason)


class _Supervision(threading.Thread):
    """Hand one plan to an interpreter and watch it to the end; `raw` is what it did."""

    def __init__(self, interpreter: _Interpreter, plan: ChildPlan) -> None:
        super().__init__(name="grader-portable-run", daemon=True)
        self.interpreter, self.plan = interpreter, plan
        self.raw: RawRun | None = None
        self.start()

    def run(self) -> None:
        try:
            self.raw = self._supervise()
        except BaseException as exc:  # noqa: BLE001 - a fault here must still end in a run marked lost
            self.raw = _lost(f"the portable runner failed: {exc!r}")
        finally:
            self.interpreter.close()

    def _supervise(self) -> RawRun:
        interpreter, limits = self.interpreter, self.plan.limits
        process = interpreter.process
        changed = threading.Event()
        assert process.stdout is not None and process.stderr is not None
        result = _Stream(process.stdout, limits.result_limit_mb << 20, changed)
        output = _Stream(process.stderr, limits.output_limit_kb << 10, changed)
        result.start()
        output.start()
        sent = interpreter.send(frame(pickle.dumps(self.plan)))
        if not sent or not result.first.wait(WARM_S) or not result.data.startswith(READY):
            interpreter.kill()
            output.done(DRAIN_S)
            return _lost("the portable runner's interpreter ended or hung before it took the plan",
                         bytes(output.data[:4096]))
        # The clock starts now. The memory cap waits for this moment too: torch's import and warm-up are not counted.
        capped = interpreter.job is not None and interpreter.job.limit_memory(limits.memory_mb << 20)
        interpreter.send(b"M" if capped else b"-")
        started = time.monotonic()
        deadline = started + limits.timeout_s
        timed_out = flooded = False
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            changed.wait(min(remaining, 0.05))
            changed.clear()
            if output.total > output.cap:
                flooded = True
                break
            if result.total > result.cap or process.poll() is not None:
                break
        interpreter.kill()  # what it wrote before it ended stays in the pipes, read to their end below
        seconds = time.monotonic() - started
        for stream in (result, output):
            stream.done(DRAIN_S)
        return RawRun(result=bytes(result.data[len(READY):]), output=bytes(output.data),
                      result_bytes=max(0, result.total - len(READY)), output_bytes=output.total,
                      status=_status(process.returncode), seconds=seconds, timed_out=timed_out,
                      output_exceeded=flooded)


class PortableSpawner:
    """The portable runner behind the fork runner's interface: start(plan), then wait() for the raw run.

    `keep_warm`: start the next interpreter as soon as one takes a plan (for more than one submission).
    `full_warm`: warm interpreters for optimizers too (grader.sandbox.spawner.warm_up), not only autograd.
    """

    def __init__(self, *, keep_warm: bool = False, full_warm: bool = False) -> None:
        self._keep_warm, self._full_warm = keep_warm, full_warm
        self._next: _Interpreter | None = _Interpreter(full_warm=full_warm)
        self._run: _Supervision | None = None

    def warm_up(self) -> None:
        """Warm every interpreter from now on for optimizers too, the one already waiting included."""
        self._full_warm = True
        if self._next is not None:
            self._next.warm_up()

    def start(self, plan: ChildPlan) -> None:
        """Hand a plan to the waiting interpreter; it runs at once, under a supervising thread."""
        interpreter = self._next or _Interpreter(full_warm=self._full_warm)
        self._next = _Interpreter(full_warm=self._full_warm) if self._keep_warm else None
        self._run = _Supervision(interpreter, plan)

    @property
    def answered(self) -> bool:
        """Whether the last run has ended (wait() returns at once)."""
        return self._run is not None and not self._run.is_alive()

    def wait(self) -> RawRun:
        """The raw run of the last plan; one whose supervision did not end in time yields an empty run marked lost."""
        run = self._run
        if run is None:
            return _lost("no plan was started")
        run.join(WARM_S + run.plan.limits.timeout_s + GRACE_S)
        if run.raw is None:
            run.interpreter.kill()
            return _lost("the portable runner's interpreter stopped answering")
        self._run = None
        return run.raw

    def close(self) -> None:
        if self._run is not None and self._run.is_alive():
            self._run.interpreter.kill()
            self._run.join(DRAIN_S * 3)
        if self._next is not None:
            self._next.close()
            self._next = None

    def __enter__(self) -> PortableSpawner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PortableLaunchers:
    """grader.sandbox.pool.Launchers for the portable runner: `count` spawners, each keeping an interpreter warm."""

    def __init__(self, count: int) -> None:
        self.spawners = [PortableSpawner(keep_warm=True, full_warm=True) for _ in range(count)]

    def replace(self, spawner: PortableSpawner) -> PortableSpawner:
        """Close a spawner whose run was lost and put a fresh one in its place."""
        spawner.close()
        fresh = PortableSpawner(keep_warm=True, full_warm=True)
        self.spawners[self.spawners.index(spawner)] = fresh
        return fresh

    @staticmethod
    def ready(busy: dict[PortableSpawner, float], timeout_s: float) -> tuple[list, list]:
        """The busy spawners whose run ended, and those past their deadline (a monotonic time) without an answer."""
        if not busy:
            return [], []
        until = min(time.monotonic() + timeout_s, min(busy.values()))
        while not any(s.answered for s in busy) and time.monotonic() < until:
            time.sleep(0.01)
        now = time.monotonic()
        answered = [s for s in busy if s.answered]
        return answered, [s for s in busy if s not in answered and busy[s] <= now]

    def close(self) -> None:
        for spawner in self.spawners:
            spawner.close()
