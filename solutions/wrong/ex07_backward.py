# expect: mutated_input
# check: b untouched
"""Calls backward() to inspect the graph, which fills w.grad and b.grad."""
import torch


def stop_tracking(x, w, b):
    z = x @ w + b
    z.sum().backward(retain_graph=True)
    with torch.no_grad():
        z_nograd = x @ w + b
    z_det = z.detach()
    return z, z_nograd, z_det
