"""The seccomp filter allows IP sockets and stream socket pairs only, on x86_64 and aarch64 alike."""

from __future__ import annotations

import socket

import pytest

from grader.sandbox.seccomp import ALLOW, AND, ARCHES, DENY, JEQ, JGE, LD, RET, X32_BIT, program

pytestmark = pytest.mark.needs_linux_sandbox  # the fork runner's Linux isolation; skipped on the portable runner

AF_VSOCK, AF_NETLINK, AF_PACKET, AF_ALG, AF_XDP, SOCK_PACKET = 40, 16, 17, 38, 44, 10
STREAM, DGRAM, RAW, SEQPACKET = 1, 2, 3, 5
NONBLOCK_CLOEXEC = 0o4000 | 0o2000000


def run(arch: str, *, nr: int, args: tuple[int, ...] = (), audit: int | None = None) -> int:
    """Run the filter as the kernel would on one system call: what it returns (ALLOW, or DENY with its errno)."""
    data = {0: nr, 4: ARCHES[arch][0] if audit is None else audit}
    data.update({16 + 8 * i: value & 0xFFFFFFFF for i, value in enumerate(args)})
    accumulator, pc, instructions = 0, 0, program(arch)
    while True:
        code, yes, no, k = instructions[pc]
        pc += 1
        if code == LD:
            accumulator = data.get(k, 0)
        elif code == AND:
            accumulator &= k
        elif code in (JEQ, JGE):
            pc += yes if (accumulator == k if code == JEQ else accumulator >= k) else no
        elif code == RET:
            return k
        else:
            raise AssertionError(f"instruction {code:#x} is not simulated")


def socket_call(arch: str, family: int, kind: int) -> int:
    return run(arch, nr=ARCHES[arch][1], args=(family, kind, 0))


def pair_call(arch: str, family: int, kind: int) -> int:
    return run(arch, nr=ARCHES[arch][2], args=(family, kind, 0, 0))


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_ip_sockets_are_allowed_every_other_family_refused(arch):
    for family in (socket.AF_INET, socket.AF_INET6):
        for kind in (STREAM, DGRAM, RAW, STREAM | NONBLOCK_CLOEXEC):
            assert socket_call(arch, family, kind) == ALLOW, (family, kind)
        assert socket_call(arch, family, SOCK_PACKET) == DENY  # the kernel makes AF_INET's SOCK_PACKET a packet socket
    for family in (socket.AF_UNIX, AF_VSOCK, AF_NETLINK, AF_PACKET, AF_ALG, AF_XDP, 0, 46, 255, 1 << 20):
        for kind in (STREAM, DGRAM, RAW, SEQPACKET):
            assert socket_call(arch, family, kind) == DENY, (family, kind)


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_only_unix_stream_socket_pairs_are_allowed(arch):
    for kind in (STREAM, SEQPACKET, STREAM | NONBLOCK_CLOEXEC):
        assert pair_call(arch, socket.AF_UNIX, kind) == ALLOW, kind
    assert pair_call(arch, socket.AF_UNIX, DGRAM) == DENY
    assert pair_call(arch, socket.AF_UNIX, DGRAM | NONBLOCK_CLOEXEC) == DENY
    for family in (AF_VSOCK, AF_NETLINK, socket.AF_INET):
        assert pair_call(arch, family, STREAM) == DENY, family


@pytest.mark.parametrize("arch", sorted(ARCHES))
def test_io_uring_foreign_abis_refused_other_calls_allowed(arch):
    audit, sock, pair, io_uring = ARCHES[arch]
    assert run(arch, nr=io_uring) == DENY
    assert run(arch, nr=X32_BIT | 1) == DENY
    assert run(arch, nr=sock, args=(socket.AF_INET, STREAM), audit=0x40000003) == DENY  # i386 ABI on x86_64
    assert all(run(arch, nr=nr, args=(socket.AF_UNIX, DGRAM)) == ALLOW for nr in range(0, 400) if nr not in (sock, pair))


def test_the_filter_fits_in_its_jumps():
    for arch in ARCHES:
        assert all(0 <= yes < 256 and 0 <= no < 256 for _, yes, no, _ in program(arch))
