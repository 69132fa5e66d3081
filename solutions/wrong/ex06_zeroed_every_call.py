# expect: value
# check: second
"""Zeroes .grad before every call, so second equals first instead of twice first."""
import torch


def backward_twice(inp):
    out = (inp + 1).pow(2)
    results = []
    for _ in range(3):
        if inp.grad is not None:
            inp.grad.zero_()
        out.backward(torch.ones_like(inp), retain_graph=True)
        results.append(inp.grad.clone())
    return tuple(results)
