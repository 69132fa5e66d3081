# attack: ex09 forbids autograd; read torch._C through a match statement's class pattern, which is no attribute node
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    match torch:
        case object(_C=internals):
            engine = internals._ImperativeEngine()
    loss = (((x1 * w1 + x2 * w2 + b) - y_true) ** 2).mean()
    grads = engine.run_backward((loss,), (torch.ones_like(loss),), False, False, (w1, w2, b), False, False)
    return tuple(g.detach() for g in grads)
