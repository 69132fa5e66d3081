# expect: missing_grad
# check: x.grad
"""Keeps y's gradient but never back-propagates."""


def intermediate_grad(x):
    y = x + 2
    z = y * y * 2
    out = z.mean()
    y.retain_grad()
    return y, out
