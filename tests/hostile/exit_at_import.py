# attack: os._exit(0) while loading: the process ends "successfully" before any trial ran
# expect-error: crash
import os

os._exit(0)


def q_backward(a, b):
    return a
