# expect: unverifiable
# check: by hand
"""Right values, but torch's functions are fetched by name with getattr: the grader cannot read what that runs."""
import torch

OPS = {name: getattr(torch, name) for name in ("mul", "sum")}


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    y_pred = x1 * w1 + x2 * w2 + b
    d = 2 * (y_pred - y_true) / y_true.numel()
    return OPS["mul"](d, x1), OPS["mul"](d, x2), OPS["sum"](d)
