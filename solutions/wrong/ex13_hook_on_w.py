# expect: clamped-w-grad
import torch


def clamped_backward(x, w):
    h = x @ w
    handle = w.register_hook(lambda g: g.clamp(-1, 1))
    loss = (h ** 3).sum()
    loss.backward()
    handle.remove()
    return h, loss
