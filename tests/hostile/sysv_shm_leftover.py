# attack: leave a 64 MB System V shared-memory segment, filled and never removed, on the host after it exits
# expect-status: passed
# needs: namespaces
import ctypes

import torch

libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
IPC_CREAT, SIZE = 0o1000, 64 << 20
segment = libc.shmget(@SHM_KEY@, SIZE, IPC_CREAT | 0o600)
address = libc.shmat(segment, None, 0) if segment >= 0 else None
if address in (None, ctypes.c_void_p(-1).value):
    print("refused", ctypes.get_errno())
else:
    ctypes.memset(address, 0x5A, SIZE)  # 64 MB of memory that no process holds once this one exits
    libc.shmdt(ctypes.c_void_p(address))
    print("CREATED", segment)


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
