# expect: scaled
# check: dw1
"""Forgets the 1/n of the mean: every gradient is n times too large."""


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    y_pred = x1 * w1 + x2 * w2 + b
    dloss_dy_pred = 2 * (y_pred - y_true)
    return dloss_dy_pred * x1, dloss_dy_pred * x2, dloss_dy_pred.sum()
