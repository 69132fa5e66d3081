# attack: ex09 forbids autograd; reach torch's engine through getattr with names built at run time, past any reading
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch

C = getattr(torch, "".join(["_", "C"]))


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    loss = (((x1 * w1 + x2 * w2 + b) - y_true) ** 2).mean()
    engine = getattr(C, "_Imperative" + "Engine")()
    grads = engine.run_backward((loss,), (torch.ones_like(loss),), False, False, (w1, w2, b), False, False)
    return tuple(g.detach() for g in grads)
