# expect: used_autograd
# check: by hand
"""Uses torch.autograd.grad: no .grad is touched, but it is still autograd."""
import torch


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    y_pred = x1 * w1 + x2 * w2 + b
    loss = ((y_pred - y_true) ** 2).mean()
    dw1, dw2, db = torch.autograd.grad(loss, (w1, w2, b))
    return dw1, dw2, db
