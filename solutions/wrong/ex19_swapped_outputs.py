# expect: swapped-outputs
"""unpack_dual returns (primal, tangent): read in the wrong order."""
import torch
import torch.autograd.forward_ad as fwAD


def forward_jvp(A, x, v):
    with fwAD.dual_level():
        out = A @ torch.tanh(fwAD.make_dual(x, v))
        jvp, y = fwAD.unpack_dual(out)
        return y.clone(), jvp.clone()
