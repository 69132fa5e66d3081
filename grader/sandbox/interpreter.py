"""`python -m grader.sandbox.interpreter`: a warm interpreter of the portable runner, for one submission.

Started by grader.sandbox.portable with its stdin (requests), stdout (the result frames) and stderr (what the
submission prints) as pipes. It imports torch and warms autograd first, then waits: a request to warm up further is
run at once; a plan is run by child.py's own code, exactly as a forked child runs it, and the process then exits. No
fork, no namespaces, no seccomp: only what every system offers (a working folder, a cleared environment, a memory
limit where the system has one), and the level note says so. Before the plan it has read nothing of the course.
"""

from __future__ import annotations

import gc
import math
import os
import pickle
import sys
import threading
import time
from typing import NoReturn

READY = b"R"  # the first byte on the result pipe: the plan was read, the clock starts now


def portable_level(memory: bool) -> str:
    """The note naming the portable level: what it limits, and what it leaves reachable."""
    limited = "time, output and memory" if memory else "time and output (memory not limited here)"
    return (f"portable: fewer protections (a subprocess with {limited} limits; no namespaces, no seccomp: the network, "
            f"the file system and this user's other processes are reachable)")


def _read_exactly(fd: int, size: int) -> bytes | None:
    data = bytearray()
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _requests() -> object:
    """The next request on stdin, unpickled; None at end of input (the grading process is gone)."""
    from .protocol import HEADER

    header = _read_exactly(0, HEADER.size)
    payload = None if header is None else _read_exactly(0, HEADER.unpack(header)[0])
    return None if payload is None else pickle.loads(payload)  # noqa: S301 - written by the grading process


def _die_with_parent() -> None:
    """End this process once the grading process is gone (POSIX; on Windows the job dies with its last handle)."""
    if os.name == "nt":
        return
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="grader-orphan-watch", daemon=True).start()


def limit_cpu(timeout_s: float) -> None:
    """Cap CPU seconds a little above the time limit (POSIX): a run the grading process lost still ends.

    Counted from what the interpreter used already (torch's import, the warm-up), unlike a freshly forked child's.
    """
    if os.name == "nt":
        return
    import resource

    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime + timeout_s) + 1
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu if hard == resource.RLIM_INFINITY else min(cpu, hard), hard))
    except (OSError, ValueError):
        pass


def limit_memory(memory_mb: int) -> bool:
    """Cap this process's address space at what it maps now plus memory_mb; False where the system cannot (Linux only).

    macOS accepts RLIMIT_AS but does not enforce it, and Windows has no rlimits (grader.sandbox.winjob caps the job
    there, from the grading process).
    """
    if not sys.platform.startswith("linux"):
        return False
    import resource

    try:
        with open("/proc/self/statm") as statm:
            mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = mapped + (memory_mb << 20)
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        return True
    except (OSError, ValueError, IndexError):
        return False


def _settle(workdir: str) -> None:
    """Point stdin at nothing, stdout at the output pipe, and leave only a minimal environment."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdin = open(0, "r", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    os.chdir(workdir)
    # the fork runner's environment (grader.sandbox.confine), and on Windows what its system calls need
    windows = {key: os.environ[key] for key in ("PATH", "SYSTEMROOT", "WINDIR") if key in os.environ} | \
        {"USERPROFILE": workdir, "TEMP": workdir, "TMP": workdir} if os.name == "nt" else {}
    os.environ.clear()
    os.environ.update({"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workdir, "TMPDIR": workdir, "LANG": "C.UTF-8",
                       "OMP_NUM_THREADS": "1", **windows})


def serve(result_fd: int) -> NoReturn:
    """Warm up, then run the first plan that arrives and exit; never return."""
    from . import child
    from .spawner import WARM_UP, warm_autograd, warm_up

    warm_autograd()
    while True:
        request = _requests()
        if request is None:
            os._exit(0)
        if request == WARM_UP:
            warm_up()
            continue
        break
    os.write(result_fd, READY)
    go = _read_exactly(0, 1)  # the grading process starts the clock, and caps the job's memory on Windows, first
    try:
        plan = request
        assert isinstance(plan, child.ChildPlan) and go is not None
        _settle(plan.workdir)
        capped = limit_memory(plan.limits.memory_mb) or go == b"M"
        limit_cpu(plan.limits.timeout_s)
        import torch

        torch.set_num_threads(1)
        gc.freeze()  # as confine does: what the warm-up left behind is never collected, so each count is cheap
        gc.enable()
    except BaseException:  # noqa: BLE001 - end here with the harness's status, as a forked child would
        os._exit(child.HARNESS_FAULT)
    child.run_at_level(plan, result_fd, portable_level(capped))


def main() -> NoReturn:
    result_fd = os.dup(1)  # the result pipe, kept apart: stdout is pointed at the output pipe once a plan arrives
    os.dup2(2, 1)  # anything printed while warming up goes with the output, never into the frames
    _die_with_parent()  # before torch's import, which takes seconds
    serve(result_fd)


if __name__ == "__main__":
    main()
