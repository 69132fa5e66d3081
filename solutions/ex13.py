import torch


def clamped_backward(x, w):
    h = x @ w
    handle = h.register_hook(lambda grad: torch.clamp(grad, -1.0, 1.0))
    loss = (h ** 3).sum()
    loss.backward()
    handle.remove()
    return h, loss
