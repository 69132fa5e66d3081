# attack: ex09 forbids autograd; call the graph's backward nodes directly, which runs no engine and counts nothing
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    d = 2 * (x1 * w1 + x2 * w2 + b - y_true) / y_true.numel()  # dloss/dy_pred, but the rest from the graph:
    with torch.enable_grad():
        y1 = x1.detach() * w1
        dw1 = y1.grad_fn(d)[1]  # MulBackward0 -> (grad wrt x1, grad wrt w1)
        y2 = x2.detach() * w2
        dw2 = y2.grad_fn(d)[1]
    return dw1.detach(), dw2.detach(), d.sum().detach()
