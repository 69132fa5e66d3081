# expect: missing_grad
# check: y.grad
"""Calls retain_grad() only after backward(), too late to keep anything."""


def intermediate_grad(x):
    y = x + 2
    z = y * y * 2
    out = z.mean()
    out.backward()
    y.retain_grad()
    return y, out
