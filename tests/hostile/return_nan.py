# attack: NaN and infinity everywhere: Q all NaN, a.grad NaN, b.grad infinite (a naive "not greater than tol" passes NaN)
# expect-status: failed
# expect-score: 0
import torch


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    with torch.no_grad():
        a.grad.fill_(float("nan"))
        b.grad.fill_(float("inf"))
        return torch.full_like(Q, float("nan"))
