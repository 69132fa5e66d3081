# attack: ptrace-attach to the launcher and to the grading process (to inject code), detaching at once if it works
# expect-status: passed
# needs: namespaces
import ctypes
import os

import torch

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
PTRACE_SEIZE, PTRACE_DETACH = 0x4206, 17
launcher = os.getppid()
try:
    with open(f"/proc/{launcher}/stat") as handle:
        grader = int(handle.read().rsplit(")", 1)[1].split()[1])
except OSError:  # the launcher's /proc entry is masked: its parent cannot be read there
    grader = 0
for name, pid in (("launcher", launcher), ("grader", grader)):
    if pid <= 1:
        print(name, "not visible")
        continue
    if libc.ptrace(PTRACE_SEIZE, pid, None, None) == 0:  # SEIZE does not stop the target
        print(name, "ATTACHED")
        libc.ptrace(PTRACE_DETACH, pid, None, None)
    else:
        print(name, "refused", ctypes.get_errno())


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
