# expect: accumulated
# check: third
"""Never zeroes .grad, so the third call adds onto the first two: third is 3x."""
import torch


def backward_twice(inp):
    out = (inp + 1).pow(2)
    out.backward(torch.ones_like(inp), retain_graph=True)
    first = inp.grad.clone()
    out.backward(torch.ones_like(inp), retain_graph=True)
    second = inp.grad.clone()
    out.backward(torch.ones_like(inp), retain_graph=True)
    third = inp.grad.clone()
    return first, second, third
