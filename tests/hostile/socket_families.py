# attack: create sockets a network namespace does not isolate: vsock (the hypervisor), netlink, packet, XDP, crypto
# expect-status: passed
# needs: namespaces
import socket

import torch

RAW, DGRAM, STREAM, PACKET = socket.SOCK_RAW, socket.SOCK_DGRAM, socket.SOCK_STREAM, 10
ATTEMPTS = [("AF_VSOCK", 40, STREAM), ("AF_VSOCK", 40, DGRAM), ("AF_NETLINK", 16, RAW), ("AF_NETLINK", 16, DGRAM),
            ("AF_PACKET", 17, RAW), ("AF_PACKET", 17, DGRAM), ("AF_INET+SOCK_PACKET", 2, PACKET), ("AF_XDP", 44, RAW),
            ("AF_ALG", 38, 5), ("AF_UNIX", 1, STREAM), ("AF_UNIX", 1, DGRAM)]
for name, family, kind in ATTEMPTS:
    try:
        socket.socket(family, kind).close()  # created, closed: nothing is connected or sent
        print("CREATED", name, kind)
    except OSError as exc:
        print("refused", name, kind, exc.errno)
try:
    for end in socket.socketpair(socket.AF_UNIX, DGRAM):  # a datagram pair can send to a path
        end.close()
    print("CREATED socketpair AF_UNIX", DGRAM)
except OSError as exc:
    print("refused socketpair AF_UNIX", DGRAM, exc.errno)
for name, family, kind in [("AF_INET", 2, STREAM), ("AF_INET6", 10, DGRAM)]:
    socket.socket(family, kind).close()  # what torch and the standard library may need: allowed, and isolated
    print("ALLOWED", name)
for end in socket.socketpair(socket.AF_UNIX, STREAM):
    end.close()
print("ALLOWED socketpair")


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
