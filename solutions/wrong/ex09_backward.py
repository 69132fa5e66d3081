# expect: used_autograd
# check: by hand
"""Lets autograd do the work with loss.backward(): right values, but not by hand."""


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    y_pred = x1 * w1 + x2 * w2 + b
    loss = ((y_pred - y_true) ** 2).mean()
    loss.backward()
    return w1.grad.clone(), w2.grad.clone(), b.grad.clone()
