# expect: sign
# check: dw2
"""Differentiates (y_true - y_pred) ** 2 but drops the inner derivative -1: every gradient has the wrong sign."""


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    y_pred = x1 * w1 + x2 * w2 + b
    error = y_true - y_pred
    dloss_dy_pred = 2 * error / len(y_true)
    return dloss_dy_pred * x1, dloss_dy_pred * x2, dloss_dy_pred.sum()
