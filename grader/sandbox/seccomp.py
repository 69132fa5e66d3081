"""Let the child create IP sockets and stream socket pairs only, with a seccomp filter.

A network namespace isolates IP, but not every socket family: Unix sockets bound to a path cross it (a read-only
mount does not block connect(), so any local service whose socket file the child can open would be in reach: a
database, the Docker daemon, an ssh agent), vsock reaches the hypervisor's services on a virtual machine, and each
further family is kernel code the submission has no use for (netlink, packet, XDP, crypto, and any family whose
module socket() would load). So socket() is allowed for AF_INET and AF_INET6 only (not their SOCK_PACKET alias,
which the kernel turns into a packet socket), socketpair() for non-datagram Unix pairs only (a datagram pair can
send to a path), io_uring (which creates sockets without the socket call) and every call of a foreign ABI never.
"""

from __future__ import annotations

import ctypes
import errno
import platform

AF_UNIX, AF_INET, AF_INET6, SOCK_TYPE_MASK, SOCK_DGRAM, SOCK_PACKET, X32_BIT = 1, 2, 10, 0xF, 2, 10, 0x40000000
# audit arch, socket, socketpair, io_uring_setup
ARCHES = {"x86_64": (0xC000003E, 41, 53, 425), "aarch64": (0xC00000B7, 198, 199, 425)}
LD, JEQ, JGE, AND, RET = 0x20, 0x15, 0x35, 0x54, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, ALU|AND|K, RET|K
ALLOW, DENY = 0x7FFF0000, 0x00050000 | errno.EACCES  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EACCES
NR, ARCH, ARG0, ARG1 = 0, 4, 16, 24  # offsets in struct seccomp_data (the low 32 bits of each argument)
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def program(arch: str) -> list[tuple[int, int, int, int]]:
    """The filter for `arch` as (code, jump if true, jump if false, operand) instructions."""
    audit, socket, socketpair, io_uring = ARCHES[arch]
    # (label, code, operand, label if true, label if false): None falls through to the next instruction
    source = [
        (None, LD, ARCH, None, None), (None, JEQ, audit, None, "deny"),
        (None, LD, NR, None, None), (None, JGE, X32_BIT, "deny", None), (None, JEQ, io_uring, "deny", None),
        (None, JEQ, socket, None, "pair"), (None, LD, ARG0, None, None), (None, JEQ, AF_INET, "ip", None),
        (None, JEQ, AF_INET6, "ip", "deny"), ("ip", LD, ARG1, None, None), (None, AND, SOCK_TYPE_MASK, None, None),
        (None, JEQ, SOCK_PACKET, "deny", "allow"),
        ("pair", JEQ, socketpair, None, "allow"), (None, LD, ARG0, None, None), (None, JEQ, AF_UNIX, None, "deny"),
        (None, LD, ARG1, None, None), (None, AND, SOCK_TYPE_MASK, None, None), (None, JEQ, SOCK_DGRAM, "deny", "allow"),
        ("allow", RET, ALLOW, None, None), ("deny", RET, DENY, None, None),
    ]
    where = {label: index for index, (label, *_) in enumerate(source) if label}
    offset = (lambda index, label: 0 if label is None else where[label] - index - 1)
    return [(code, offset(i, yes), offset(i, no), k) for i, (_, code, k, yes, no) in enumerate(source)]


def restrict_sockets() -> str | None:
    """Install the filter in this process (inherited by everything it starts); None on success, else why not."""
    arch = platform.machine()
    if arch not in ARCHES:
        return f"no seccomp filter for {arch}"
    instructions = program(arch)
    table = (_Instruction * len(instructions))(*(_Instruction(*i) for i in instructions))
    prog = _Program(len(instructions), table)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        # no_new_privs: no setuid program can regain what the filter takes (and it lets anyone install one)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
                libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
            return f"seccomp refused: {errno.errorcode.get(ctypes.get_errno(), ctypes.get_errno())}"
    except (OSError, AttributeError) as why:
        return f"seccomp unavailable: {why}"
    return None
