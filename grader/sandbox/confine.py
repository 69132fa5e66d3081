"""Confine the forked child before any student code runs: descriptors, namespaces, seccomp, limits, environment."""

from __future__ import annotations

import gc
import math
import os
import resource
import signal
import sys
from dataclasses import dataclass

import torch

from ..config import Limits
from .descriptors import close_all_but
from .isolate import OWN_PROCESSES, PR_SET_PDEATHSIG, STRONG, enter_process_namespace, isolate, prctl
from .seccomp import restrict_sockets

CAPPED = "; tasks and memory capped (cgroups)"


@dataclass(frozen=True)
class Detached:
    """What detach() found: the processes and threads of this (real) user then, 0 where the count does not matter."""

    tasks: int


def detach(result_fd: int, output_fd: int, *, keep: tuple[int, ...] = ()) -> Detached:
    """Do what needs no plan: a session of its own, stdin empty, stdout and stderr on the output pipe, every other
    descriptor but `keep` closed, and the user's task count taken (a child forked ahead does this while it waits)."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    close_all_but({0, 1, 2, result_fd, *keep})
    sys.stdin = open(0, "r", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    # the kernel never applies RLIMIT_NPROC to the real root: no need to count
    return Detached(tasks=_tasks_of_my_user() if os.getuid() != 0 else 0)


def confine(limits: Limits, hidden: tuple[str, ...], workdir: str, result_fd: int, output_fd: int, *,
            own_tree: bool, capped: bool, detached: Detached | None = None) -> str:
    """Confine this process; return the isolation level reached.

    `hidden`: folders the submission must not see; `workdir`: the only folder it may write.

    `own_tree`: the launcher is init of a process tree of its own, with its own /proc and /dev (isolate.py).
    `capped`: the launcher's tree is in pids and memory cgroups.
    `detached`: what detach() did already, in a child forked ahead of its plan.
    """
    detached = detached or detach(result_fd, output_fd)
    own = limits.pid_namespace and not own_tree  # a tree of its own per child: only where the launcher has none
    level = isolate(hidden, workdir, own_processes=own, dev_ready=own_tree)
    if level == STRONG and own:
        enter_process_namespace()
    unreached = restrict_sockets()
    if level == STRONG and unreached is not None:
        level = f"namespaces (no network; Unix sockets with a path, vsock and every other socket family reachable: " \
                f"{unreached})"
    if level == STRONG and (own or own_tree):
        level += (CAPPED if capped else "") + OWN_PROCESSES
    elif capped:
        level += CAPPED
    os.chdir(workdir)
    os.environ.clear()
    scrub_environment_block()
    os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir,
                       "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1"})
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    cpu = math.ceil(limits.timeout_s) + 1
    _limit(resource.RLIMIT_CPU, cpu, cpu + 1)
    _limit(resource.RLIMIT_CORE, 0, 0)
    _limit(resource.RLIMIT_FSIZE, 64 << 20, 64 << 20)
    tasks = detached.tasks
    if tasks:  # stops fork bombs for ordinary users; the kernel never applies it to root, namespace or not
        _limit(resource.RLIMIT_NPROC, tasks + EXTRA_TASKS, tasks + EXTRA_TASKS)
    address_space = _address_space()
    if address_space:
        cap = address_space + (limits.memory_mb << 20)
        _limit(resource.RLIMIT_AS, cap, cap)
    torch.set_num_threads(1)
    gc.freeze()  # what the grader left behind is never collected here, so each count's gc.collect() costs microseconds
    gc.enable()
    try:  # out of memory in the launcher's cgroup (or the machine), this process goes first, never the launcher
        with open("/proc/self/oom_score_adj", "w") as adj:
            adj.write("1000")
    except OSError:
        pass
    _die_with_launcher()  # last: entering a user namespace changes credentials, which clears the request
    return level


def _die_with_launcher() -> None:
    """Ask Linux to kill this process when the launcher dies, so killing it cannot free a submission from its limits."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def scrub_environment_block() -> None:
    """Zero the environment strings this process was started with (Linux).

    os.environ.clear() forgets the variables but leaves the original block in memory, where
    /proc/<pid>/environ still shows it to any process of the same user.
    """
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # env_start, env_end: fields 50 and 51 of stat
        if 0 < start < end:
            fd = os.open("/proc/self/mem", os.O_RDWR)
            try:
                os.pwrite(fd, bytes(end - start), start)
            finally:
                os.close(fd)
    except (OSError, ValueError, IndexError):
        pass


def _limit(which: int, soft: int, hard: int) -> None:
    try:
        _, current_hard = resource.getrlimit(which)
        if current_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, current_hard), min(hard, current_hard)
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        pass


EXTRA_TASKS = 64  # processes and threads a submission may add


def _tasks_of_my_user() -> int:
    """Processes and threads of this user now (RLIMIT_NPROC counts them all), or 0 when /proc cannot tell."""
    uid, count = os.getuid(), 0
    try:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat(f"/proc/{entry}").st_uid == uid:
                        count += len(os.listdir(f"/proc/{entry}/task"))
                except OSError:
                    continue
    except OSError:
        return 0
    return count


def _address_space() -> int:
    """Bytes of address space already mapped (torch maps a lot before the student allocates anything)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
