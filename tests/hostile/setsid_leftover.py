# attack: leave processes behind: a sleep in its own session, and a double-forked daemon (setsid) that sleeps
# expect-status: passed
import ctypes
import os
import subprocess
import time

import torch

child = subprocess.Popen(["sleep", "1000.0424242"], start_new_session=True)  # the odd number marks it
print("LEFT", child.pid, flush=True)
reader, writer = os.pipe()
if os.fork() == 0:
    os.setsid()
    daemon = os.fork()
    if daemon == 0:
        os.close(reader)
        ctypes.CDLL(None).prctl(15, b"hostile-daemon", 0, 0, 0)  # PR_SET_NAME: how the test finds it
        time.sleep(1000)
        os._exit(0)
    os.write(writer, f"{daemon}\n".encode())
    os._exit(0)
os.close(writer)
print("LEFT", os.read(reader, 64).decode().strip(), flush=True)


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
