"""Stronger isolation for the child where Linux allows it: no network, and the course's private folders hidden.

Uses unprivileged user namespaces (no root, no setuid helper): a new user, mount and network namespace, a
read-only empty tmpfs over each hidden folder, then a second user namespace, which locks those mounts so the
submission cannot unmount them. Anything that fails leaves the baseline sandbox in place and says so.
"""

from __future__ import annotations

import ctypes
import os

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000
MS_RDONLY, MS_REC, MS_PRIVATE = 1, 16384, 1 << 18
BASELINE = "baseline (process limits only: network and files visible)"
STRONG = "namespaces (no network; the course's exercises and solutions hidden)"


def _enter_user_namespace(libc: ctypes.CDLL, flags: int) -> None:
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(flags | CLONE_NEWUSER) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)


def isolate(hidden: tuple[str, ...]) -> str:
    """Cut the network and hide `hidden` folders for this process and its children; return the level reached."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        _enter_user_namespace(libc, CLONE_NEWNS | CLONE_NEWNET)
    except (OSError, AttributeError):
        return BASELINE
    if libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return "namespaces (no network; course files visible: mounts refused)"
    for folder in hidden:
        if os.path.isdir(folder) and libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_RDONLY, b"size=4k") != 0:
            return f"namespaces (no network; {folder} visible: mount refused)"
    try:
        _enter_user_namespace(libc, 0)  # mounts made above are now locked: the submission cannot unmount them
    except OSError:
        return "namespaces (no network; hidden folders could be unmounted)"
    return STRONG
