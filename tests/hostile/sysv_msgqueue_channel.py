# attack: a System V message queue as a channel between students: read what an earlier submission left, leave one
# expect-status: passed
# needs: namespaces
import ctypes
import os

import torch

libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT, IPC_NOWAIT, KEY = 0o1000, 0o4000, @MSG_KEY@


class Message(ctypes.Structure):
    _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * 64)]


queue = libc.msgget(KEY, 0o600)  # only if an earlier submission made it
if queue >= 0:
    received = Message()
    if libc.msgrcv(queue, ctypes.byref(received), 64, 0, IPC_NOWAIT) >= 0:
        print("RECEIVED", received.mtext.decode(errors="replace"))
queue = libc.msgget(KEY, IPC_CREAT | 0o600)
sent = Message(1, f"the answers, from pid {os.getpid()}".encode())
if queue >= 0 and libc.msgsnd(queue, ctypes.byref(sent), 64, IPC_NOWAIT) == 0:
    print("SENT")
else:
    print("refused", ctypes.get_errno())


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
