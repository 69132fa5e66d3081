# attack: ex09 forbids autograd; the real engine, re-exported by torch.autograd.variable; its names claimed by a class
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch
from torch.autograd.variable import ImperativeEngine


class Names:
    ImperativeEngine = None
    run_backward = None


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    w1, w2, b = w1.detach().requires_grad_(), w2.detach().requires_grad_(), b.detach().requires_grad_()
    loss = ((x1.detach() * w1 + x2.detach() * w2 + b - y_true) ** 2).mean()
    return ImperativeEngine().run_backward((loss,), (torch.ones_like(loss),), False, False, (w1, w2, b), False, False)
