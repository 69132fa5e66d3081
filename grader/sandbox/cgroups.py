"""Cap the launcher's whole process tree with cgroups, where this process may create them (root, or delegated).

The kernel never applies RLIMIT_NPROC to root, and RLIMIT_AS does not count memory that is never mapped (memfd
and tmpfs files, pipe buffers): a pids and a memory cgroup count both. The launcher makes one group per
controller beside its own, moves itself in before it starts anything, and removes the groups when it ends.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass

TASKS = 128  # processes and threads of the launcher's tree: its own three, the child's, and about 100 more
SPARE_BYTES = 64 << 20  # the private /dev/shm, which a submission may fill on top of its memory_mb
PREFIX = "grader-"


@dataclass(frozen=True)
class Cgroups:
    """The launcher's groups: directories (None where the controller is not writable) and the memory file."""

    pids: str | None
    memory: str | None
    memory_limit_file: str = "memory.limit_in_bytes"

    @property
    def capped(self) -> bool:
        return self.pids is not None and self.memory is not None

    def limit_memory(self, extra_bytes: int) -> None:
        """Let the tree use what it holds now plus `extra_bytes` (and the private /dev/shm)."""
        if self.memory is None:
            return
        usage_file = "memory.usage_in_bytes" if self.memory_limit_file.startswith("memory.limit") else "memory.current"
        try:
            with open(os.path.join(self.memory, usage_file)) as usage:
                held = int(usage.read())
            _write(self.memory, self.memory_limit_file, str(held + extra_bytes + SPARE_BYTES))
        except (OSError, ValueError):
            pass

    def remove(self) -> None:
        """Move this process back to its former groups and remove the launcher's (call when the tree ended)."""
        for group in (self.pids, self.memory):
            if group is not None:
                try:
                    _write(os.path.dirname(group), "cgroup.procs", str(os.getpid()))
                    os.rmdir(group)
                except OSError:
                    pass


def _write(folder: str, name: str, text: str) -> None:
    with open(os.path.join(folder, name), "w") as handle:
        handle.write(text)


def _own_groups() -> dict[str, tuple[str, bool]]:
    """Controller -> (this process's group folder, whether it is cgroup v2), for pids and memory."""
    hierarchies: dict[str, tuple[str, str, bool]] = {}  # controller ("" for v2) -> (mount point, mount root, v2)
    with open("/proc/self/mountinfo") as info:
        for line in info:
            before, _, after = line.partition(" - ")
            fields, (fstype, _, options) = before.split(), after.split()[:3]
            if fstype == "cgroup":
                for option in options.split(","):
                    hierarchies.setdefault(option, (fields[4], fields[3], False))
            elif fstype == "cgroup2":
                hierarchies.setdefault("", (fields[4], fields[3], True))
    found: dict[str, tuple[str, bool]] = {}
    with open("/proc/self/cgroup") as groups:
        for line in groups:
            _, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                if controller not in hierarchies:
                    continue
                point, root, v2 = hierarchies[controller]
                inner = path[len(root):] if root != "/" and path.startswith(root) else path
                folder = point + inner.rstrip("/")
                if not v2:
                    found.setdefault(controller, (folder, False))
                    continue
                try:
                    with open(os.path.join(folder, "cgroup.subtree_control")) as control:
                        enabled = control.read().split()
                except OSError:
                    continue
                for name in ("pids", "memory"):
                    if name in enabled:
                        found.setdefault(name, (folder, True))
    return found


def _clear_stale(parent: str) -> None:
    """Remove groups left by launchers that were killed before they could remove their own."""
    for entry in os.listdir(parent):
        if entry.startswith(PREFIX) and entry[len(PREFIX):].isdigit():
            try:
                os.kill(int(entry[len(PREFIX):]), 0)
            except ProcessLookupError:
                try:
                    os.rmdir(os.path.join(parent, entry))  # refused while any process is still in it
                except OSError:
                    pass
            except OSError:
                pass


def remove_left_by(pid: int, *, wait_s: float = 0.5) -> None:
    """Remove the groups of launcher `pid` once its tree is gone (it cannot itself when it was killed)."""
    try:
        own = _own_groups()
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + wait_s
    for parent, _ in {own[name] for name in ("pids", "memory") if name in own}:
        group = os.path.join(parent, f"{PREFIX}{pid}")
        while os.path.isdir(group):
            try:
                os.rmdir(group)
            except OSError as why:
                if why.errno != errno.EBUSY or time.monotonic() > deadline:
                    break
                time.sleep(0.01)  # the tree's last processes are still exiting


def create() -> Cgroups:
    """Make this process's pids and memory groups and move it in; a controller that refuses is left out."""
    made: dict[str, str | None] = {"pids": None, "memory": None}
    memory_file = "memory.limit_in_bytes"
    try:
        own = _own_groups()
    except (OSError, ValueError):
        return Cgroups(None, None)
    for controller in made:
        if controller not in own:
            continue
        parent, v2 = own[controller]
        group = os.path.join(parent, f"{PREFIX}{os.getpid()}")
        try:
            _clear_stale(parent)
            os.mkdir(group)
        except OSError:
            continue
        try:
            if controller == "pids":
                _write(group, "pids.max", str(TASKS))
            else:
                memory_file = "memory.max" if v2 else "memory.limit_in_bytes"
            _write(group, "cgroup.procs", str(os.getpid()))
            made[controller] = group
        except OSError:
            try:
                os.rmdir(group)
            except OSError:
                pass
    if made["memory"] is not None:
        try:  # the tree's own processes must outlive an out-of-memory kill there: the submission goes first
            _write("/proc/self", "oom_score_adj", "-1000")
        except OSError:
            pass
    return Cgroups(made["pids"], made["memory"], memory_file)
