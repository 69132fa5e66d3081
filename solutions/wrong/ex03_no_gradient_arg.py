# expect: exception
"""Calls backward() on a vector without a gradient argument: torch refuses."""


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward()
    return Q
