# attack: ex09 forbids autograd; forward-mode duals compute the same gradients without the backward engine's count
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch
import torch.autograd.forward_ad as fwad


def _directional(x1, x2, w1, w2, b, y_true, which, tangent):
    with fwad.dual_level():
        params = [w1.detach(), w2.detach(), b.detach()]
        params[which] = fwad.make_dual(params[which], tangent)
        loss = (((x1.detach() * params[0] + x2.detach() * params[1] + params[2]) - y_true) ** 2).mean()
        return fwad.unpack_dual(loss).tangent


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    n = w1.numel()
    out = []
    for which, shape in ((0, (n,)), (1, (n,))):
        basis = torch.eye(n, dtype=w1.dtype)
        out.append(torch.stack([_directional(x1, x2, w1, w2, b, y_true, which, basis[i]) for i in range(n)]))
    out.append(_directional(x1, x2, w1, w2, b, y_true, 2, torch.ones_like(b)))
    return tuple(out)
