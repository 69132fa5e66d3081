# attack: block without using CPU, so the CPU-time limit never fires: sleep for days, then wait on an event
# expect-error: timeout
# limits: timeout_s=2
import threading
import time


def q_backward(a, b):
    time.sleep(10**6)
    threading.Event().wait()
