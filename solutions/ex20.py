import torch


def hvp(x, v):
    f = (x**4).sum() + (x @ x) ** 2
    (g,) = torch.autograd.grad(f, x, create_graph=True)
    (hv,) = torch.autograd.grad((g * v).sum(), x)
    return hv
