# expect: no-dual-level
"""make_dual outside `with dual_level():`."""
import torch
import torch.autograd.forward_ad as fwAD


def forward_jvp(A, x, v):
    dual_x = fwAD.make_dual(x, v)
    y, jvp = fwAD.unpack_dual(A @ torch.tanh(dual_x))
    return y, jvp
