"""A named hook function, and removal in `finally` so that the hook goes even when backward() raises."""
import torch


def clamp_unit(grad):
    return grad.clamp(min=-1.0, max=1.0)


def clamped_backward(x, w):
    h = torch.matmul(x, w)
    handle = h.register_hook(clamp_unit)
    try:
        loss = h.pow(3).sum()
        loss.backward()
    finally:
        handle.remove()
    return h, loss
