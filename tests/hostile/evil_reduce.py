# attack: return, in place of Q, an object whose pickling, comparison and conversion hooks write a marker file
# expect-status: failed
# expect-score: 6
import os

import torch

MARKER = "@MARKER_PATH@"  # writable by the grading process, not by the sandboxed child


def _touch(*args, **kwargs):
    with open(MARKER, "a") as handle:
        handle.write(f"ran in pid {os.getpid()}\n")
    return True


class Evil:
    def __reduce__(self):
        return (os.system, (f"echo pwned >> {MARKER}",))

    __reduce_ex__ = lambda self, protocol: self.__reduce__()
    __eq__ = __ne__ = __lt__ = __bool__ = __float__ = __index__ = __len__ = __hash__ = _touch
    __getstate__ = __array__ = __iter__ = __repr__ = __str__ = __format__ = tolist = numpy = _touch
    __getattr__ = lambda self, name: _touch


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))  # the gradients are right: only Q is replaced
    return Evil()
