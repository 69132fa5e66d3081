# expect: accumulated
# check: first
"""Returns inp.grad itself three times and never zeroes it: every result holds three calls' sum."""
import torch


def backward_twice(inp):
    out = (inp + 1).pow(2)
    for _ in range(3):
        out.backward(torch.ones_like(inp), retain_graph=True)
    return inp.grad, inp.grad, inp.grad
