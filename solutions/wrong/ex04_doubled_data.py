# expect: scaled
# check: x.grad
"""Doubles y.data in the loop: the values change but autograd records none of the doublings."""


def vector_jacobian(x, v):
    y = x * 3
    while y.data.norm() < 1000:
        y.data *= 2
    y.backward(v)
    return y
