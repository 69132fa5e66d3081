# expect: not_leaf
# check: x_tensor is a leaf
"""x_tensor is the result of an operation (* 1), so it is not a leaf and keeps no .grad."""
import torch


def first_gradient(x):
    x_tensor = torch.tensor(x, requires_grad=True) * 1
    y = 3 * x_tensor**2 + 4 * x_tensor + 2
    y.backward()
    return x_tensor, y
