# attack: ex09 forbids autograd ("computed by hand"); call torch's engine directly, around the child's counting stand-in
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    y_pred = x1 * w1 + x2 * w2 + b
    loss = ((y_pred - y_true) ** 2).mean()
    engine = torch._C._ImperativeEngine()  # the same C++ engine; Variable._execution_engine is the counter
    grads = engine.run_backward((loss,), (torch.ones_like(loss),), False, False, (w1, w2, b), False, False)
    return tuple(g.detach() for g in grads)
