# attack: fork up to 300 children that sleep (each pid printed), then hang; root is exempt from RLIMIT_NPROC
# expect-error: timeout
# limits: timeout_s=2
import ctypes
import os
import time

for _ in range(300):
    try:
        pid = os.fork()
    except OSError:
        break  # RLIMIT_NPROC (ordinary users): stop forking, hang anyway
    if pid == 0:
        ctypes.CDLL(None).prctl(15, b"hostile-fork", 0, 0, 0)  # PR_SET_NAME: how the test finds survivors
        time.sleep(1000)
        os._exit(0)
    print("FORKED", pid, flush=True)
while True:
    pass


def q_backward(a, b):
    return a
