# expect: missing_grad
# check: b.grad
"""Back-propagates through a detached copy of b, so b never gets a gradient."""
import torch


def q_backward(a, b):
    b_copy = b.detach().requires_grad_()
    Q = 3 * a**3 - b_copy**2
    Q.backward(torch.ones_like(Q))
    return Q
