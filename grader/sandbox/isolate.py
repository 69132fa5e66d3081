"""Stronger isolation where Linux allows it, with unprivileged user namespaces (no root, no helper).

Two layers. The launcher, once: new user, PID and mount namespaces, so every child lives in a process tree of
its own, with its own /proc and a /dev holding only null, zero, full, random and urandom; its init leads a
session of its own. Each child: new user, mount, network, IPC and UTS namespaces: no network; no System V IPC
or hostname shared with the machine or with other submissions; an empty read-only tmpfs over each hidden folder
(the course's exercises and solutions) and over the /proc entries of pid 1 and of its own ancestors; /dev/null
bound over each hidden file (the course's fixtures.py); every other mount read-only except the working folder
and a private /dev/shm; a second user namespace then locks those mounts so the submission cannot undo them. Anything the kernel refuses leaves the weaker level and says so.
"""

from __future__ import annotations

import ctypes
import os
import select
import signal
from typing import Callable, NoReturn

from ..config import LEVELS

try:
    import resource
except ImportError:  # Windows: nothing here runs there (grader.sandbox.runners picks the portable runner), but
    resource = None  # type: ignore[assignment]  # level_of and meets serve every runner, so the module must import

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
CLONE_NEWUTS, CLONE_NEWIPC = 0x04000000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = (
    1, 2, 4, 8, 32, 1024, 2048, 4096, 16384)
MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 1 << 18, 1 << 21, 1 << 24
KEEP_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
              "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}
LIVE_TREES = ("/dev", "/proc")  # handled apart: device nodes stay usable, /proc's kernel settings are made read-only
PROC_READ_ONLY = ("/proc/sys", "/proc/irq", "/proc/bus", "/proc/fs", "/proc/sysrq-trigger")
DEVICES = ("null", "zero", "full", "random", "urandom")
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
             "stderr": "/proc/self/fd/2"}

BASELINE = "baseline (process limits only: network and files visible)"
STRONG = ("namespaces (no network; the course's exercises and solutions hidden; file system read-only but the "
          "working folder and a private /dev/shm; /dev holds only null, zero, full, random, urandom; no Unix "
          "sockets)")
OWN_PROCESSES = "; own process tree"
TREE_REFUSED = 75  # init's exit status when it could not set up its tree: the launcher then serves without one


class _Refused(Exception):
    pass


def level_of(text: str) -> str:
    """Name (one of LEVELS) the level that a sandbox note describes."""
    if text.startswith(LEVELS[0]):
        return LEVELS[0]
    if not text.startswith(STRONG):
        return "baseline"
    return "own_process_tree" if text.endswith(OWN_PROCESSES) else "namespaces"


def meets(text: str, required: str) -> bool:
    """Tell whether the level a sandbox note describes is at least `required` (one of LEVELS)."""
    return LEVELS.index(level_of(text)) >= LEVELS.index(required)


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36


def prctl(option: int, value: int) -> bool:
    """Set a Linux process attribute; False where there is no prctl (other systems) or it refused."""
    try:
        return _libc().prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _enter_user_namespace(libc: ctypes.CDLL, flags: int) -> None:
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(flags | CLONE_NEWUSER) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)


def _mount(libc: ctypes.CDLL, source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    encode = (lambda text: None if text is None else text.encode())
    if libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)) != 0:
        raise _Refused(f"mount {target}: {os.strerror(ctypes.get_errno())}")


def _mounts() -> list[tuple[str, set[str]]]:
    """Mount points with their per-mount options, from /proc/self/mountinfo."""
    found = []
    with open("/proc/self/mountinfo") as info:
        for line in info:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")  # spaces and the like arrive as \040
            found.append((point, set(fields[5].split(","))))
    return found


def _inside(path: str, trees: tuple[str, ...]) -> bool:
    return any(path == tree or path.startswith(tree.rstrip("/") + "/") for tree in trees)


def _remount_read_only(libc: ctypes.CDLL, point: str, options: set[str]) -> None:
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY
    for name, flag in KEEP_FLAGS.items():  # a user namespace may not drop the flags a mount came with
        flags |= flag if name in options else 0
    _mount(libc, None, point, None, flags)


def _read_only_proc(libc: ctypes.CDLL) -> None:
    """Make the kernel-wide settings under the current /proc read-only (as root they would rule the host)."""
    for path in PROC_READ_ONLY:
        if os.path.exists(path):
            _mount(libc, path, path, None, MS_BIND | MS_REC)
    for point, options in reversed(_mounts()):
        if _inside(point, PROC_READ_ONLY) and "ro" not in options:
            _remount_read_only(libc, point, options)


def _lineage() -> set[int]:
    """Pid 1 and every ancestor of this process, as this process's /proc numbers them."""
    found, pid = {1}, os.getppid()
    while pid > 1 and pid not in found:
        found.add(pid)
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat:
                pid = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return found


def _mask_processes(libc: ctypes.CDLL, pids: set[int]) -> None:
    """Cover /proc/<pid> of each process, and /proc/<tid> of each of its threads, with an empty read-only tmpfs.

    Where the submission's uid maps to their owner's (as root it does), the files there that rule the process
    would be writable: autogroup (the CPU share of its whole session: the grading terminal's), oom_score_adj,
    oom_adj, coredump_filter, clear_refs, sched. The launcher and its ancestors are the ones worth taking.
    """
    for pid in pids:
        try:
            threads = {int(tid) for tid in os.listdir(f"/proc/{pid}/task")} - {pid}
        except (OSError, ValueError):
            threads = set()
        for number in (*threads, pid):  # the threads first: their list is under /proc/<pid>
            path = f"/proc/{number}"
            try:
                _mount(libc, "tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=555")
            except _Refused:
                if os.path.exists(path):
                    raise  # only a thread or process that ended meanwhile may go unmasked: it has no files left


def _private_dev(libc: ctypes.CDLL) -> None:
    """Cover /dev with a read-only tmpfs holding only harmless devices (no disks, kmsg, loop, kvm or fuse)."""
    nodes = {name: os.open(f"/dev/{name}", os.O_PATH) for name in DEVICES if os.path.exists(f"/dev/{name}")}
    try:
        _mount(libc, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
        for name, fd in nodes.items():  # the old /dev is covered now: bind each node from the fd held open
            os.close(os.open(f"/dev/{name}", os.O_CREAT | os.O_WRONLY, 0o666))
            _mount(libc, f"/proc/self/fd/{fd}", f"/dev/{name}", None, MS_BIND)
        for name, target in DEV_LINKS.items():
            os.symlink(target, f"/dev/{name}")
        os.mkdir("/dev/shm", 0o1777)
        _remount_read_only(libc, "/dev", [options for point, options in _mounts() if point == "/dev"][-1])
    finally:
        for fd in nodes.values():
            os.close(fd)


def isolate(hidden: tuple[str, ...], workdir: str, *, own_processes: bool, dev_ready: bool = False) -> str:
    """Enter the namespaces and lay out the file system; return the level reached (see STRONG).

    With `own_processes`, a PID namespace too: enter_process_namespace() must follow when STRONG is returned.
    `dev_ready`: the launcher already laid out /dev and /proc in its own tree.
    """
    try:
        libc = _libc()
        _enter_user_namespace(libc, CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
                              (CLONE_NEWPID if own_processes else 0))
    except (OSError, AttributeError):
        return BASELINE
    try:
        _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
        for folder in hidden:
            if os.path.isdir(folder):
                _mount(libc, "tmpfs", folder, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k")
            elif os.path.isfile(folder):  # a hidden file (the course's fixtures.py): it reads as empty
                _mount(libc, os.devnull, folder, None, MS_BIND)
        _mount(libc, workdir, workdir, None, MS_BIND | MS_REC)
        if not dev_ready:
            _private_dev(libc)
        # a private, throwaway one: nothing written there outlives the submission
        _mount(libc, "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m")
        _read_only_proc(libc)
        if not own_processes:  # else enter_process_namespace() masks its own /proc
            _mask_processes(libc, _lineage())
        keep = (*LIVE_TREES, workdir, *hidden)
        for point, options in reversed(_mounts()):
            if not _inside(point, keep) and "ro" not in options:
                _remount_read_only(libc, point, options)
    except (_Refused, OSError) as why:
        return f"namespaces (no network; file system partly visible or writable: {why})"
    if not own_processes:
        try:
            _enter_user_namespace(libc, 0)  # locks every mount made above
        except OSError as why:
            return f"namespaces (no network; mounts not locked: {why})"
    return STRONG


def _wait_status(pid: int) -> int:
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue


def _mirror(pid: int, *, init: bool) -> NoReturn:
    """Wait for `pid` and end the way it ended. Init (pid 1) cannot die by its own signal, so it hands a signal
    on as exit status 128 + number, which the process outside the namespace turns back into that signal."""
    os.closerange(0, 1 << 16)
    code = os.waitstatus_to_exitcode(_wait_status(pid))
    if init:
        os._exit(128 - code if code < 0 else code)
    if 128 < code <= 128 + 64:
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            signal.signal(code - 128, signal.SIG_DFL)
            os.kill(os.getpid(), code - 128)
        except (OSError, ValueError):
            pass
    os._exit(code if code >= 0 else 1)


def enter_process_namespace() -> None:
    """Become the submission's process inside the new PID namespace, with its own /proc and the mounts locked.

    This process waits for the namespace's init (pid 1), which waits for the submission (pid 2): init cannot be
    signalled from inside, and when it ends every process the submission left behind ends with it.
    """
    pid = os.fork()
    if pid != 0:
        _mirror(pid, init=False)
    libc = _libc()  # pid 1 of the new namespace
    _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _read_only_proc(libc)
    pid = os.fork()
    if pid != 0:
        _mirror(pid, init=True)
    # pid 2 masks init's /proc entry (init could not: its own user namespace maps are written there), then locks
    _mask_processes(libc, _lineage())
    _enter_user_namespace(libc, 0)  # locks every mount made above


def run_in_own_tree(serve: Callable[[], None], handed_over: tuple[int, ...]) -> int | None:
    """Run `serve` as init (pid 1) of a new user, PID and mount namespace with a fresh /proc and a minimal /dev.

    Returns None, having run nothing, where the kernel refuses. Otherwise returns serve's exit status once the
    tree has ended; this process closes `handed_over` (the pipe ends serve uses) as soon as init has them, so
    the grading process sees end-of-file the moment init dies. A middle process stays in this PID namespace
    (an unshare of the PID namespace would trap this one): it dies with this one, and init dies with it.
    """
    status_r, status_w = os.pipe()
    outer = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(status_r)
        code = 1
        try:
            code = _middle(serve, status_w, outer)
        finally:
            os._exit(code)
    os.close(status_w)
    ready = os.read(status_r, 1)
    os.close(status_r)
    if ready:
        for fd in handed_over:
            os.close(fd)
    code = os.waitstatus_to_exitcode(_wait_status(pid))
    return None if not ready else code


def _middle(serve: Callable[[], None], status_w: int, outer: int) -> int:
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != outer:
        return 1
    libc = _libc()
    try:
        _enter_user_namespace(libc, CLONE_NEWNS | CLONE_NEWPID)
    except (OSError, AttributeError):
        return TREE_REFUSED
    alive_r, alive_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(alive_w)
        code = 1
        try:
            code = _init(serve, status_w, alive_r, libc)
        finally:
            os._exit(code)
    os.close(alive_r)
    os.closerange(3, alive_w)  # the pipes to the grading process belong to init alone
    os.closerange(alive_w + 1, 1 << 16)
    return os.waitstatus_to_exitcode(_wait_status(pid)) % 256


def _init(serve: Callable[[], None], status_w: int, alive_r: int, libc: ctypes.CDLL) -> int:
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if select.select([alive_r], [], [], 0)[0]:  # the middle process died before the request took hold
        return 1
    os.close(alive_r)
    # A session of its own, so an autogroup of its own: the CPU share Linux gives a session is then this tree's,
    # never the grading terminal's, whatever a submission writes to /proc/1/autogroup where nothing masks it.
    os.setsid()
    try:
        _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
        _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        _private_dev(libc)
    except (_Refused, OSError):
        return TREE_REFUSED
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(number, signal.SIG_DFL)  # the kernel drops default-handled signals sent to init from inside
    os.write(status_w, b"r")
    os.close(status_w)
    serve()
    return 0
