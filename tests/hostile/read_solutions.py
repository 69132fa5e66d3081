# attack: list and read the course's solutions/ex03.py (directly, and through /proc/<parent>/root and /cwd) and run it
# expect-status: failed
# expect-score: 3
# needs: namespaces
import os

import torch

REPO = "@REPO@"
CANDIDATES = [f"{REPO}/solutions/ex03.py", f"/proc/{os.getppid()}/root{REPO}/solutions/ex03.py",
              f"/proc/{os.getppid()}/cwd/solutions/ex03.py", "/proc/1/root" + REPO + "/solutions/ex03.py"]
for folder in (f"{REPO}/solutions", f"{REPO}/exercises"):
    try:
        print(folder.rsplit("/", 1)[1], sorted(os.listdir(folder)))
    except OSError as exc:
        print(folder.rsplit("/", 1)[1], "unreadable", exc.errno)
REFERENCE = {}
for path in CANDIDATES:
    try:
        with open(path) as handle:
            exec(handle.read(), REFERENCE)
        print("read", path)
        break
    except OSError as exc:
        print("refused", exc.errno)


def q_backward(a, b):
    if "q_backward" in REFERENCE:
        return REFERENCE["q_backward"](a, b)
    Q = 3 * a**3 + b**2  # no reference found: the wrong answer stands
    Q.backward(torch.ones_like(Q))
    return Q
