"""Run student code in a forked child with limits, and collect what it printed and sent back."""

from __future__ import annotations

import os
import pickle
import selectors
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field

from ..config import LEVELS, Limits
from ..errors import SandboxTooWeak
from .cgroups import Cgroups
from .child import ChildPlan, await_plan
from .isolate import PR_SET_CHILD_SUBREAPER, level_of, meets, prctl
from .protocol import (
    MAX_MESSAGES,
    MAX_NOTES,
    SANDBOX_NOTE,
    Malformed,
    check_message,
    decode,
    ends_with_last_word,
    shorten,
    split_frames,
)

READ_CHUNK = 1 << 16


@dataclass(frozen=True)
class RawRun:
    """What the supervisor saw of one child, unread: the bytes it sent back and printed, and how it ended."""

    result: bytes
    output: bytes
    result_bytes: int
    output_bytes: int
    status: int | None
    seconds: float
    timed_out: bool = False
    output_exceeded: bool = False
    lost: str | None = None


@dataclass(frozen=True)
class RunResult:
    """What the grading process makes of a run: validated messages, output, and how the process ended."""

    messages: tuple[dict, ...]
    output: str
    output_bytes: int
    exit_code: int | None
    signal: int | None
    seconds: float
    timed_out: bool = False
    output_exceeded: bool = False
    malformed: str | None = None
    over_limit: str | None = None  # what the child sent past a bound: "more than 5000 messages", "... 32 MB"


@dataclass(frozen=True)
class Surroundings:
    """What the launcher set up around every child it starts: a process tree of its own, cgroup caps."""

    own_tree: bool = False
    groups: Cgroups | None = None


def read_run(raw: RawRun, limits: Limits, *, trials: int) -> RunResult:
    """Decode and validate what the child sent; anything malformed is recorded, never raised.

    Raises SandboxTooWeak when the level the child reported is below limits.require. Its first note is sent
    before any student code runs, so a submission cannot change it; a child below the level stops right there.
    """
    messages, malformed, over_limit = _parse(raw.result, trials)
    _check_level(messages, limits.require)
    if raw.result_bytes > limits.result_limit_mb << 20:  # what was kept ends in a frame cut short: not malformed
        malformed, over_limit = None, f"more than {limits.result_limit_mb} MB"
    if raw.lost is not None:
        malformed, over_limit = raw.lost, None
    exit_code = _exit_code(raw.status)
    return RunResult(
        messages=messages, output=raw.output.decode("utf-8", errors="replace"), output_bytes=raw.output_bytes,
        exit_code=exit_code if exit_code is not None and exit_code >= 0 else None,
        signal=-exit_code if exit_code is not None and exit_code < 0 else None,
        seconds=raw.seconds, timed_out=raw.timed_out, output_exceeded=raw.output_exceeded, malformed=malformed,
        over_limit=over_limit,
    )


def _exit_code(status: int | None) -> int | None:
    """The exit code (negative: the signal) a wait status means; None when unknown or too large (a Windows crash)."""
    try:
        return os.waitstatus_to_exitcode(status) if status is not None else None
    except (ValueError, OverflowError):
        return None


def _check_level(messages: tuple[dict, ...], required: str) -> None:
    if required == LEVELS[0] or not messages:  # no message at all: the child died first, a crash like any other
        return
    first = messages[0]
    reached = first["text"][len(SANDBOX_NOTE):] if first["kind"] == "note" and \
        first["text"].startswith(SANDBOX_NOTE) else "unknown"
    if not meets(reached, required) and level_of(reached) == LEVELS[0]:
        raise SandboxTooWeak(
            f"config.yaml demands sandbox.require: {required}, but this grading ran on the portable runner "
            f"({reached}); no student code was run. Grade on Linux with the fork runner (set sandbox.runner: auto "
            f"in config.yaml and unset GRADER_RUNNER), or set sandbox.require: portable in config.yaml")
    if not meets(reached, required):
        raise SandboxTooWeak(
            f"config.yaml demands sandbox.require: {required}, but this machine reached only {level_of(reached)!r} "
            f"({reached}); no student code was run. Allow unprivileged user namespaces (sysctl "
            f"kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0), or lower sandbox.require")


@dataclass
class _Stream:
    fd: int
    cap: int
    data: bytearray = field(default_factory=bytearray)
    total: int = 0
    open: bool = True


class Standby:
    """A child forked before its plan exists, waiting for it on a pipe.

    Forking a process that holds torch copies its page tables (10 ms and more); a launcher that forks its next child
    while the grading process judges the last one takes that off the time a submission waits.
    """

    def __init__(self, around: Surroundings = Surroundings()) -> None:
        plan_r, self._plan_w = os.pipe()
        self.result_r, result_w = os.pipe()
        self.output_r, output_w = os.pipe()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            await_plan(plan_r, result_w, output_w, own_tree=around.own_tree,
                       capped=around.groups is not None and around.groups.capped)
        for fd in (plan_r, result_w, output_w):
            os.close(fd)
        self.pid = pid

    def hand(self, payload: bytes) -> None:
        """Give the child its pickled plan; it starts at once."""
        try:
            _write_all(self._plan_w, payload)
        except OSError:
            pass  # it died waiting: its pipes end, and finish() reports how
        os.close(self._plan_w)

    def discard(self) -> None:
        """End a child that will get no plan (the launcher is stopping, or warming up first)."""
        os.close(self._plan_w)  # it reads the end of its pipe and exits
        for fd in (self.result_r, self.output_r):
            os.close(fd)
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


class RunningChild:
    """A child that is running now; call finish() to wait for it (within its limits), then cleanup()."""

    def __init__(self, plan: ChildPlan, limits: Limits, around: Surroundings = Surroundings(), *,
                 standby: Standby | None = None, payload: bytes | None = None) -> None:
        """Start the plan in `standby` (forked now when None); `payload` is the plan already pickled."""
        standby = standby or Standby(around)
        self.limits = limits
        self.workdir = plan.workdir
        self.pid = standby.pid
        self.result = _Stream(standby.result_r, limits.result_limit_mb << 20)
        self.output = _Stream(standby.output_r, limits.output_limit_kb << 10)
        self.status: int | None = None
        self.started = time.monotonic()
        standby.hand(payload if payload is not None else pickle.dumps(plan))

    def finish(self) -> RawRun:
        """Wait for the child until it ends or breaks a limit, then kill its process group.

        A child that closed both pipes and sleeps has ended its run: it is killed and reported as exiting 0, and its
        exit is reaped by cleanup(). Call cleanup() once the run is handed on.
        """
        status: int | None = None
        timed_out = flooded = False
        try:
            status, timed_out, flooded = self._collect()
        finally:
            self._kill()
            if status is None:
                status = self.status = self._reap(block=True)
            for stream in (self.result, self.output):
                os.close(stream.fd)
        return RawRun(result=bytes(self.result.data), output=bytes(self.output.data),
                      result_bytes=self.result.total, output_bytes=self.output.total, status=status,
                      seconds=time.monotonic() - self.started, timed_out=timed_out, output_exceeded=flooded)

    def cleanup(self) -> None:
        """Reap the child and remove its working folder."""
        if self.status is None:
            self.status = self._reap(block=True)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _collect(self) -> tuple[int | None, bool, bool]:
        deadline = self.started + self.limits.timeout_s
        selector = selectors.DefaultSelector()
        for stream in (self.result, self.output):
            os.set_blocking(stream.fd, False)
            selector.register(stream.fd, selectors.EVENT_READ, stream)
        pidfd = _pidfd(self.pid)
        if pidfd is not None:
            selector.register(pidfd, selectors.EVENT_READ, None)
        said_last_word: bool | None = None
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None, True, False
                events = selector.select(remaining if pidfd is not None else min(remaining, 0.01))
                for key, _ in events:
                    if key.data is not None and self._read(key.data) == "eof":
                        selector.unregister(key.fd)
                if self.output.total > self.output.cap:
                    return None, False, True
                if self.result.total > self.result.cap:
                    return None, False, False
                if not self.result.open and said_last_word is None:
                    said_last_word = ends_with_last_word(bytes(self.result.data))
                    if said_last_word:  # how the process then ends cannot change the grade: answer now
                        self._drain()
                        return 0, False, False
                status = self._reap(block=False)
                if status is not None:
                    self.status = status
                    self._drain()
                    return status, False, False
        finally:
            selector.close()
            if pidfd is not None:
                os.close(pidfd)

    def _drain(self) -> None:
        """Read what the child wrote before it ended: it is in the pipes already."""
        for stream in (self.result, self.output):
            while stream.open and self._read(stream) == "data":
                pass

    def _read(self, stream: _Stream) -> str:
        """Read what is waiting: 'data', 'empty' (nothing now) or 'eof'; keep at most cap + 1 bytes."""
        try:
            chunk = os.read(stream.fd, READ_CHUNK)
        except BlockingIOError:
            return "empty"
        if not chunk:
            stream.open = False
            return "eof"
        stream.total += len(chunk)
        room = stream.cap + 1 - len(stream.data)
        if room > 0:
            stream.data += chunk[:room]
        return "data"

    def _reap(self, *, block: bool) -> int | None:
        try:
            pid, status = os.waitpid(self.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return None
        return status if pid == self.pid else None

    def _kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def become_subreaper() -> bool:
    """Adopt orphaned descendants (Linux), so processes that left the child's session can still be found."""
    return prctl(PR_SET_CHILD_SUBREAPER, 1)


def _own_children() -> list[int]:
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == me:
                found.append(int(entry))
    return found


def kill_strays(rounds: int = 50, *, spare: int | None = None) -> None:
    """Kill and reap every remaining child of this subreaper but `spare` (the next child, forked ahead): what a
    submission left behind, setsid or not."""
    if not os.path.isdir("/proc"):
        return
    for _ in range(rounds):
        strays = [pid for pid in _own_children() if pid != spare]
        if not strays:
            return
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in strays:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return None


def _parse(data: bytes, trials: int | None = None) -> tuple[tuple[dict, ...], str | None, str | None]:
    """Decode and validate the frames in one pass: the messages read, why they are malformed, what bound they passed.

    The first problem ends the reading. So does passing MAX_MESSAGES frames or MAX_NOTES notes: no run costs the
    grading process more than MAX_MESSAGES frames of work, however many tiny frames the child wrote.
    """
    frames, rest = split_frames(data, most=MAX_MESSAGES)
    messages: list[dict] = []
    trial_count = note_count = 0
    loaded = ended = rerun = False
    try:
        for payload in frames:
            message = decode(payload)
            check_message(message, trial_count)
            kind = message["kind"]
            if kind == "trial" and trials is not None and trial_count >= trials:
                raise Malformed(f"more trial results than the {trials} planned")
            if ended:
                raise Malformed("a message after the last one")
            if kind in ("cell_error", "state") and loaded != ("trial" in message) or kind == "state" and not rerun:
                raise Malformed("a notebook cell reported out of place")
            if kind in ("trial", "done") and not loaded:
                raise Malformed(f"the first message must say whether the code loaded, not {kind!r}")
            if kind == "loaded" and loaded:
                raise Malformed("loaded twice")
            note_count += kind == "note"
            if note_count > MAX_NOTES:
                return tuple(messages), None, f"more than {MAX_NOTES} notes"
            trial_count += kind == "trial"
            loaded = loaded or kind == "loaded"
            rerun = rerun or kind == "loaded" and message.get("freeform") is True
            ended = kind in ("done", "error")
            messages.append(shorten(message))
    except Malformed as exc:
        return tuple(messages), str(exc), None
    if len(frames) == MAX_MESSAGES and rest:
        return tuple(messages), None, f"more than {MAX_MESSAGES} messages"
    return tuple(messages), ("an unfinished message" if rest else None), None


def new_workdir() -> str:
    return tempfile.mkdtemp(prefix="grade-")
