"""Stronger isolation for the child where Linux allows it, with unprivileged user namespaces (no root, no helper).

In new user, mount, network and PID namespaces: no network; an empty read-only tmpfs over each hidden folder (the
course's exercises and solutions); every other mount read-only except the working folder (and /dev, /proc, /sys);
its own /proc, where only the submission's processes exist. A second user namespace then locks those mounts so the
submission cannot undo them. Anything the kernel refuses leaves the baseline sandbox and says so.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
from typing import NoReturn

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC = (
    1, 2, 4, 8, 32, 1024, 2048, 4096, 16384)
MS_PRIVATE, MS_RELATIME, MS_STRICTATIME = 1 << 18, 1 << 21, 1 << 24
KEEP_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
              "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}
LIVE_TREES = ("/dev",)
PROC_READ_ONLY = ("/proc/sys", "/proc/irq", "/proc/bus", "/proc/fs", "/proc/sysrq-trigger")
BASELINE = "baseline (process limits only: network and files visible)"
STRONG = ("namespaces (no network; the course's exercises and solutions hidden; file system read-only but the "
          "working folder, a private /dev/shm and /dev)")
OWN_PROCESSES = "; own process tree"


class _Refused(Exception):
    pass


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


def isolate(hidden: tuple[str, ...], workdir: str, *, own_processes: bool) -> str:
    """Enter the namespaces and lay out the file system; return the level reached (see STRONG).

    With `own_processes`, a PID namespace too: enter_process_namespace() must follow when STRONG is returned.
    """
    try:
        libc = _libc()
        _enter_user_namespace(libc, CLONE_NEWNS | CLONE_NEWNET | (CLONE_NEWPID if own_processes else 0))
    except (OSError, AttributeError):
        return BASELINE
    try:
        _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
        for folder in hidden:
            if os.path.isdir(folder):
                _mount(libc, "tmpfs", folder, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k")
        _mount(libc, workdir, workdir, None, MS_BIND | MS_REC)
        if os.path.isdir("/dev/shm"):  # a private, throwaway one: nothing written there outlives the submission
            _mount(libc, "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m")
        for path in PROC_READ_ONLY:  # kernel-wide settings under /proc: bound here, made read-only below
            if os.path.exists(path):
                _mount(libc, path, path, None, MS_BIND | MS_REC)
        keep = (*LIVE_TREES, workdir, *hidden)
        for point, options in reversed(_mounts()):
            if (not _inside(point, keep) and "ro" not in options
                    and (_inside(point, PROC_READ_ONLY) or not _inside(point, ("/proc",)))):
                flags = MS_BIND | MS_REMOUNT | MS_RDONLY
                for name, flag in KEEP_FLAGS.items():
                    flags |= flag if name in options else 0
                _mount(libc, None, point, None, flags)
    except (_Refused, OSError) as why:
        return f"namespaces (no network; file system partly visible or writable: {why})"
    if not own_processes:
        try:
            _enter_user_namespace(libc, 0)  # locks every mount made above
        except OSError as why:
            return f"namespaces (no network; mounts not locked: {why})"
    return STRONG


def _mirror(pid: int, *, init: bool) -> NoReturn:
    """Wait for `pid` and end the way it ended. Init (pid 1) cannot die by its own signal, so it hands a signal
    on as exit status 128 + number, which the process outside the namespace turns back into that signal."""
    os.closerange(0, 1 << 16)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
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
    _enter_user_namespace(libc, 0)  # locks every mount made above
    pid = os.fork()
    if pid != 0:
        _mirror(pid, init=True)
