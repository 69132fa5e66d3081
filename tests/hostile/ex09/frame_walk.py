# attack: ex09 forbids autograd; climb from a generator's frame to the builtins and getattr the engine from there
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch


def _frame():
    yield


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    builtins = _frame().gi_frame.f_builtins
    engine = builtins["getattr"](builtins["getattr"](torch, "_C"), "_ImperativeEngine")()
    loss = (((x1 * w1 + x2 * w2 + b) - y_true) ** 2).mean()
    grads = engine.run_backward((loss,), (torch.ones_like(loss),), False, False, (w1, w2, b), False, False)
    return tuple(g.detach() for g in grads)
