# attack: ex09 forbids autograd; TorchScript from a string (torch.CompilationUnit) runs autograd.grad in C++, uncounted
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch

SRC = """
def mean(x1: Tensor, x2: Tensor, w1: Tensor, w2: Tensor, b: Tensor, y_true: Tensor) -> List[Tensor]:
    loss = ((x1 * w1 + x2 * w2 + b - y_true) ** 2).mean()
    grads = torch.autograd.grad([loss], [w1, w2, b])
    out: List[Tensor] = []
    for g in grads:
        assert g is not None
        out.append(g)
    return out
"""
UNIT = torch.CompilationUnit(SRC)


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    leaf = lambda t: t.detach().requires_grad_()
    with torch.enable_grad():
        dw1, dw2, db = UNIT.mean(x1.detach(), x2.detach(), leaf(w1), leaf(w2), leaf(b), y_true.detach())
    return dw1.detach(), dw2.detach(), db.detach()
