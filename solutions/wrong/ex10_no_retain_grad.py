# expect: missing_grad
# check: y.grad
"""Never calls retain_grad(): y is not a leaf, so its .grad is not kept."""


def intermediate_grad(x):
    y = x + 2
    z = y * y * 2
    out = z.mean()
    out.backward()
    return y, out
