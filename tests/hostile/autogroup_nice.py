# attack: lower the CPU priority of the grader's terminal session: nice 19 into the autogroup of /proc/1 and its parent
# expect-status: passed
# needs: namespaces
import errno
import os
import time

import torch

for pid in sorted({1, os.getppid()}):
    path = f"/proc/{pid}/autogroup"
    for _ in range(20):  # without privileges, the kernel takes one autogroup write per 100 ms, machine-wide
        try:
            with open(path, "w") as handle:
                handle.write("19")
            print("WROTE", path)
            break
        except OSError as exc:
            if exc.errno != errno.EAGAIN:
                print("refused", exc.errno, path)
                break
            time.sleep(0.11)


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
