"""A launcher process that forks one sandboxed child per submission.

It is forked from the grading process after torch is imported but before any exercise is read,
so its memory, and so every child's, holds no reference solution, check, tolerance or known mistake: a
submission that searches its own memory (stack frames, gc.get_objects) finds only the public part of the
exercise it is given for its own run. The launcher never runs student code itself and sends back raw bytes,
which the grading process validates. Where Linux allows, it serves as init of a process tree of its own
(isolate.run_in_own_tree), so no child can see or signal the grading process, or kill the launcher.
"""

from __future__ import annotations

import json
import os
import pickle
import select
import signal
import sys
import time
from typing import TYPE_CHECKING, NoReturn

from . import cgroups
from .isolate import run_in_own_tree
from .protocol import HEADER, frame

if TYPE_CHECKING:
    from .child import ChildPlan
    from .runner import RawRun, Standby, Surroundings

GRACE_S = 30.0
WARM_UP = "warm_up"  # a request in place of a plan: the launcher runs warm_up() itself (Spawner.warm_up)


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _read_frame(fd: int, deadline: float | None = None) -> bytes | None:
    header = _read_exactly(fd, HEADER.size, deadline)
    if header is None:
        return None
    return _read_exactly(fd, HEADER.unpack(header)[0], deadline)


def _serve(requests: int, replies: int, around: "Surroundings") -> None:
    """Run one plan at a time until the grading process closes the pipe.

    The next child is forked ahead, so it waits for its plan instead of the plan waiting for the fork; the last
    child's exit and its strays are dealt with after the answer. As init of a tree of its own, the launcher first
    kills every other process of the tree at once (none of them runs again), then forks the next child while the
    kernel tears them down, and reaps them all before that child gets its plan: its memory cap and process count
    start from nothing left behind. Elsewhere it reaps first and forks after.
    """
    from .confine import scrub_environment_block
    from .runner import RunningChild, Standby, become_subreaper, kill_strays

    reaper = become_subreaper()
    scrub_environment_block()
    standby: Standby | None = None
    while True:
        standby = standby or Standby(around)
        payload = _read_frame(requests)
        if payload is None:
            standby.discard()
            return
        plan: ChildPlan = pickle.loads(payload)  # noqa: S301 - written by the grading process, which we trust
        if isinstance(plan, str) and plan == WARM_UP:  # no reply: the next plan follows
            standby.discard()  # forked cold: the next one is forked warm
            standby = None
            warm_up()
            continue
        if around.groups is not None:
            around.groups.limit_memory(plan.limits.memory_mb << 20)
        child = RunningChild(plan, plan.limits, around, standby=standby, payload=payload)
        standby = None
        raw = child.finish()
        del plan, payload
        header = {"result_bytes": raw.result_bytes, "output_bytes": raw.output_bytes, "status": raw.status,
                  "seconds": raw.seconds, "timed_out": raw.timed_out, "output_exceeded": raw.output_exceeded}
        _write_all(replies, frame(json.dumps(header).encode()) + frame(raw.result) + frame(raw.output))
        if around.own_tree:
            _end_the_rest()
            standby = _fork_or_none(around)
        child.cleanup()
        if reaper:
            kill_strays(spare=standby.pid if standby is not None else None)


def _end_the_rest() -> None:
    """As init of the tree, SIGKILL every other process in it: what a run left behind never runs again."""
    if os.getpid() != 1:  # anywhere else, kill(-1) reaches every process of this user on the machine
        return
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:  # nothing else is left
        pass


def _fork_or_none(around: "Surroundings") -> "Standby | None":
    from .runner import Standby

    try:
        return Standby(around)
    except OSError:  # the tree's pids cap is still full of the processes being torn down: fork once they are reaped
        return None


def warm_autograd() -> None:
    """Run one backward pass with an explicit gradient: the first one imports sympy (about 0.4 s)."""
    import torch

    a = torch.ones(2, requires_grad=True)
    (a * a).backward(torch.ones(2))


def warm_up() -> None:
    """Warm autograd and take one optimizer step, so processes forked afterwards start warm.

    The first optimizer step imports torch._dynamo (most of a second): for commands that grade many
    submissions, paid once here instead of inside each child's time limit.
    """
    import torch

    warm_autograd()
    a = torch.ones(2, requires_grad=True)
    a.grad = torch.ones(2)
    optimizer = torch.optim.SGD([a], lr=0.1, momentum=0.9)
    optimizer.step()
    optimizer.zero_grad()


class Spawner:
    """The grading process's handle on its launcher: start(plan), then wait() for the raw run."""

    def __init__(self) -> None:
        requests_r, requests_w = os.pipe()
        replies_r, replies_w = os.pipe()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        pid = os.fork()
        if pid == 0:
            os.close(requests_w)
            os.close(replies_r)
            self._serve_forever(requests_r, replies_w)
        os.close(requests_r)
        os.close(replies_w)
        self.pid, self._requests, self._replies = pid, requests_w, replies_r
        self._limit_s = 0.0

    @classmethod
    def adopt(cls, pid: int, requests: int, replies: int) -> "Spawner":
        """A handle on a launcher started elsewhere (grader.sandbox.pool's zygote), given its pid and pipe ends."""
        spawner = cls.__new__(cls)
        spawner.pid, spawner._requests, spawner._replies, spawner._limit_s = pid, requests, replies, 0.0
        return spawner

    @property
    def reply_fd(self) -> int:
        """The pipe the launcher answers on: readable once a run has ended (for select)."""
        return self._replies

    @staticmethod
    def _serve_forever(requests: int, replies: int) -> NoReturn:
        """Be the launcher: cap its tree with cgroups and serve as init of a process tree of its own, where allowed.

        Where the kernel refuses a tree of its own, serve from here: each child then isolates itself alone.
        """
        from .runner import Surroundings

        code = 0
        groups = None
        try:
            groups = cgroups.create()  # before anything starts, so that every process of the tree is inside
            inside = Surroundings(own_tree=True, groups=groups)
            tree = run_in_own_tree(lambda: _serve(requests, replies, inside), (requests, replies))
            if tree is None:
                _serve(requests, replies, Surroundings(own_tree=False, groups=groups))
            else:
                code = tree
        except BaseException:  # noqa: BLE001 - the launcher must never unwind into the grader's code
            code = 1
        if groups is not None:
            groups.remove()
        os._exit(code)

    def warm_up(self) -> None:
        """Have the launcher run warm_up() itself, so that every child it forks from now on starts warm.

        For a process that forked its launcher before reading what its submissions need (grader.course.selfcheck):
        torch._dynamo, imported by a first optimizer step, is then imported once there, not by every child.
        """
        try:
            _write_all(self._requests, frame(pickle.dumps(WARM_UP)))
        except OSError:
            pass  # the launcher is gone; the next wait() reports it

    def start(self, plan: "ChildPlan") -> None:
        """Hand a plan to the launcher, which forks its child at once."""
        self._limit_s = plan.limits.timeout_s
        try:
            _write_all(self._requests, frame(pickle.dumps(plan)))
        except OSError:
            pass  # the launcher is gone; wait() reports it

    def wait(self) -> "RawRun":
        """The raw run of the last plan; a launcher that died or hung yields an empty run marked lost."""
        from .runner import RawRun

        deadline = time.monotonic() + self._limit_s + GRACE_S
        parts = []
        for _ in range(3):
            part = _read_frame(self._replies, deadline)
            if part is None:
                return RawRun(result=b"", output=b"", result_bytes=0, output_bytes=0, status=None, seconds=0.0,
                              lost="the sandbox launcher stopped answering (was it killed?)")
            parts.append(part)
        try:
            header = json.loads(parts[0])
        except ValueError:
            header = None
        if not isinstance(header, dict):
            return RawRun(result=b"", output=b"", result_bytes=0, output_bytes=0, status=None, seconds=0.0,
                          lost="the sandbox launcher sent a malformed reply")
        return RawRun(result=parts[1], output=parts[2], result_bytes=int(header["result_bytes"]),
                      output_bytes=int(header["output_bytes"]), status=header["status"],
                      seconds=float(header["seconds"]), timed_out=bool(header["timed_out"]),
                      output_exceeded=bool(header["output_exceeded"]))

    def close(self) -> None:
        for fd in (self._requests, self._replies):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        cgroups.remove_left_by(self.pid)  # left behind when the launcher was killed before it could remove them

    def __enter__(self) -> "Spawner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
