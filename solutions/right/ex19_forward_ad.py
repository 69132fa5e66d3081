"""Forward mode with torch.autograd.forward_ad's dual numbers instead of torch.func.jvp."""
import torch
import torch.autograd.forward_ad as fwAD


def forward_jvp(A, x, v):
    with fwAD.dual_level():
        dual_x = fwAD.make_dual(x, v)
        out = A @ torch.tanh(dual_x)
        y, jvp = fwAD.unpack_dual(out)
        # the tangent is valid only inside the level: clone what leaves it
        return y.clone(), jvp.clone()
