# expect: exception
"""Calls backward() without v on the vector y: torch refuses (grad can be implicitly created only for scalars)."""


def vector_jacobian(x, v):
    y = x * 3
    while y.data.norm() < 1000:
        y = y * 2
    y.backward()
    return y
