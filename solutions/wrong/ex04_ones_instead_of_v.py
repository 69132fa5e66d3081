# expect: value
# check: x.grad
"""Avoids the error by summing y first: back-propagates ones, so v never enters x.grad."""


def vector_jacobian(x, v):
    y = x * 3
    while y.data.norm() < 1000:
        y = y * 2
    y.sum().backward()
    return y
