# expect: not_leaf
# check: x_tensor is a leaf
"""Converts to float64 after creating the leaf: .double() makes a new, non-leaf tensor (ToCopyBackward0).

(.float() on the float32 tensor torch.tensor(x) makes would be harmless: it returns the same tensor.)
"""
import torch


def first_gradient(x):
    x_tensor = torch.tensor(x, requires_grad=True).double()
    y = 3 * x_tensor**2 + 4 * x_tensor + 2
    y.backward()
    return x_tensor, y
