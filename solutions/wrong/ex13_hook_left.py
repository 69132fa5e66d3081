# expect: hooks
# check: hook removed
import torch


def clamped_backward(x, w):
    h = x @ w
    h.register_hook(lambda grad: grad.clamp(-1, 1))
    loss = (h ** 3).sum()
    loss.backward()
    return h, loss
