# expect: no-clamp
# check: w.grad
"""The hook clamps in a copy and returns None: autograd keeps the original gradient."""
import torch


def clamped_backward(x, w):
    h = x @ w

    def clamp(grad):
        clamped = grad.clamp(-1, 1)

    handle = h.register_hook(clamp)
    loss = (h ** 3).sum()
    loss.backward()
    handle.remove()
    return h, loss
