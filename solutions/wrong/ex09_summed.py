# expect: summed
# check: dw1
"""The tutorial's bug: sums the per-element gradients of w1 and w2 into a single number."""


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    y_pred = x1 * w1 + x2 * w2 + b
    dloss_dy_pred = 2 * (y_pred - y_true) / len(y_true)
    dw1 = (dloss_dy_pred * x1).sum()
    dw2 = (dloss_dy_pred * x2).sum()
    db = dloss_dy_pred.sum()
    return dw1, dw2, db
