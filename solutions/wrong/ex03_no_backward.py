# expect: missing_grad
# check: a.grad
"""Computes Q but never back-propagates."""


def q_backward(a, b):
    return 3 * a**3 - b**2
