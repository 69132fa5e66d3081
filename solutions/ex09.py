"""Reference answer for ex09: the gradients of a mean squared error by the chain rule, without autograd."""

import torch


def manual_mse_grads(x1: torch.Tensor, x2: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor,
                     b: torch.Tensor, y_true: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    with torch.no_grad():  # not required, but nothing here needs a graph
        y_pred = x1 * w1 + x2 * w2 + b
        n = y_true.numel()
        dloss_dy_pred = 2 * (y_pred - y_true) / n   # d mean((y_pred - y)^2) / d y_pred, shape (n,)
        dw1 = dloss_dy_pred * x1                    # d y_pred_i / d w1_i = x1_i
        dw2 = dloss_dy_pred * x2                    # d y_pred_i / d w2_i = x2_i
        db = dloss_dy_pred.sum()                    # b feeds every prediction: add up all n contributions
    return dw1, dw2, db
