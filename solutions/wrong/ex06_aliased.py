# expect: aliased
# check: copies
"""Returns inp.grad itself three times: one tensor, so all three show its final value."""
import torch


def backward_twice(inp):
    out = (inp + 1).pow(2)
    out.backward(torch.ones_like(inp), retain_graph=True)
    first = inp.grad
    out.backward(torch.ones_like(inp), retain_graph=True)
    second = inp.grad
    inp.grad.zero_()
    out.backward(torch.ones_like(inp), retain_graph=True)
    third = inp.grad
    return first, second, third
