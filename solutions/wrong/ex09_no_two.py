# expect: scaled
# check: db
"""Forgets the 2 from the square: every gradient is half the right one."""


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    y_pred = x1 * w1 + x2 * w2 + b
    dloss_dy_pred = (y_pred - y_true) / len(y_true)
    return dloss_dy_pred * x1, dloss_dy_pred * x2, dloss_dy_pred.sum()
