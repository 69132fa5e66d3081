# attack: lift the recursion limit, then recurse through C calls until the C stack overflows
# expect-error: crash
import sys

sys.setrecursionlimit(10**8)


class Deep:
    def __getattr__(self, name):
        return getattr(self, name)  # each level goes through C: getattr -> the type slot -> __getattr__


def q_backward(a, b):
    return Deep().anything
