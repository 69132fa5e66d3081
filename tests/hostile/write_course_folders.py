# attack: overwrite solutions/ex03.py and the ex03 exercise, plant new files beside them, and go around via /proc
# expect-status: passed
# needs: namespaces
import os

import torch

REPO = "@REPO@"
WRONG = "def q_backward(a, b):\n    return a * 0\n"
targets = [(f"{REPO}/solutions/ex03.py", "w", WRONG), (f"{REPO}/solutions/planted_by_submission.py", "w", WRONG),
           (f"{REPO}/exercises/ex03_q_gradients.yaml", "a", "\npoints: 0\n"),
           (f"{REPO}/exercises/planted_by_submission.yaml", "w", "schema: 1\n"),
           (f"{REPO}/planted_by_submission.txt", "w", "x"),
           (f"/proc/{os.getppid()}/root{REPO}/solutions/ex03.py", "w", WRONG),
           (f"/proc/{os.getppid()}/cwd/planted_by_submission.txt", "w", "x")]
for path, mode, text in targets:
    try:
        with open(path, mode) as handle:
            handle.write(text)
        print("WROTE", path)
    except OSError as exc:
        print("refused", exc.errno, path)
for path in (f"{REPO}/solutions/ex03.py", f"{REPO}/exercises/ex03_q_gradients.yaml"):
    for action in (lambda p: os.utime(p, (0, 0)), lambda p: os.chmod(p, 0), os.unlink):
        try:
            action(path)
            print("CHANGED", path)
        except OSError as exc:
            print("refused", exc.errno, path)


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
