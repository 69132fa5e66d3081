# expect: rule
"""The Hessian as jacfwd(jacrev(f)): still the whole matrix."""
from torch.func import jacfwd, jacrev


def hvp(x, v):
    f = lambda x: (x**4).sum() + (x @ x) ** 2
    return jacfwd(jacrev(f))(x) @ v
