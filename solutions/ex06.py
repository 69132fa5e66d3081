"""Reference answer for ex06: backward() twice, then zero and once more."""

import torch


def backward_twice(inp: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    out = (inp + 1).pow(2)
    out.backward(torch.ones_like(inp), retain_graph=True)
    first = inp.grad.clone()
    out.backward(torch.ones_like(inp), retain_graph=True)
    second = inp.grad.clone()
    inp.grad.zero_()
    out.backward(torch.ones_like(inp), retain_graph=True)
    third = inp.grad.clone()
    return first, second, third
