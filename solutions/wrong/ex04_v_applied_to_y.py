# expect: value
# check: y
"""Weights y by v and then also back-propagates v."""


def vector_jacobian(x, v):
    y = x * 3
    while y.data.norm() < 1000:
        y = y * 2
    y = y * v
    y.backward(v)
    return y
