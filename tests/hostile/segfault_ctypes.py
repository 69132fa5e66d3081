# attack: dereference a null pointer with ctypes inside q_backward
# expect-error: crash
import ctypes


def q_backward(a, b):
    return ctypes.string_at(0)
