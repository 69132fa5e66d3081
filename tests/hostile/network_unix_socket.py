# attack: reach a local service through a Unix socket: a path in the (read-only) file system, and an abstract one
# expect-status: passed
# needs: namespaces
import socket

import torch

for address in ("@UNIX_SOCKET@", "\0@ABSTRACT_SOCKET@"):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(2)
            connection.connect(address)
            connection.sendall(b"exfiltrated over a unix socket")
        print("CONNECTED", repr(address))
    except OSError as exc:
        print("refused", exc.errno, repr(address))


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
