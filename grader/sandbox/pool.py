"""Warm sandbox launchers for batch grading, and a clean zygote that forks new ones when a launcher is lost.

A launcher must be forked from a process that has read no exercise, or its children could find a reference
in memory. The batch's grading process reads exercises, so it cannot fork launchers once grading has begun;
the zygote, forked right after torch is imported and warmed, can: it receives the pipe ends of a new
launcher over a Unix socket (SCM_RIGHTS) and forks it. A submission that kills its launcher so costs only
its own grade: its launcher is replaced and the next submission runs on a fresh one.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

from .isolate import PR_SET_PDEATHSIG, prctl
from .spawner import GRACE_S, Spawner

_PID = struct.Struct("!i")


class Zygote:
    """A process forked before any exercise is read; it forks launchers on request and does nothing else."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        parent = os.getpid()
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        pid = os.fork()
        if pid == 0:
            ours.close()
            code = 0
            try:
                serve(theirs, parent)
            except BaseException:  # noqa: BLE001 - never unwind into the grader's code in a forked copy
                code = 1
            os._exit(code)
        theirs.close()
        self.pid, self._socket, self._process = pid, ours, None

    @classmethod
    def fresh(cls) -> Zygote:
        """A zygote in a new interpreter rather than a fork: for a process whose memory must not reach students.

        A Dask worker is connected to its scheduler before it can start a zygote; a fork would copy the scheduler's
        address, the worker's configuration and any credentials into every child. The new interpreter imports
        torch and warms up on its own (a second or two, once per worker), with no DASK_ variable in its environment.
        """
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = {key: value for key, value in os.environ.items() if not key.startswith("DASK_")}
        process = subprocess.Popen([sys.executable, "-m", "grader.sandbox.zygote", str(theirs.fileno())],
                                   pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env=env)
        theirs.close()
        zygote = cls.__new__(cls)
        zygote.pid, zygote._socket, zygote._process = process.pid, ours, process
        return zygote

    def spawner(self) -> Spawner:
        """A new launcher, ready for plans."""
        requests_r, requests_w = os.pipe()
        replies_r, replies_w = os.pipe()
        try:
            socket.send_fds(self._socket, [b"L"], [requests_r, replies_w])
            reply = self._socket.recv(_PID.size, socket.MSG_WAITALL)
        finally:
            os.close(requests_r)
            os.close(replies_w)
        if len(reply) != _PID.size:
            os.close(requests_w)
            os.close(replies_r)
            raise RuntimeError("the sandbox zygote is gone; no new launcher can be started")
        return Spawner.adopt(_PID.unpack(reply)[0], requests_w, replies_r)

    def close(self) -> None:
        self._socket.close()
        if self._process is not None:
            self._process.wait()
            return
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass

    def __enter__(self) -> Zygote:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(sock: socket.socket, parent: int) -> None:
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # die with the grading process
    if os.getppid() != parent:
        return
    # Hold nothing of the grading process's: a pipe end kept open here would keep another launcher from ever
    # seeing end-of-file when the grading process closes its side.
    os.closerange(3, sock.fileno())
    os.closerange(sock.fileno() + 1, os.sysconf("SC_OPEN_MAX"))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # launchers are reaped by the kernel
    while True:
        _, fds, _, _ = socket.recv_fds(sock, 1, 2)
        if len(fds) != 2:
            return  # the grading process closed the socket
        pid = os.fork()
        if pid == 0:
            sock.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the launcher waits for its own children
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            Spawner._serve_forever(*fds)
        for fd in fds:
            os.close(fd)
        sock.sendall(_PID.pack(pid))


class Launchers:
    """A fixed number of launchers; a lost one is killed and replaced from the zygote."""

    def __init__(self, zygote: Zygote, count: int) -> None:
        self._zygote = zygote
        self.spawners = [zygote.spawner() for _ in range(count)]

    def replace(self, spawner: Spawner) -> Spawner:
        """Kill a launcher that died, hung or was killed, and put a fresh one in its place."""
        try:
            os.kill(spawner.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        spawner.close()
        fresh = self._zygote.spawner()
        self.spawners[self.spawners.index(spawner)] = fresh
        return fresh

    @staticmethod
    def ready(busy: dict[Spawner, float], timeout_s: float) -> tuple[list[Spawner], list[Spawner]]:
        """The busy launchers that answered, and those that are past their deadline without a word.

        `busy` maps each to the monotonic time by which it must have answered; waits at most timeout_s.
        """
        if not busy:
            return [], []
        wait = max(0.0, min(timeout_s, min(busy.values()) - time.monotonic()))
        readable, _, _ = select.select([s.reply_fd for s in busy], [], [], wait)
        now = time.monotonic()
        answered = [s for s in busy if s.reply_fd in readable]
        return answered, [s for s in busy if s not in answered and busy[s] <= now]

    def close(self) -> None:
        for spawner in self.spawners:
            spawner.close()


def answer_deadline(timeout_s: float) -> float:
    """When a launcher that took a plan now must have answered, or be counted as lost."""
    return time.monotonic() + timeout_s + GRACE_S
