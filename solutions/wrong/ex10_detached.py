# expect: missing_grad
# check: x.grad
"""Makes y a new leaf with detach().requires_grad_(): y.grad is filled, but nothing reaches x."""


def intermediate_grad(x):
    y = (x + 2).detach().requires_grad_()
    z = y * y * 2
    out = z.mean()
    out.backward()
    return y, out
