# expect: no-clamp
# check: w.grad
import torch


def clamped_backward(x, w):
    h = x @ w
    loss = (h ** 3).sum()
    loss.backward()
    handle = h.register_hook(lambda grad: grad.clamp(-1, 1))
    handle.remove()
    return h, loss
