# attack: start a helper in its own session, SIGKILL the launcher (the child's parent), then linger, unsupervised
# expect-error: crash
# needs: own_process_tree
import ctypes
import os
import signal
import time

libc = ctypes.CDLL(None)
if os.fork() == 0:  # the helper: its own session, no parent-death signal (fork clears it)
    os.setsid()
    libc.prctl(15, b"hostile-orphan", 0, 0, 0)  # PR_SET_NAME: how the test finds it
    time.sleep(60)
    os._exit(0)
libc.prctl(15, b"hostile-orphan", 0, 0, 0)
with open("hostile-left-behind", "w") as handle:  # in the working folder: marks it for the test
    handle.write("x" * 4096)
parent = os.getppid()
os.kill(parent, signal.SIGKILL)
time.sleep(0.2)
if os.getppid() != parent:  # the launcher is dead: nothing is watching this process any more
    time.sleep(60)
os._exit(0)  # the kill reached nothing (its own process tree): end as a crash


def q_backward(a, b):
    return a
